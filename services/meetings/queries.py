"""Meetings as people see them: which ones a manager holds, who answered, a period's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, or_, select

from models import Meeting, MeetingEvent, MeetingInvitee, Person, Resident, db
from models.meetings import Reply
from services.errors import NotFound
from services.roster.areas import Area


def managed_clause(area: Area) -> ColumnElement[bool]:
    """Meetings the area's manager holds: the community's (staff) or their grid's."""
    parts = []
    if area.community_ids:
        parts.append(Meeting.community_id.in_(area.community_ids))
    if area.grid_ids:
        parts.append(Meeting.grid_id.in_(area.grid_ids))
    return or_(*parts) if parts else false()


def list_meetings(area: Area, *, upcoming: bool, now: datetime, limit: int = 100) -> list[Meeting]:
    query = select(Meeting).where(managed_clause(area))
    if upcoming:
        query = query.where(Meeting.starts_at >= now).order_by(Meeting.starts_at)
    else:
        query = query.where(Meeting.starts_at < now).order_by(Meeting.starts_at.desc())
    return list(db.session.scalars(query.limit(limit)))


def get_managed(area: Area, meeting_id: int) -> Meeting:
    found = db.session.scalar(select(Meeting).where(Meeting.id == meeting_id, managed_clause(area)))
    if found is None:
        raise NotFound("not found")
    return found


def get_invitee(meeting: Meeting, invitee_id: int) -> MeetingInvitee:
    found = db.session.get(MeetingInvitee, invitee_id)
    if found is None or found.meeting_id != meeting.id:
        raise NotFound("not found")
    return found


@dataclass(frozen=True)
class Tally:
    """A meeting's answers and attendance, as the pages count them."""

    invited: int
    attend: int
    excused: int
    unanswered: int
    present: int
    absent: int
    walk_ins: int


def tally(meeting: Meeting) -> Tally:
    rows = meeting.invitees
    asked = [r for r in rows if not r.walk_in]
    return Tally(
        invited=len(asked),
        attend=sum(r.reply == Reply.ATTEND for r in asked),
        excused=sum(r.reply == Reply.EXCUSED for r in asked),
        unanswered=sum(r.reply == Reply.NONE for r in asked),
        present=sum(r.present is True for r in rows),
        absent=sum(r.present is False for r in rows),
        walk_ins=sum(r.walk_in for r in rows),
    )


def invitations_of(person: Person, now: datetime) -> list[MeetingInvitee]:
    """Return the upcoming meetings a signed-in person is invited to (as themselves or as a
    resident whose account they are)."""
    resident_ids = select(Resident.id).where(Resident.person_id == person.id)
    return list(
        db.session.scalars(
            select(MeetingInvitee)
            .join(Meeting)
            .where(
                or_(
                    MeetingInvitee.person_id == person.id,
                    MeetingInvitee.resident_id.in_(resident_ids),
                ),
                MeetingInvitee.walk_in.is_(False),
                Meeting.starts_at > now,
            )
            .order_by(Meeting.starts_at)
            .limit(50)
        )
    )


def events_in(
    community_id: int, start: datetime, end: datetime, grid_id: int | None = None
) -> list[MeetingEvent]:
    """Return a period's meeting events [start, end) for a community (or one grid): the ledger
    (台账) and the assessment count these."""
    query = select(MeetingEvent).where(
        MeetingEvent.community_id == community_id,
        MeetingEvent.at >= start,
        MeetingEvent.at < end,
    )
    if grid_id is not None:
        query = query.where(MeetingEvent.grid_id == grid_id)
    return list(db.session.scalars(query.order_by(MeetingEvent.at, MeetingEvent.id)))


def history(meeting: Meeting) -> list[MeetingEvent]:
    return list(
        db.session.scalars(
            select(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting.id)
            .order_by(MeetingEvent.at, MeetingEvent.id)
        )
    )
