"""双报到: in-service party members and partner units reporting in to a community.

A unit reporting in is a `ReportIn` of kind "unit" that becomes a `PartnerUnit` when the
secretary approves it: a pending unit is not a partner unit, so no list of units (audiences,
referrals, the roster) has to learn to leave pending ones out. A member reporting in names a
partner unit already taking part; approval makes them its in-service member
(`Person.partner_unit_id`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.people import PartnerUnit, Person


class ReportStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class ReportKind(enum.StrEnum):
    MEMBER = "member"  # an in-service party member (在职党员)
    UNIT = "unit"  # a unit asking to become a partner unit (共驻共建单位)


class ReportIn(db.Model):  # type: ignore[name-defined]
    """One report-in, waiting for the secretary or decided (kept for the ledger)."""

    __tablename__ = "report_in"
    __table_args__ = (Index("ix_report_in_community_status", "community_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    kind: Mapped[str] = mapped_column(String(10))
    # The unit a member reports with; for a unit, the partner unit its approval made.
    partner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("partner_unit.id"), index=True)
    # A unit's name as it gave it (kind "unit").
    unit_name: Mapped[str] = mapped_column(String(100), default="")
    # The member (or the unit's contact) as given; the person is found or made on approval.
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    via: Mapped[str] = mapped_column(String(20))  # sms, telegram, page, liaison, secretary
    status: Mapped[str] = mapped_column(String(10), default=ReportStatus.PENDING)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    partner_unit: Mapped[PartnerUnit | None] = relationship()
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])

    @property
    def ref(self) -> str:
        return f"B{self.id}"


class UnitQuarter(db.Model):  # type: ignore[name-defined]
    """A partner unit's quarter: the summary sent, the unit's feedback, the community's score."""

    __tablename__ = "unit_quarter"
    __table_args__ = (UniqueConstraint("partner_unit_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_unit_id: Mapped[int] = mapped_column(ForeignKey("partner_unit.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    quarter: Mapped[date]  # the quarter's first day
    summary_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback: Mapped[str] = mapped_column(Text, default="")
    feedback_via: Mapped[str] = mapped_column(String(20), default="")
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    partner_unit: Mapped[PartnerUnit] = relationship()
