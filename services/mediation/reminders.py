"""The follow-up visit's reminder: 30 days after the outcome the mediator is told, once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from models import MediationCase, Person, Post, db
from models.clock import today_of
from models.roles import Role
from services.mediation import operations, queries


def _who(case: MediationCase, today: date) -> list[Person]:
    """The case's mediator while they still see it; else the grid's leaders."""
    mediator = case.mediator
    if mediator.active and queries.reach_of(mediator, today).covers(case):
        return [mediator]
    return list(
        db.session.scalars(
            select(Person)
            .join(Post, Post.person_id == Person.id)
            .where(
                Post.role == Role.GRID_LEADER,
                Post.grid_id == case.grid_id,
                Post.active_on(today),
                Person.active.is_(True),
            )
            .distinct()
        )
    )


def remind_due(now: datetime) -> int:
    """Remind about every follow-up now due; a repeat sends nothing (the case is marked)."""
    today = today_of(now)
    cases = queries.follow_ups_due(today)
    for case in cases:
        operations.remind_follow_up(case, now, _who(case, today))
    return len(cases)
