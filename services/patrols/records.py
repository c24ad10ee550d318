"""Patrols as in-service members' service (双报到): each shift a member kept counts its window.

Registered as a source of services/report_in/records.py by the patrols' Feature entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from models import PatrolShift, PatrolSignup, db
from services.report_in.records import ServiceRecord, half_hours

# A window longer than this is not all walked (a night shift is at most this many hours).
MAX_SHIFT_HOURS = 12.0


# How the unit's report names these records.
KIND = "patrol"
LABEL = lazy_gettext("Patrol shift")


def shift_hours(shift: PatrolShift) -> float:
    """A shift's hours: its window, from its start to its end, in half hours."""
    span = (shift.ends_at - shift.starts_at).total_seconds() / 3600
    return half_hours(min(span, MAX_SHIFT_HOURS))


def shifts_kept(people: Sequence[int], start: datetime, end: datetime) -> list[ServiceRecord]:
    """Shifts starting in the span that the people kept: signed up, not withdrawn, started
    (by "巡逻 开始" or in the app), on a shift not cancelled."""
    signups = db.session.scalars(
        select(PatrolSignup)
        .join(PatrolShift, PatrolShift.id == PatrolSignup.shift_id)
        .where(
            PatrolSignup.person_id.in_(people),
            PatrolSignup.withdrawn_at.is_(None),
            PatrolSignup.started_at.is_not(None),
            PatrolShift.cancelled_at.is_(None),
            PatrolShift.starts_at >= start,
            PatrolShift.starts_at < end,
        )
        .options(contains_eager(PatrolSignup.shift).selectinload(PatrolShift.route))
    )
    return [
        ServiceRecord(
            person_id=s.person_id,
            day=s.shift.day,
            kind=KIND,
            ref=s.shift.ref,
            title=s.shift.route.name,
            hours=shift_hours(s.shift),
        )
        for s in signups
    ]
