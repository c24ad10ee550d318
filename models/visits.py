"""Monthly home visits (走访), the needs list (需求清单), and what reminders have gone out."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow

if TYPE_CHECKING:
    from models.people import Person, Resident
    from models.places import Building, Household
    from models.wishes import Photo


class Visit(db.Model):  # type: ignore[name-defined]
    """One home visit by one visitor on one day."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_household_visited_on", "household_id", "visited_on"),
        Index("ix_visit_visitor_visited_on", "visitor_id", "visited_on"),
        # A period's visits of a community, for its ledger (services/ledgers).
        Index("ix_visit_community_visited_on", "community_id", "visited_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made by the phone before sending: the same visit sent twice (offline queue, a retried
    # SMS, a double tap) carries the same key, and the unique index keeps one row.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    # Kept beside household_id so coverage counts need no join to reach the area.
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    visited_on: Mapped[date]
    met: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    via: Mapped[str] = mapped_column(String(20), default="web")  # web, offline, sms, telegram
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    household: Mapped[Household] = relationship()
    visitor: Mapped[Person] = relationship()
    needs: Mapped[list[Need]] = relationship(back_populates="visit", order_by="Need.id")


class HouseholdMonth(db.Model):  # type: ignore[name-defined]
    """That a household was visited in a month: the denormalised fact coverage counts.

    Written in the same transaction as the visit (an upsert), so coverage per building, grid
    and community is a grouped count over an index, never a scan of every visit.
    """

    __tablename__ = "household_month"
    __table_args__ = (
        Index("ix_household_month_community_month", "community_id", "month"),
        Index("ix_household_month_grid_month", "grid_id", "month"),
        Index("ix_household_month_building_month", "building_id", "month"),
    )

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # the first day of the month
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
    visits: Mapped[int] = mapped_column(Integer, default=1)
    last_visited_on: Mapped[date]


class NeedSource(enum.StrEnum):
    VISIT = "visit"
    OBSERVER = "observer"
    RESIDENT = "resident"
    PATROL = "patrol"  # a patrol's finding (services/patrols)
    MEETING = "meeting"  # a suggestion heard at a meeting (models.meetings)


class NeedStatus(enum.StrEnum):
    OPEN = "open"  # waiting for a decision
    IN_HAND = "in_hand"  # turned into a micro-wish or a work order: answered when that is done
    ANSWERED = "answered"  # the answer has gone to the resident


class Decision(enum.StrEnum):
    SOLVED = "solved"
    WISH = "wish"
    WORK_ORDER = "work_order"
    REFERRED = "referred"
    DECLINED = "declined"
    MEDIATION = "mediation"  # taken up by the grid's mediators (services/mediation)


class Need(db.Model):  # type: ignore[name-defined]
    """Something a resident needs, heard on a visit, by an observer, or from the resident."""

    __tablename__ = "need"
    __table_args__ = (
        Index("ix_need_community_status_created", "community_id", "status", "created_at"),
        Index("ix_need_building_status", "building_id", "status"),
        # The street's figures: needs raised and answered in a month, per community.
        # The street's figures read a month's needs from these alone (no row looked up).
        Index("ix_need_community_created", "community_id", "created_at", "grid_id"),
        Index(
            "ix_need_community_answered",
            "community_id",
            "answered_at",
            "status",
            "created_at",
            "grid_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # a NeedSource
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), index=True)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=NeedStatus.OPEN)
    decision: Mapped[str | None] = mapped_column(String(20))  # a Decision
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    partner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("partner_unit.id"))
    # The micro-wish or work order it became ("W12", "T34"); their tables belong to other
    # features, so the link is this reference, not a foreign key.
    converted_ref: Mapped[str | None] = mapped_column(String(20), index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When it last became undecided (None: since created_at); a work order called off gives
    # it back, and the chase (services/needs/chase.py) counts from here.
    open_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Each chase stage tells its people once per time the need waits undecided.
    chased_leader_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    chased_secretary_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A public problem (a blocked drain, a broken light) has no household: where it is, as the
    # reporter typed it or the building they picked (building_id), and their photo.
    place: Mapped[str] = mapped_column(String(100), default="", server_default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id"))

    visit: Mapped[Visit | None] = relationship(back_populates="needs")
    photo: Mapped[Photo | None] = relationship()
    household: Mapped[Household | None] = relationship()
    building: Mapped[Building | None] = relationship()
    resident: Mapped[Resident | None] = relationship()
    raised_by: Mapped[Person | None] = relationship(foreign_keys=[raised_by_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def ref(self) -> str:
        return f"N{self.id}"

    @property
    def where(self) -> str:
        """Where the need is: the household's address, else the building and place reported."""
        if self.household is not None:
            return self.household.address
        parts = [self.building.label if self.building is not None else "", self.place]
        return " ".join(p for p in parts if p)


class NeedReferral(db.Model):  # type: ignore[name-defined]
    """A need referred to a partner unit: what its contact was sent, and their answer.

    The contact answers by SMS ("答复 N12 …") from the phone it went to, or on the page its
    link opens (no sign-in): only the SHA-256 of the link's token is kept, until expires_at.
    """

    __tablename__ = "need_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id"), index=True)
    partner_unit_id: Mapped[int] = mapped_column(ForeignKey("partner_unit.id"))
    contact_phone: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_via: Mapped[str] = mapped_column(String(20), default="")
    # A property company's answer is due by due_at (None for other partner units); late, its
    # contact is chased once, later the grid leader and secretary once (needs/property.py).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    chased_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    chased_leader_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    need: Mapped[Need] = relationship()


class NeedEvent(db.Model):  # type: ignore[name-defined]
    """Who did what to a need and when: the ledger counts these."""

    __tablename__ = "need_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(30))  # raised, solved, wish, ..., answered
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VisitSettings(db.Model):  # type: ignore[name-defined]
    """A community's own reminder days and hours (local time); absent = the app's defaults."""

    __tablename__ = "visit_settings"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    reminder_day: Mapped[int]
    reminder_hour: Mapped[int]
    digest_day: Mapped[int]
    digest_hour: Mapped[int]


class VisitReminder(db.Model):  # type: ignore[name-defined]
    """A reminder or digest that went out: one per kind, month, person and building or grid."""

    __tablename__ = "visit_reminder"
    __table_args__ = (UniqueConstraint("kind", "month", "person_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "head" (a building) or "digest" (a grid)
    month: Mapped[date]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    target_id: Mapped[int]  # the building id (head) or grid id (digest)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VisitConversation(db.Model):  # type: ignore[name-defined]
    """Where a person is in the guided visit flow by SMS or Telegram (one open flow each)."""

    __tablename__ = "visit_conversation"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    step: Mapped[str] = mapped_column(String(20))  # "household" or "outcome"
    # The households offered by number, in order, at the "household" step.
    choices: Mapped[list[Any]] = mapped_column(JSON, default=list)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
