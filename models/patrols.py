"""Patrols (巡逻): routes per grid, recurring schedules, dated shifts, sign-ups, findings.

need_id on a finding is a plain indexed integer, as work_order.need_id is: the needs table
belongs to another feature. A finding turned into a work order keeps that order's code
("T34"), as a need does.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.people import Person
from models.places import Grid


class PatrolRoute(db.Model):  # type: ignore[name-defined]
    """An area or route a grid patrols ("东区夜巡: 1-6号楼、小区东门、地下车库")."""

    __tablename__ = "patrol_route"
    __table_args__ = (UniqueConstraint("grid_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    name: Mapped[str] = mapped_column(String(100))
    covers: Mapped[str] = mapped_column(Text, default="")
    # Partner units (police station, property security) whose members may sign up for this
    # route's shifts without holding a post in the grid.
    partner_unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grid: Mapped[Grid] = relationship()
    schedules: Mapped[list[PatrolSchedule]] = relationship(
        back_populates="route", order_by="PatrolSchedule.id"
    )


class PatrolSchedule(db.Model):  # type: ignore[name-defined]
    """A recurring shift on a route: these weekdays, this local window, so many people."""

    __tablename__ = "patrol_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_route.id"), index=True)
    # ISO weekdays as digits, Monday 1 … Sunday 7: "12345" is Monday to Friday.
    weekdays: Mapped[str] = mapped_column(String(7))
    # Local wall-clock start in minutes after midnight, and the length: a window may pass
    # midnight (22:00-02:00), so it is not two clock times.
    start_minute: Mapped[int]
    minutes: Mapped[int]
    places_needed: Mapped[int]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    route: Mapped[PatrolRoute] = relationship(back_populates="schedules")


class PatrolShift(db.Model):  # type: ignore[name-defined]
    """One dated occurrence of a schedule, made ahead of time so people sign up for it."""

    __tablename__ = "patrol_shift"
    __table_args__ = (
        UniqueConstraint("schedule_id", "day"),
        Index("ix_patrol_shift_grid_starts", "grid_id", "starts_at"),
        Index("ix_patrol_shift_community_starts", "community_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("patrol_schedule.id"))
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_route.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    day: Mapped[date]  # the local day it starts on
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    places_needed: Mapped[int]
    # Kept beside the sign-ups so that a sign-up is one conditional UPDATE (taken < needed).
    places_taken: Mapped[int] = mapped_column(default=0)
    # When the grid leader was told nobody had started it (once).
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    route: Mapped[PatrolRoute] = relationship()
    signups: Mapped[list[PatrolSignup]] = relationship(
        back_populates="shift", order_by="PatrolSignup.id"
    )
    findings: Mapped[list[PatrolFinding]] = relationship(
        back_populates="shift", order_by="PatrolFinding.id"
    )

    @property
    def ref(self) -> str:
        return f"X{self.id}"

    @property
    def places_free(self) -> int:
        return max(0, self.places_needed - self.places_taken)

    def active_signups(self) -> list[PatrolSignup]:
        return [s for s in self.signups if s.withdrawn_at is None]


class PatrolSignup(db.Model):  # type: ignore[name-defined]
    """One person's place on a shift and their patrol: started, finished, its report."""

    __tablename__ = "patrol_signup"
    __table_args__ = (UniqueConstraint("shift_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("patrol_shift.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    via: Mapped[str] = mapped_column(String(20), default="app")
    signed_up_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report: Mapped[str] = mapped_column(Text, default="")

    shift: Mapped[PatrolShift] = relationship(back_populates="signups")
    person: Mapped[Person] = relationship()


class PatrolFinding(db.Model):  # type: ignore[name-defined]
    """Something seen on a patrol; the grid leader may turn it into a need or a work order."""

    __tablename__ = "patrol_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("patrol_shift.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    text: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(20), default="app")
    # A photo from services.photos (another feature's table): a plain integer, no FK.
    photo_id: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    need_id: Mapped[int | None] = mapped_column(index=True)
    order_ref: Mapped[str | None] = mapped_column(String(20))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    shift: Mapped[PatrolShift] = relationship(back_populates="findings")
    person: Mapped[Person] = relationship(foreign_keys=[person_id])

    @property
    def ref(self) -> str:
        return f"F{self.id}"


class PatrolEvent(db.Model):  # type: ignore[name-defined]
    """Who did what on a patrol and when: the ledger and the assessment count these.

    action: signed_up, withdrew, started, finished, finding, flagged, to_need, to_order.
    """

    __tablename__ = "patrol_event"
    __table_args__ = (
        Index("ix_patrol_event_community_at", "community_id", "at"),
        Index("ix_patrol_event_grid_at", "grid_id", "at"),
        Index("ix_patrol_event_person_at", "person_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("patrol_shift.id"))
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_finding.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(30))
    via: Mapped[str] = mapped_column(String(20), default="app")
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person | None] = relationship()
