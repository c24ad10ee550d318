"""Mediation (矛盾调解): a dispute's case, its parties, its sessions and what happened to it.

need_id (a need it was opened from) is a plain indexed integer, not a foreign key, as work
orders keep theirs: the needs list is another feature's table.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.people import Person, Resident
from models.places import Household


class CaseStatus(enum.StrEnum):
    OPEN = "open"  # being mediated
    CONCLUDED = "concluded"  # an outcome is recorded (the follow-up may still be due)


class Outcome(enum.StrEnum):
    AGREED = "agreed"  # an agreement reached (its text kept)
    JUDICIAL = "judicial"  # referred to the judicial office (司法所)
    POLICE = "police"  # referred to the police station (派出所)
    CLOSED = "closed"  # closed without an agreement (withdrawn, resolved by itself)


class SessionKind(enum.StrEnum):
    SESSION = "session"  # a mediation meeting
    FOLLOW_UP = "follow_up"  # the visit after the outcome (回访)


class MediationCase(db.Model):  # type: ignore[name-defined]
    """A dispute taken up by a grid's mediators (矛盾调解): seen only by them, its grid leader
    and the community's secretary."""

    __tablename__ = "mediation_case"
    __table_args__ = (
        Index("ix_mediation_case_grid_status", "grid_id", "status"),
        Index("ix_mediation_case_community_status", "community_id", "status"),
        Index("ix_mediation_case_follow_up", "status", "follow_up_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    category: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.OPEN)
    # Who looks after it: the follow-up reminder goes to them.
    mediator_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(20))
    agreement: Mapped[str] = mapped_column(Text, default="")
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    concluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # The local day the follow-up visit is due (30 days after the outcome).
    follow_up_due: Mapped[date | None]
    follow_up_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    mediator: Mapped[Person] = relationship(foreign_keys=[mediator_id])
    parties: Mapped[list[MediationParty]] = relationship(
        back_populates="case", order_by="MediationParty.id"
    )
    sessions: Mapped[list[MediationSession]] = relationship(
        back_populates="case", order_by="MediationSession.id"
    )

    @property
    def ref(self) -> str:
        return f"M{self.id}"


class MediationParty(db.Model):  # type: ignore[name-defined]
    """One side of a dispute: a resident, or a household as a whole; and their 1–5 answer."""

    __tablename__ = "mediation_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    # The phone the "is it settled?" question went to, so a bare digit from it is matched.
    asked_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[MediationCase] = relationship(back_populates="parties")
    household: Mapped[Household] = relationship()
    resident: Mapped[Resident | None] = relationship()


class MediationSession(db.Model):  # type: ignore[name-defined]
    """A mediation meeting, or the follow-up visit after the outcome: who came, what was said."""

    __tablename__ = "mediation_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=SessionKind.SESSION)
    held_on: Mapped[date]
    attendees: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    via: Mapped[str] = mapped_column(String(20), default="app")

    case: Mapped[MediationCase] = relationship(back_populates="sessions")
    recorded_by: Mapped[Person] = relationship()


class MediationEvent(db.Model):  # type: ignore[name-defined]
    """What happened to a case, when, by whom: the ledger and the assessment count these."""

    __tablename__ = "mediation_event"
    __table_args__ = (
        Index("ix_mediation_event_community_at", "community_id", "at"),
        Index("ix_mediation_event_case_at", "case_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_party.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_session.id"))
    # opened, party_added, session, outcome, follow_up, asked, rated, reminded
    action: Mapped[str] = mapped_column(String(30))
    via: Mapped[str] = mapped_column(String(20), default="app")
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person | None] = relationship()
