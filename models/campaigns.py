"""Policy campaigns (政策宣传): a policy, the households it concerns, who told each and how.

A campaign's target is chosen like an information broadcast's (services.broadcasts.queries
.Criteria) and fixed when it is created: one CampaignHousehold per household with a matching
resident, so progress is a count of rows and the heads' "not yet reached" list a plain query.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.people import Person


class CampaignStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # its deadline passed, or the secretary closed it


class InformedBy(enum.StrEnum):
    """How a household was told of the policy."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    SMS = "sms"  # a resident answered the campaign's SMS with "1"


class CampaignAttachment(db.Model):  # type: ignore[name-defined]
    """The policy's document (a PDF or a picture), kept in the database like photos are."""

    __tablename__ = "campaign_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(120), default="")
    size_bytes: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Campaign(db.Model):  # type: ignore[name-defined]
    __tablename__ = "campaign"
    __table_args__ = (Index("ix_campaign_community_status", "community_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    title: Mapped[str] = mapped_column(String(40))
    # What the SMS says: fits one SMS with the community's signature.
    summary: Mapped[str] = mapped_column(String(70))
    full_text: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date] = mapped_column(Date)
    # services.broadcasts.queries.Criteria.as_json()
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_attachment.id"))
    status: Mapped[str] = mapped_column(String(10), default=CampaignStatus.OPEN)
    household_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # "Send by SMS": asked at, then the periodic job hands residents to the outbox in id order.
    sms_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sms_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    sms_prepared_through: Mapped[int] = mapped_column(default=0)
    sms_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sms_count: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by: Mapped[Person] = relationship(foreign_keys=[created_by_id])
    attachment: Mapped[CampaignAttachment | None] = relationship()

    @property
    def batch_key(self) -> str:
        return f"campaign:{self.id}"

    @property
    def ref(self) -> str:
        return f"C{self.id}"


class CampaignHousehold(db.Model):  # type: ignore[name-defined]
    """One household of a campaign's target: not reached until someone marks how it was told."""

    __tablename__ = "campaign_household"
    __table_args__ = (
        UniqueConstraint("campaign_id", "household_id"),
        Index("ix_campaign_household_grid", "campaign_id", "grid_id", "method"),
        Index("ix_campaign_household_building", "campaign_id", "building_id", "method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    # Copied from the household's building so progress per grid needs no join.
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    method: Mapped[str | None] = mapped_column(String(10))  # InformedBy; None: not reached
    informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    informed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    informed_by: Mapped[Person | None] = relationship()


class CampaignEvent(db.Model):  # type: ignore[name-defined]
    """What happened to a campaign: the ledger (台账) and the assessment count these."""

    __tablename__ = "campaign_event"
    __table_args__ = (
        Index("ix_campaign_event_campaign_at", "campaign_id", "at"),
        Index("ix_campaign_event_community_at", "community_id", "at"),
        Index("ix_campaign_event_person_at", "person_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # created, sent, informed, acknowledged, closed
    action: Mapped[str] = mapped_column(String(20))
    method: Mapped[str | None] = mapped_column(String(10))
    via: Mapped[str] = mapped_column(String(20), default="app")
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person | None] = relationship()
