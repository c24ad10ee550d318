"""A meeting's record: its minutes and decisions, and residents' suggestions, each of which
may go on the needs list or become a work order. Functions flush, never commit.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _

from models import (
    Meeting,
    MeetingSuggestion,
    Need,
    NeedSource,
    Person,
    Resident,
    db,
)
from models.visits import Decision
from services.errors import DomainError, InvalidInput
from services.meetings.operations import MAX_MINUTES, MAX_SUGGESTION, check_text, record
from services.needs import operations as needs
from services.needs.queries import CATEGORIES
from services.work_orders import from_need


def save_minutes(
    meeting: Meeting, *, minutes: str, decisions: str, by: Person, now: datetime
) -> Meeting:
    """Keep the minutes and decisions (written once the meeting has begun; may be corrected)."""
    if meeting.starts_at > now:
        raise DomainError(_("Minutes are written once the meeting has begun."))
    text = check_text(minutes, _("the minutes"), MAX_MINUTES, required=True)
    meeting.minutes = text
    meeting.decisions = check_text(decisions, _("the decisions"), MAX_MINUTES, required=False)
    first = meeting.minutes_at is None
    meeting.minutes_at = now
    record(meeting, "minutes", now, by, detail="" if first else "corrected")
    db.session.flush()
    return meeting


def add_suggestion(
    meeting: Meeting,
    *,
    text: str,
    by: Person,
    now: datetime,
    resident: Resident | None = None,
) -> MeetingSuggestion:
    """Note a resident's suggestion heard at the meeting."""
    if meeting.starts_at > now:
        raise DomainError(_("Suggestions are noted once the meeting has begun."))
    said = check_text(text, _("the suggestion"), MAX_SUGGESTION, required=True)
    suggestion = MeetingSuggestion(
        meeting_id=meeting.id,
        resident_id=resident.id if resident else None,
        text=said,
        by_id=by.id,
        created_at=now,
    )
    db.session.add(suggestion)
    db.session.flush()
    record(meeting, "suggestion", now, by, suggestion=suggestion)
    return suggestion


def to_need(suggestion: MeetingSuggestion, *, category: str, by: Person, now: datetime) -> Need:
    """Put a suggestion on the needs list (source: meeting), linked both ways."""
    meeting = suggestion.meeting
    if suggestion.need_id is not None:
        raise DomainError(_("This suggestion is already on the needs list."))
    if category not in CATEGORIES:
        raise InvalidInput(_("Choose a category for the need."))
    resident = db.session.get(Resident, suggestion.resident_id) if suggestion.resident_id else None
    need = needs.raise_need(
        community_id=meeting.community_id,
        household=resident.household if resident is not None else None,
        source=NeedSource.MEETING,
        by=by,
        category=category,
        text=suggestion.text,
        resident_id=resident.id if resident is not None else None,
        now=now,
    )
    if need.grid_id is None:
        need.grid_id = meeting.grid_id  # a grid meeting's suggestion belongs to that grid
    suggestion.need_id = need.id
    record(meeting, "to_need", now, by, suggestion=suggestion, need_id=need.id, detail=need.ref)
    db.session.flush()
    return need


def to_work_order(
    suggestion: MeetingSuggestion, *, category: str, by: Person, now: datetime, today: date
) -> str:
    """Turn a suggestion into a work order for its grid, through the needs list (the resident
    hears when it is done); return the order's code."""
    if suggestion.work_order_ref:
        raise DomainError(_("This suggestion is already a work order."))
    need = db.session.get(Need, suggestion.need_id) if suggestion.need_id is not None else None
    if need is None:
        need = to_need(suggestion, category=category, by=by, now=now)
    if need.grid_id is None:
        raise DomainError(
            _(
                "This suggestion belongs to no grid: it is on the needs list; decide it there "
                "or name the resident it came from."
            )
        )
    needs.decide(
        need,
        by=by,
        decision=Decision.WORK_ORDER,
        today=today,
        now=now,
        conversions={Decision.WORK_ORDER: from_need.to_order},
    )
    ref = need.converted_ref or ""
    suggestion.work_order_ref = ref
    meeting = suggestion.meeting
    record(meeting, "to_work_order", now, by, suggestion=suggestion, need_id=need.id, detail=ref)
    db.session.flush()
    return ref
