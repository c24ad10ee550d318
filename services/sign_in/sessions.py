"""Server-side sessions: the cookie carries a random token, the database the truth."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from models import Person, UserSession, db
from models.roles import STAFF_ROLES


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(person: Person, *, now: datetime, user_agent: str = "") -> str:
    """Open a session for the person and return the token to put in their cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            token_hash=_hash(token),
            person_id=person.id,
            created_at=now,
            last_seen_at=now,
            user_agent=user_agent[:200],
        )
    )
    db.session.flush()
    return token


def idle_limit(person: Person, today: date, *, staff_minutes: int, other_days: int) -> timedelta:
    """Return how long a session of this person may stay idle before it ends."""
    if any(post.role in STAFF_ROLES for post in person.active_posts(today)):
        return timedelta(minutes=staff_minutes)
    # Administrators set communities up and read strangers' texts: a staff session too.
    if any(grant.is_active(today) for grant in person.administrator_grants):
        return timedelta(minutes=staff_minutes)
    return timedelta(days=other_days)


# Every signed-in request asks this: built once, since building the statement and its cache key
# cost as much as running it (0.4 of 0.9 ms measured). The person, their posts and grants come
# with it in one query.
_LIVE = (
    select(UserSession)
    .where(UserSession.token_hash == bindparam("token_hash"))
    .options(
        joinedload(UserSession.person).joinedload(Person.posts),
        # Asked by idle_limit for everyone without a staff post (a lazy load each time).
        joinedload(UserSession.person).joinedload(Person.administrator_grants),
    )
)


def find_live(
    token: str, *, now: datetime, staff_minutes: int, other_days: int
) -> UserSession | None:
    """Return the session for this token if it is open and not idle for too long; end it if so."""
    session = db.session.execute(_LIVE, {"token_hash": _hash(token)}).unique().scalar_one_or_none()
    if session is None or session.ended_at is not None:
        return None
    person = session.person
    limit = idle_limit(person, now.date(), staff_minutes=staff_minutes, other_days=other_days)
    if not person.active or now - session.last_seen_at > limit:
        session.ended_at = now
        db.session.flush()
        return None
    return session


def end(token: str, *, now: datetime) -> None:
    """End the session for this token, so the cookie is worthless even if it was copied."""
    session = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if session is not None and session.ended_at is None:
        session.ended_at = now
        db.session.flush()
