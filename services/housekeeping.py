"""Periodic clean-up: old sign-in codes, idle and long-ended sessions, old dev-inbox messages,
the daily cap's old counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

from models import DailySends, DevInboxMessage, Person, SignInCode, UserSession, db
from models.clock import today_of
from services.sign_in import sessions

# Codes are kept a day past expiry so the per-phone daily send limit still counts them.
CODE_KEEP = timedelta(days=1)
ENDED_SESSION_KEEP = timedelta(days=30)
DEV_INBOX_KEEP = timedelta(days=7)


@dataclass(frozen=True)
class Swept:
    """How many rows one housekeeping pass removed or closed."""

    codes_deleted: int
    sessions_ended: int
    sessions_deleted: int
    inbox_deleted: int
    counters_deleted: int = 0  # the daily cap's counters of days gone by


def delete_old_codes(now: datetime) -> int:
    """Delete sign-in codes that expired more than a day ago."""
    result = db.session.execute(
        delete(SignInCode).where(SignInCode.expires_at < now - CODE_KEEP),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_idle_sessions(now: datetime, *, staff_minutes: int, other_days: int) -> int:
    """End open sessions idle past their holder's limit, or whose holder was deactivated."""
    shortest = timedelta(minutes=min(staff_minutes, other_days * 24 * 60))
    candidates = db.session.scalars(
        select(UserSession)
        .join(UserSession.person)
        .where(
            UserSession.ended_at.is_(None),
            or_(UserSession.last_seen_at < now - shortest, Person.active.is_(False)),
        )
        .options(selectinload(UserSession.person).selectinload(Person.posts))
    ).all()
    today = now.date()
    limits: dict[int, timedelta] = {}
    ended = 0
    for session in candidates:
        person = session.person
        idle = now - session.last_seen_at
        if person.id not in limits:
            limits[person.id] = sessions.idle_limit(
                person, today, staff_minutes=staff_minutes, other_days=other_days
            )
        if not person.active or idle > limits[person.id]:
            session.ended_at = now
            ended += 1
    db.session.flush()
    return ended


def delete_ended_sessions(now: datetime) -> int:
    """Delete sessions that ended more than 30 days ago."""
    result = db.session.execute(
        delete(UserSession).where(UserSession.ended_at < now - ENDED_SESSION_KEEP),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_old_inbox(now: datetime) -> int:
    """Delete development-inbox messages older than seven days."""
    result = db.session.execute(
        delete(DevInboxMessage).where(DevInboxMessage.created_at < now - DEV_INBOX_KEEP),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_old_counters(now: datetime) -> int:
    """Delete the daily cap's counters of days before yesterday (they are read for today)."""
    result = db.session.execute(
        delete(DailySends).where(DailySends.day < today_of(now) - timedelta(days=1)),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def sweep(now: datetime, *, staff_minutes: int, other_days: int) -> Swept:
    """Run every clean-up once; safe to repeat, as a second pass finds nothing left to do."""
    return Swept(
        codes_deleted=delete_old_codes(now),
        sessions_ended=end_idle_sessions(now, staff_minutes=staff_minutes, other_days=other_days),
        sessions_deleted=delete_ended_sessions(now),
        inbox_deleted=delete_old_inbox(now),
        counters_deleted=delete_old_counters(now),
    )
