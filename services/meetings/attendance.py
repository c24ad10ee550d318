"""A meeting's attendance: invitees answer (attend or excused), and at the door each is marked
present or absent and walk-ins are added. Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    Meeting,
    MeetingInvitee,
    Person,
    Resident,
    db,
)
from models.clock import today_of
from models.meetings import Reply
from services.errors import DomainError, InvalidInput
from services.meetings.operations import MAX_NAME, check_text, phone_of, record


def answer(invitee: MeetingInvitee, reply: str, *, via: str, now: datetime) -> MeetingInvitee:
    """Record an invitee's answer (attend or excused); a later answer replaces an earlier one."""
    meeting = invitee.meeting
    if reply not in (Reply.ATTEND, Reply.EXCUSED):
        raise InvalidInput(_("Answer 1 to attend or 2 to be excused."))
    if meeting.starts_at <= now:
        raise DomainError(_("This meeting has already begun."))
    invitee.reply = reply
    invitee.replied_at = now
    invitee.replied_via = via
    person = db.session.get(Person, invitee.person_id) if invitee.person_id else None
    record(meeting, "replied", now, person, via=via, detail=reply, invitee=invitee)
    db.session.flush()
    return invitee


def check_door_open(meeting: Meeting, now: datetime) -> None:
    """Attendance is taken on the meeting's own day (or later, to correct it)."""
    if today_of(now) < today_of(meeting.starts_at):
        raise DomainError(_("Attendance is taken on the day of the meeting."))


def mark(
    meeting: Meeting, invitee: MeetingInvitee, *, present: bool, by: Person, now: datetime
) -> MeetingInvitee:
    """Mark one invitee present or absent at the door (a second tap corrects the first)."""
    if invitee.meeting_id != meeting.id:
        raise DomainError(_("That person is not on this meeting's list."))
    check_door_open(meeting, now)
    invitee.present = present
    invitee.marked_at = now
    record(meeting, "attended" if present else "absent", now, by, invitee=invitee)
    db.session.flush()
    return invitee


def walk_in(
    meeting: Meeting,
    *,
    by: Person,
    now: datetime,
    resident: Resident | None = None,
    name: str = "",
) -> MeetingInvitee:
    """Add someone who came uninvited, present: a resident of the area, or a name typed."""
    check_door_open(meeting, now)
    if resident is not None:
        existing = db.session.scalar(
            select(MeetingInvitee).where(
                MeetingInvitee.meeting_id == meeting.id,
                (MeetingInvitee.resident_id == resident.id)
                | (
                    MeetingInvitee.person_id == resident.person_id
                    if resident.person_id is not None
                    else MeetingInvitee.id.is_(None)
                ),
            )
        )
        if existing is not None:
            return mark(meeting, existing, present=True, by=by, now=now)
        row = MeetingInvitee(
            meeting_id=meeting.id,
            resident_id=resident.id,
            person_id=resident.person_id,
            name=resident.name,
            phone=phone_of(resident),
        )
    else:
        typed = check_text(name, _("the name"), MAX_NAME, required=True)
        row = MeetingInvitee(meeting_id=meeting.id, name=typed)
    row.reply = Reply.NONE
    row.replied_via = ""
    row.walk_in = True
    row.present = True
    row.marked_at = now
    db.session.add(row)
    db.session.flush()
    record(meeting, "walk_in", now, by, invitee=row, detail=row.name)
    return row
