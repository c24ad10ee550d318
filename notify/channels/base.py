"""What every channel provides, and the two kinds of failure it may report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class TransientFailure(Exception):
    """Try again later: a timeout, 429 or 5xx."""

    def __init__(self, code: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """This channel will never reach this address: a bad number, opted out, bot blocked."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Sent:
    provider_id: str
    # "sent" when the provider accepted it; "delivered" when it is final on acceptance.
    state: str = "sent"
    segments: int = 1


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    address: str
    text: str
    validity_seconds: int
    # Buttons for channels that have them: (label, command sent back when pressed).
    actions: tuple[tuple[str, str], ...] = ()


class Channel(Protocol):
    name: str
    single_part_chars: int
    multi_part_chars: int

    def send(self, outgoing: Outgoing) -> Sent:
        """Hand one message to the provider; raise TransientFailure or PermanentFailure."""
        ...
