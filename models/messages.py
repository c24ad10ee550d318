"""The outbox (one delivery per person per message), the in-app inbox, inbound messages,
SMS opt-outs and Telegram links."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.people import Person


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"  # recorded, waiting for a worker
    DEFERRED = "deferred"  # held for quiet hours or a retry; goes at not_before
    SENDING = "sending"  # a worker has claimed it and is talking to the provider
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider confirmed it reached the phone
    FAILED = "failed"  # every channel refused it; error_code and error_reason say why
    UNDELIVERED = "undelivered"  # accepted, then the network could not deliver it
    SUPPRESSED = "suppressed"  # not sent on purpose: opted out, duplicate, daily cap, stale


# States a delivery never leaves (except "sent", which a status callback may move on).
FINAL_STATES = {
    DeliveryState.DELIVERED,
    DeliveryState.FAILED,
    DeliveryState.UNDELIVERED,
    DeliveryState.SUPPRESSED,
}
# Order for status callbacks: a state only ever moves to a higher rank.
STATE_RANK = {
    DeliveryState.QUEUED: 0,
    DeliveryState.DEFERRED: 0,
    DeliveryState.SENDING: 1,
    DeliveryState.SENT: 2,
    DeliveryState.UNDELIVERED: 3,
    DeliveryState.FAILED: 3,
    DeliveryState.DELIVERED: 4,
    DeliveryState.SUPPRESSED: 4,
}


class Delivery(db.Model):  # type: ignore[name-defined]
    """One message to one recipient; the row is the record and the guard against sending twice."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("batch_key", "recipient_key"),
        Index("ix_delivery_state_not_before", "state", "not_before"),
        # The outbox counts by state and "may have arrived twice" from the index alone.
        Index("ix_delivery_community_state", "community_id", "state", "uncertain"),
        Index("ix_delivery_community_created", "community_id", "created_at"),
        Index("ix_delivery_address_created", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What caused it, e.g. "signin:42" or "broadcast:7": with recipient_key, unique.
    batch_key: Mapped[str] = mapped_column(String(80))
    # "p<person id>", "r<resident id>" or "a<address>" for a bare phone.
    recipient_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(10), default="zh")
    urgent: Mapped[bool] = mapped_column(default=False)
    ref: Mapped[str | None] = mapped_column(String(20))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    # Channels still to try, in order; the first is the current one.
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text, default="")
    segments: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.QUEUED)
    # True when a worker died while this was with the provider: it may arrive twice.
    uncertain: Mapped[bool] = mapped_column(default=False)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A random token a worker writes when it claims the row, to find what it won.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    person: Mapped[Person | None] = relationship()

    def note(self, at: datetime, event: str, **detail: Any) -> None:
        """Append an event to the delivery's history (kept short: the last 20 events)."""
        entry = {"at": at.isoformat(timespec="seconds"), "event": event, **detail}
        self.history = [*(self.history or [])[-19:], entry]


class DailySends(db.Model):  # type: ignore[name-defined]
    """How many non-urgent messages one address was let through on one local day.

    The daily cap's counter (MESSAGES_PER_DAY). A worker locks the rows of its batch's
    addresses (SELECT … FOR UPDATE, in address order) before it lets a message through, so two
    workers sending to the same phone at once cannot both pass the cap: counting delivery rows
    could not guarantee that, since each worker's count would miss the other's uncommitted
    sends.
    """

    __tablename__ = "daily_sends"

    address: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(default=0)


class InboxItem(db.Model):  # type: ignore[name-defined]
    """A message in a person's in-app inbox: every message lands here, whatever the channel."""

    __tablename__ = "inbox_item"
    __table_args__ = (
        UniqueConstraint("person_id", "batch_key"),
        Index("ix_inbox_item_person_created", "person_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    batch_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    ref: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboundMessage(db.Model):  # type: ignore[name-defined]
    """A text that arrived by SMS or Telegram, kept whether or not we understood it."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id"),
        Index("ix_inbound_message_from_received", "from_address", "received_at"),
        Index("ix_inbound_message_community_received", "community_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    # Twilio's MessageSid or Telegram's update_id: the same message is handled once.
    provider_id: Mapped[str] = mapped_column(String(64))
    from_address: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    text: Mapped[str] = mapped_column(Text)
    command: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40), default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person | None] = relationship()


class SmsOptOut(db.Model):  # type: ignore[name-defined]
    """A phone that replied 退订/STOP: no SMS goes to it until it replies 订阅/START."""

    __tablename__ = "sms_opt_out"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    via: Mapped[str] = mapped_column(String(20), default="sms")


class TelegramLink(db.Model):  # type: ignore[name-defined]
    """A person's Telegram chat, linked through a one-time deep-link token."""

    __tablename__ = "telegram_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    # Empty until the person opens the deep link; then the chat to write to.
    # Telegram ids take up to 52 bits: more than PostgreSQL's integer holds.
    chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when Telegram says the person blocked the bot: we fall back to SMS.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship()

    @property
    def usable(self) -> bool:
        return self.chat_id is not None and self.blocked_at is None


class TelegramUpdate(db.Model):  # type: ignore[name-defined]
    """An update_id seen from Telegram: an update delivered twice is handled once."""

    __tablename__ = "telegram_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
