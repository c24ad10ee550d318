"""Meetings (例会, 座谈会, 联席会): who was invited, who answered, who came, what was said.

need_id is a plain indexed integer, as work orders keep theirs: the needs table belongs to
another feature. work_order_ref is the order's code (T34), as a need keeps its converted_ref.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.people import Person

# A usual meeting's length (an hour and a half).
MEETING_MINUTES = 90


class MeetingKind(enum.StrEnum):
    REGULAR = "regular"  # 网格例会
    FORUM = "forum"  # 居民座谈会
    JOINT = "joint"  # 联席会 with partner units
    QUARTERLY = "quarterly"  # 季度网格长例会


class Reply(enum.StrEnum):
    NONE = ""
    ATTEND = "attend"  # "1"
    EXCUSED = "excused"  # "2"


class Meeting(db.Model):  # type: ignore[name-defined]
    """A meeting called by the secretary (community-wide) or a grid leader (their grid)."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_community_starts", "community_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How long it lasts, as called: an attendee's service hours (双报到) count it. Meetings
    # called before it was asked count MEETING_MINUTES.
    duration_minutes: Mapped[int] = mapped_column(
        default=MEETING_MINUTES, server_default=str(MEETING_MINUTES)
    )
    place: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text, default="")
    # The posts picked: {"grids": [ids], "roles": [codes], "partner_units": [], "people": [ids]}
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    called_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    minutes: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    minutes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The day-before reminder and the quarterly meeting's early notice, each sent once.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    called_by: Mapped[Person] = relationship(foreign_keys=[called_by_id])
    invitees: Mapped[list[MeetingInvitee]] = relationship(
        back_populates="meeting", order_by="MeetingInvitee.id"
    )
    suggestions: Mapped[list[MeetingSuggestion]] = relationship(
        back_populates="meeting", order_by="MeetingSuggestion.id"
    )

    @property
    def ref(self) -> str:
        # H for 会 (huì): M is a mediation case's (调解 M3), and a ref names one thing only.
        return f"H{self.id}"


class MeetingInvitee(db.Model):  # type: ignore[name-defined]
    """One person asked to a meeting (or come in unasked: a walk-in), with answer and attendance.

    Exactly one of person, resident or partner unit (its contact) is who it is; `phone` is the
    number a bare "1"/"2" by SMS is matched on (a resident or a unit's contact has no account).
    """

    __tablename__ = "meeting_invitee"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_id", name="uq_meeting_invitee_person"),
        UniqueConstraint("meeting_id", "resident_id", name="uq_meeting_invitee_resident"),
        UniqueConstraint("meeting_id", "partner_unit_id", name="uq_meeting_invitee_unit"),
        Index("ix_meeting_invitee_phone", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    partner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("partner_unit.id"))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    reply: Mapped[str] = mapped_column(String(10), default=Reply.NONE)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_via: Mapped[str] = mapped_column(String(20), default="")
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: not taken yet; True: present; False: absent.
    present: Mapped[bool | None] = mapped_column(Boolean)
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship(back_populates="invitees")


class MeetingSuggestion(db.Model):  # type: ignore[name-defined]
    """A resident's suggestion heard at a meeting; it may become a need or a work order."""

    __tablename__ = "meeting_suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    text: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    need_id: Mapped[int | None] = mapped_column(index=True)
    work_order_ref: Mapped[str | None] = mapped_column(String(20))

    meeting: Mapped[Meeting] = relationship(back_populates="suggestions")


class MeetingEvent(db.Model):  # type: ignore[name-defined]
    """What happened to a meeting, when and by whom: the ledger and the assessment count these.

    action: called, replied, reminded, noticed, attended, absent, walk_in, minutes,
    suggestion, to_need, to_work_order, quarter_unscheduled (no meeting: the secretary told).
    """

    __tablename__ = "meeting_event"
    __table_args__ = (
        Index("ix_meeting_event_community_at", "community_id", "at"),
        Index("ix_meeting_event_meeting_at", "meeting_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    # None for the quarter's "no meeting scheduled" notice.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # who did it
    invitee_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_invitee.id"))
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_suggestion.id"))
    need_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(30))
    via: Mapped[str] = mapped_column(String(20), default="app")
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
