"""Meetings as in-service members' service (双报到): each meeting a member attended counts its
length. Registered as a source of services/report_in/records.py by the meetings' Feature entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from models import Meeting, MeetingInvitee, db
from models.clock import today_of
from services.report_in.records import ServiceRecord, half_hours

# How the unit's report names these records.
KIND = "meeting"
LABEL = lazy_gettext("Meeting")


def meeting_hours(meeting: Meeting) -> float:
    return half_hours(meeting.duration_minutes / 60)


def meetings_attended(people: Sequence[int], start: datetime, end: datetime) -> list[ServiceRecord]:
    """Meetings starting in the span at which the people were marked present (invited or
    walked in)."""
    rows = db.session.scalars(
        select(MeetingInvitee)
        .join(Meeting, Meeting.id == MeetingInvitee.meeting_id)
        .where(
            MeetingInvitee.person_id.in_(people),
            MeetingInvitee.present.is_(True),
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .options(contains_eager(MeetingInvitee.meeting))
    )
    return [
        ServiceRecord(
            person_id=row.person_id,  # type: ignore[arg-type]
            day=today_of(row.meeting.starts_at),
            kind=KIND,
            ref=row.meeting.ref,
            title=row.meeting.title,
            hours=meeting_hours(row.meeting),
        )
        for row in rows
    ]
