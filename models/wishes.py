"""Micro-wishes (微心愿): the problem wall, claiming, the echo wall; and uploaded photos."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow

if TYPE_CHECKING:
    from models.people import Person, Resident
    from models.places import Building, Grid


class WishStatus(enum.StrEnum):
    OPEN = "open"  # on the problem wall, waiting for a claimer
    CLAIMED = "claimed"
    FULFILLED = "fulfilled"  # done; the resident is asked to confirm and rate
    CONFIRMED = "confirmed"  # rated by the resident
    WITHDRAWN = "withdrawn"  # no longer wanted: by the resident, or a head for them


# Escalation levels: who has been told that the wish waits unclaimed.
LEVEL_WALL = 0
LEVEL_BUILDING_HEAD = 1
LEVEL_GRID_LEADER = 2
LEVEL_SECRETARY = 3


class Photo(db.Model):  # type: ignore[name-defined]
    """An uploaded image, kept in the database so any web process can serve it."""

    __tablename__ = "photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    # Deferred: listing wishes must not drag every image through memory.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Wish(db.Model):  # type: ignore[name-defined]
    """A resident's small wish, from posting to the resident's rating."""

    __tablename__ = "wish"
    __table_args__ = (
        Index("ix_wish_community_status", "community_id", "status"),
        Index("ix_wish_grid_status", "grid_id", "status"),
        # The street's figures: wishes posted and fulfilled in a month, per community.
        # The street's figures read a month's wishes from these alone (no row looked up).
        Index("ix_wish_community_posted", "community_id", "posted_at", "grid_id"),
        Index("ix_wish_community_fulfilled", "community_id", "fulfilled_at", "status", "grid_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Where the resident lives, copied at posting so the wall needs no joins to filter.
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id"))
    status: Mapped[str] = mapped_column(String(20), default=WishStatus.OPEN)
    # Who typed it in: the resident's own person, or a head posting for them; None by SMS.
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    via: Mapped[str] = mapped_column(String(20))  # app, sms, telegram, head
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When it last went up on the wall (posted, or handed back): escalation counts from here.
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_note: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_level: Mapped[int] = mapped_column(Integer, default=LEVEL_WALL)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The escalation level at which it was claimed (0: straight from the wall).
    resolved_level: Mapped[int | None]
    # The needs-list item this wish came from (VISITS); a plain column, the lead adds the FK.
    need_id: Mapped[int | None] = mapped_column(Integer, index=True)

    resident: Mapped[Resident] = relationship()
    building: Mapped[Building] = relationship()
    grid: Mapped[Grid] = relationship()
    claimer: Mapped[Person | None] = relationship(foreign_keys=[claimer_id])
    posted_by: Mapped[Person | None] = relationship(foreign_keys=[posted_by_id])
    photo: Mapped[Photo | None] = relationship()

    @property
    def ref(self) -> str:
        return f"W{self.id}"

    @property
    def is_answered(self) -> bool:
        return self.status in (WishStatus.FULFILLED, WishStatus.CONFIRMED)


class WishEvent(db.Model):  # type: ignore[name-defined]
    """One step in a wish's life, by whom and when: the record the ledgers count."""

    __tablename__ = "wish_event"
    __table_args__ = (
        # "Told once": an escalation step or a notice that must never repeat has a once_key.
        UniqueConstraint("wish_id", "once_key"),
        Index("ix_wish_event_actor_at", "actor_id", "at"),
        Index("ix_wish_event_community_at", "community_id", "at"),
        # The street's escalations of a month, from the index alone.
        Index("ix_wish_event_community_action_at", "community_id", "action", "at", "wish_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wish.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    # posted, claimed, handed_back, fulfilled, rated, escalated
    action: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    via: Mapped[str] = mapped_column(String(20), default="app")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    level: Mapped[int | None]
    once_key: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[Person | None] = relationship()
