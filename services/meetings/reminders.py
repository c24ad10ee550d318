"""Meetings' periodic reminders (the `meeting-reminders` job, hourly).

- The day before a meeting, from REMINDER_HOUR (local) on, those who answered "1" are
  reminded, once (`meeting.reminded_at`): late enough in the day that most answers are in.
- The quarterly grid leaders' meeting (季度网格长例会): QUARTERLY_NOTICE_DAYS before it,
  everyone invited who has not asked to be excused gets an early notice to prepare their
  grid's report, once (`meeting.noticed_at`); not when the invitation itself went out less
  than a day before (it said the same).
- From the first day of a quarter's last month (QUARTER_CHECK_MONTH), a community with no
  quarterly meeting in the quarter has its secretaries told so, once per quarter (a
  `quarter_unscheduled` event with the quarter, "2026Q4", is the guard).

Quiet hours apply as to every message (notify.outbox): a reminder written at night waits for
the morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from models import Community, Meeting, MeetingEvent, MeetingInvitee, MeetingKind, Person, Post, db
from models.clock import at, local, today_of
from models.meetings import Reply
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later
from notify.routing import Recipient
from services.meetings.operations import record, tell

QUARTERLY_NOTICE_DAYS = 7
# The hour (community time) from which the day-before reminder goes.
REMINDER_HOUR = 17
# The quarter's third month: from its first day, an uncalled quarterly meeting is flagged.
QUARTER_CHECK_MONTH = 3


@dataclass
class Report:
    reminded: int = 0
    noticed: int = 0
    unscheduled: int = 0


def _recipients(meeting: Meeting, rows: list[MeetingInvitee]) -> list[Recipient]:
    """Return how to reach the chosen invitees: their account, else the phone invited."""
    to: list[Recipient] = []
    for row in rows:
        person = db.session.get(Person, row.person_id) if row.person_id else None
        if person is not None:
            to.append(person)
        elif row.phone:
            to.append(row.phone)
    return to


def quarter_of(day: date) -> tuple[date, date, str]:
    """Return the quarter's first day, the next quarter's first day, and its name ("2026Q4")."""
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    end = date(day.year + 1, 1, 1) if q == 3 else date(day.year, 3 * q + 4, 1)
    return start, end, f"{day.year}Q{q + 1}"


def remind_day_before(now: datetime) -> int:
    if local(now).hour < REMINDER_HOUR:
        return 0
    tomorrow = today_of(now) + timedelta(days=1)
    start, end = at(tomorrow, time(0)), at(tomorrow + timedelta(days=1), time(0))
    meetings = db.session.scalars(
        select(Meeting).where(
            Meeting.starts_at >= start, Meeting.starts_at < end, Meeting.reminded_at.is_(None)
        )
    ).all()
    for meeting in meetings:
        rows = [r for r in meeting.invitees if r.reply == Reply.ATTEND and not r.walk_in]
        n = tell(meeting, "meeting_reminder", _recipients(meeting, rows), now, "remind")
        meeting.reminded_at = now
        record(meeting, "reminded", now, detail=str(n))
    return len(meetings)


def notice_quarterly(now: datetime) -> int:
    meetings = db.session.scalars(
        select(Meeting).where(
            Meeting.kind == MeetingKind.QUARTERLY,
            Meeting.starts_at > now,
            Meeting.starts_at <= now + timedelta(days=QUARTERLY_NOTICE_DAYS),
            Meeting.noticed_at.is_(None),
        )
    ).all()
    told = 0
    for meeting in meetings:
        meeting.noticed_at = now
        if now - meeting.called_at < timedelta(days=1):
            continue  # the invitation just said it
        rows = [r for r in meeting.invitees if r.reply != Reply.EXCUSED and not r.walk_in]
        n = tell(meeting, "meeting_quarterly_ahead", _recipients(meeting, rows), now, "ahead")
        record(meeting, "noticed", now, detail=str(n))
        told += 1
    return told


def flag_unscheduled(now: datetime) -> int:
    today = today_of(now)
    start, end, name = quarter_of(today)
    if today < date(start.year, start.month + QUARTER_CHECK_MONTH - 1, 1):
        return 0
    told = 0
    for community in db.session.scalars(select(Community).order_by(Community.id)):
        called = db.session.scalar(
            select(Meeting.id).where(
                Meeting.community_id == community.id,
                Meeting.kind == MeetingKind.QUARTERLY,
                Meeting.starts_at >= at(start, time(0)),
                Meeting.starts_at < at(end, time(0)),
            )
        )
        flagged = db.session.scalar(
            select(MeetingEvent.id).where(
                MeetingEvent.community_id == community.id,
                MeetingEvent.action == "quarter_unscheduled",
                MeetingEvent.detail == name,
            )
        )
        if called is not None or flagged is not None:
            continue
        secretaries = list(
            db.session.scalars(
                select(Person)
                .join(Post, Post.person_id == Person.id)
                .where(
                    Post.community_id == community.id,
                    Post.role == Role.SECRETARY,
                    Post.active_on(today),
                    Person.active.is_(True),
                )
                .order_by(Person.id)
            ).unique()
        )
        last_day = end - timedelta(days=1)
        send_later(
            Message(
                "meeting_quarter_unscheduled",
                {
                    "quarter": f"{start.year}年第{(start.month - 1) // 3 + 1}季度",
                    "deadline": last_day.strftime("%m-%d"),
                },
                batch_key=f"meeting-quarter:{community.id}:{name}",
                community_id=community.id,
            ),
            to=secretaries,
            now=now,
        )
        db.session.add(
            MeetingEvent(
                community_id=community.id,
                action="quarter_unscheduled",
                via="job",
                detail=name,
                at=now,
            )
        )
        told += 1
    return told


def run(now: datetime) -> Report:
    """Send what is due now; a repeat within the hour sends nothing new."""
    report = Report()
    report.reminded = remind_day_before(now)
    report.noticed = notice_quarterly(now)
    report.unscheduled = flag_unscheduled(now)
    db.session.flush()
    return report
