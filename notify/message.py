"""A message to send: what kind, with which parameters, caused by what. Channel-neutral."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    kind: str  # a name registered in notify.templates
    params: Mapping[str, Any]
    # What caused it ("signin:42", "broadcast:7"); one delivery per recipient per batch_key.
    batch_key: str
    urgent: bool = False
    # A short reference code (W12, T34) a reply can name.
    ref: str | None = None
    community_id: int | None = None
    # Telegram buttons: (label msgid, command text sent back when pressed).
    actions: tuple[tuple[str, str], ...] = field(default=())
