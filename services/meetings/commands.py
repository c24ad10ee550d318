"""A bare "1" (attend) or "2" (excused) answers the latest meeting invitation, by SMS or Telegram.

The invitation names no code a person must type back: notify.replies gives the number to
whichever question was asked last. ANSWERERS is declared to the registry (pwa.features).
A resident or a partner unit's contact has no account: their answer is matched on the phone
the invitation went to.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select

from models import Meeting, MeetingInvitee, Person, db
from models.meetings import Reply as Answer
from notify.commands import Command, Help, Inbound, Reply
from notify.replies import Answerer, Question
from services.errors import DomainError
from services.meetings import attendance, operations


def _sender(message: Inbound) -> Person | None:
    if message.person is not None:
        return message.person
    if message.phone:
        return db.session.scalar(select(Person).where(Person.phone == message.phone))
    return None


def answer(invitee_id: int, message: Inbound, value: int) -> Reply:
    """Take "1" as attend and "2" as excused; any other number is asked again."""
    invitee = db.session.get(MeetingInvitee, invitee_id)
    assert invitee is not None
    meeting = invitee.meeting
    if value not in (1, 2):
        return Reply("meeting_how", operations.params(meeting))
    reply = Answer.ATTEND if value == 1 else Answer.EXCUSED
    try:
        attendance.answer(invitee, reply, via=message.channel, now=message.now)
    except DomainError:
        return Reply("meeting_how", operations.params(meeting))
    kind = "meeting_attending" if reply == Answer.ATTEND else "meeting_excused"
    return Reply(kind, operations.params(meeting))


def latest_question(message: Inbound) -> Question | None:
    """Return the latest invitation to a meeting not yet begun that this sender received."""
    person = _sender(message)
    who: list[ColumnElement[bool]] = []
    phones = {p for p in (message.phone, person.phone if person else None) if p}
    if phones:
        who.append(MeetingInvitee.phone.in_(phones))
    if person is not None:
        who.append(MeetingInvitee.person_id == person.id)
    if not who:
        return None
    row = db.session.execute(
        select(MeetingInvitee.id, Meeting.called_at)
        .join(Meeting, Meeting.id == MeetingInvitee.meeting_id)
        .where(
            or_(*who),
            MeetingInvitee.walk_in.is_(False),
            Meeting.starts_at > message.now,
        )
        .order_by(Meeting.called_at.desc(), MeetingInvitee.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    invitee_id = int(row[0])
    return Question(
        asked_at=row[1], answer=lambda inbound, value: answer(invitee_id, inbound, value)
    )


REPLY_LABELS = {Answer.ATTEND: "参加", Answer.EXCUSED: "请假", Answer.NONE: "未答复"}


def _list(message: Inbound) -> Reply | None:
    """Answer "会议" with the sender's next meetings and their answer to each."""
    person = _sender(message)
    phones = {p for p in (message.phone, person.phone if person else None) if p}
    who: list[ColumnElement[bool]] = [MeetingInvitee.phone.in_(phones)] if phones else []
    if person is not None:
        who.append(MeetingInvitee.person_id == person.id)
    rows = (
        db.session.scalars(
            select(MeetingInvitee)
            .join(Meeting, Meeting.id == MeetingInvitee.meeting_id)
            .where(or_(*who), MeetingInvitee.walk_in.is_(False), Meeting.starts_at > message.now)
            .order_by(Meeting.starts_at)
            .limit(3)
        ).all()
        if who
        else []
    )
    lines = [
        f"{operations.when_text(r.meeting)} {r.meeting.title}（{REPLY_LABELS[Answer(r.reply)]}）"
        for r in rows
    ]
    if not lines:
        return Reply("meeting_list_empty")
    return Reply("meeting_list", {"meetings": "；".join(lines)})


COMMANDS: tuple[Command, ...] = (
    Command(
        "meeting_list",
        ("会议", "MEETINGS", "HY"),
        _list,
        help=(Help("“会议”看会议", "MEETINGS"),),
    ),
)
ANSWERERS: tuple[tuple[str, Answerer], ...] = (("meeting", latest_question),)
