"""Work orders the secretary dispatches, the volunteers who claim them, and broadcasts.

need_id (a need from the needs list) is a plain indexed integer, not a foreign key: the needs
table belongs to another feature and may not exist where this one is migrated.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.people import Person


class OrderStatus(enum.StrEnum):
    OPEN = "open"  # places still free
    FILLED = "filled"  # every place claimed
    # Every place reported done, its organiser closed it, or its window passed with some of
    # it reported: waits for the check.
    DONE = "done"
    VERIFIED = "verified"  # checked by the secretary or grid leader
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # its window passed with nothing reported done


class Priority(enum.StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


# Orders people can still claim, start or withdraw from.
LIVE_STATUSES = (OrderStatus.OPEN, OrderStatus.FILLED)


class WorkOrder(db.Model):  # type: ignore[name-defined]
    """A piece of work with a place, a time window and a number of people (任务 / 工单)."""

    __tablename__ = "work_order"
    __table_args__ = (
        Index("ix_work_order_community_status", "community_id", "status"),
        Index("ix_work_order_status_starts", "status", "starts_at"),
        # A period's work orders of a community, for its ledger (services/ledgers).
        Index("ix_work_order_community_created", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    # Set when a grid leader dispatches within their grid; None for community-wide work.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    instructions: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    places_needed: Mapped[int]
    # Kept beside the claim rows so a claim is one conditional UPDATE (claimed < needed).
    places_claimed: Mapped[int] = mapped_column(default=0)
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.OPEN)
    # {"grids": [ids], "roles": [codes], "partner_units": [ids], "people": [ids]}
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    need_id: Mapped[int | None] = mapped_column(index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    announced_again_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reopen_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    created_by: Mapped[Person] = relationship(foreign_keys=[created_by_id])
    claims: Mapped[list[WorkOrderClaim]] = relationship(
        back_populates="order", order_by="WorkOrderClaim.id"
    )

    @property
    def ref(self) -> str:
        return f"T{self.id}"

    @property
    def places_free(self) -> int:
        return max(0, self.places_needed - self.places_claimed)

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    def active_claims(self) -> list[WorkOrderClaim]:
        return [c for c in self.claims if c.withdrawn_at is None]


class WorkOrderClaim(db.Model):  # type: ignore[name-defined]
    """One person's place on a work order; withdrawing keeps the row (for the ledger)."""

    __tablename__ = "work_order_claim"
    __table_args__ = (UniqueConstraint("order_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    via: Mapped[str] = mapped_column(String(20), default="app")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    # A photo from services.photos (another feature's table): a plain integer, no FK.
    photo_id: Mapped[int | None]

    order: Mapped[WorkOrder] = relationship(back_populates="claims")
    person: Mapped[Person] = relationship()

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class WorkOrderEvent(db.Model):  # type: ignore[name-defined]
    """Who did what to a work order and when: the ledger and the assessment count these."""

    __tablename__ = "work_order_event"
    __table_args__ = (
        Index("ix_work_order_event_order_at", "order_id", "at"),
        Index("ix_work_order_event_person_at", "person_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # created, announced, claimed, claim_refused, withdrawn, started, done, verified, reopened,
    # cancelled, announced_again, escalated, reminded
    action: Mapped[str] = mapped_column(String(30))
    via: Mapped[str] = mapped_column(String(20), default="app")
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person | None] = relationship()


class WorkOrderReminder(db.Model):  # type: ignore[name-defined]
    """A chase sent about an order to one person; the keys make "told once" a database rule.

    (order, person, kind): each kind of chase goes once. (order, person, day): nobody is
    chased about one order more than once a local day.
    """

    __tablename__ = "work_order_reminder"
    __table_args__ = (
        UniqueConstraint("order_id", "person_id", "kind"),
        UniqueConstraint("order_id", "person_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(20))  # again, escalate, before_window
    day: Mapped[date]  # the local (Asia/Shanghai) day it was sent
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BroadcastKind(enum.StrEnum):
    MOBILISATION = "mobilisation"  # urgent; "reply 1 to join" signs people up for an order
    INFORMATION = "information"  # a policy reminder to the residents it concerns


class BroadcastStatus(enum.StrEnum):
    """Where a broadcast's fan-out stands (a job resolves its recipients off the request)."""

    QUEUED = "queued"  # recorded by the request; the job has not begun
    PREPARING = "preparing"  # the job is recording recipients and deliveries, chunk by chunk
    SENDING = "sending"  # every recipient has a delivery; the outbox is sending them
    DONE = "done"  # every delivery has reached a final state


class Broadcast(db.Model):  # type: ignore[name-defined]
    """One message to many: a mobilisation of volunteers or an information notice."""

    __tablename__ = "broadcast"
    __table_args__ = (Index("ix_broadcast_community_created", "community_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    # Mobilisation: the people audience (as a work order's). Information: resident criteria,
    # {"min_age": 80, "grids": [ids], "lives_alone": true}.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The order a "1" reply claims (mobilisation only).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    recipient_count: Mapped[int] = mapped_column(default=0)
    # Left out on purpose (information broadcasts: no SMS consent), counted for the report.
    skipped_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(
        String(20), default=BroadcastStatus.QUEUED, server_default=BroadcastStatus.DONE, index=True
    )
    # When the preparing job was handed to Redis (None: not yet, or Redis was down).
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last person (mobilisation) or resident (information) id prepared: a job that dies
    # is resumed after it, since each chunk commits its recipients, deliveries and cursor.
    prepared_through: Mapped[int] = mapped_column(default=0, server_default="0")
    # Last progress of a preparing job (a stale one is picked up again by the sweep).
    touched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order: Mapped[WorkOrder | None] = relationship()
    created_by: Mapped[Person] = relationship()

    @property
    def batch_key(self) -> str:
        """Return the outbox batch key: one delivery per recipient per broadcast."""
        return f"broadcast:{self.id}"


class BroadcastRecipient(db.Model):  # type: ignore[name-defined]
    """Who a broadcast went to, counted under which grid and partner unit, and their reply."""

    __tablename__ = "broadcast_recipient"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "recipient_key"),
        Index("ix_broadcast_recipient_person", "person_id", "broadcast_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcast.id"))
    # The Delivery's recipient_key ("p12", "r34"): joins the row to its delivery.
    recipient_key: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    partner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("partner_unit.id"))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply: Mapped[str] = mapped_column(String(40), default="")
