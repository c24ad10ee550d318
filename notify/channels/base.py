"""What every channel provides, and the two kinds of failure it may report.

A provider is one folder beside this file (twilio/, telegram/): `sending.py` holds its
Channel, `webhook.py` reads what its webhooks carry (signature or secret check, inbound
texts), `status.py` maps its statuses and error codes to delivery states and plain reasons.
`notify.channels.for_name` picks the channel by name and configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class TransientFailure(Exception):
    """Try again later: a timeout, 429 or 5xx.

    `hold`: the provider asked us to wait (a per-number limit, an empty balance): not a try,
    sent again at retry_after. `uncertain`: the call may have reached the provider (a timeout
    after sending): ask the provider before sending again. `stop_provider`: stop sending
    through this provider for the community until retry_after (its balance is empty).
    """

    def __init__(
        self,
        code: str,
        reason: str,
        retry_after: float | None = None,
        *,
        hold: bool = False,
        uncertain: bool = False,
        stop_provider: bool = False,
    ) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.retry_after = retry_after
        self.hold = hold
        self.uncertain = uncertain
        self.stop_provider = stop_provider


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
class TemplateSms:
    """What a template provider needs for one message besides the phone (notify.mainland)."""

    kind: str
    code: str
    sign_name: str
    params: Mapping[str, str]


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    address: str
    text: str
    validity_seconds: int
    # Buttons for channels that have them: (label, command sent back when pressed).
    actions: tuple[tuple[str, str], ...] = ()
    # For template providers (notify.mainland): the approved code, sign name and parameters.
    template: TemplateSms | None = None
    # An earlier try may have reached the provider: ask it before sending again.
    check_first: bool = False


class Channel(Protocol):
    name: str
    single_part_chars: int
    multi_part_chars: int

    def send(self, outgoing: Outgoing) -> Sent:
        """Hand one message to the provider; raise TransientFailure or PermanentFailure."""
        ...


@dataclass(frozen=True)
class InboundText:
    """A text someone sent to us, as a provider's webhook carries it."""

    provider_id: str  # the provider's id for it (Twilio MessageSid): one answer per id
    address: str  # where it came from, to answer there (a phone, a chat id)
    text: str
    phone: str | None = None  # the sender's phone in E.164, when the address is one
    to: str | None = None  # the number it was sent to (E.164), when the provider says


@dataclass(frozen=True)
class StatusReport:
    """A provider's report on a message we sent: where it is now, and why it failed."""

    provider_id: str
    status: str  # the provider's own word for it ("delivered"), kept in the history
    state: str | None  # the DeliveryState it means (a str enum); None for a word unknown
    error_code: str | None = None


def N_(text: str) -> str:
    """Mark text for the catalogue without translating it (the gettext convention)."""
    return text
