"""Chasing needs that wait undecided (the periodic job): the grid leader, then the secretary.

A need undecided for NEED_CHASE_DAYS goes to its grid's leader; still undecided
NEED_CHASE_SECRETARY_DAYS after that, to the community's secretary. Each stage tells its
people once per time the need waits (a need given back starts afresh): the stage's column is
set by one conditional UPDATE, so two runs at once never tell anyone twice. Each person gets
one message per run, naming their needs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select, update

from models import Need, NeedStatus, Person, Post, db
from models.clock import today_of
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later
from services.needs.queries import may_decide

DEFAULTS = {"NEED_CHASE_DAYS": 3.0, "NEED_CHASE_SECRETARY_DAYS": 2.0}
# Needs taken per stage per run: the next run takes the rest.
BATCH = 500
# Codes named in one message; more are counted, not listed.
MAX_REFS = 6


def setting(name: str) -> float:
    if has_app_context():
        return float(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


@dataclass
class ChaseReport:
    leader_needs: int = 0
    secretary_needs: int = 0
    told: int = 0


def _leaders(need: Need, today: date) -> list[Person]:
    if need.grid_id is None:
        return []
    people = db.session.scalars(
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(Post.role == Role.GRID_LEADER, Post.grid_id == need.grid_id, Post.active_on(today))
        .distinct()
    ).all()
    return [p for p in people if may_decide(p, need, today)]


def _secretaries(need: Need, today: date) -> list[Person]:
    people = db.session.scalars(
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(
            Post.role == Role.SECRETARY,
            Post.community_id == need.community_id,
            Post.active_on(today),
        )
        .distinct()
    ).all()
    return [p for p in people if may_decide(p, need, today)]


def _take(need: Need, column: str, now: datetime) -> bool:
    """Mark the stage done for this need; False when another run got there first."""
    taken = db.session.execute(
        update(Need)
        .where(Need.id == need.id, getattr(Need, column).is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _send(kind: str, who: dict[int, list[Need]], days: int, now: datetime) -> int:
    for person_id, found in who.items():
        person = db.session.get(Person, person_id)
        if person is None:
            continue
        refs = "、".join(n.ref for n in found[:MAX_REFS]) + ("等" if len(found) > MAX_REFS else "")
        send_later(
            Message(
                kind,
                {"count": len(found), "days": days, "refs": refs},
                batch_key=f"{kind}:{found[0].id}:{now.isoformat()}",
                community_id=found[0].community_id,
            ),
            to=[person],
            now=now,
        )
    return len(who)


def chase(now: datetime) -> ChaseReport:
    """Tell grid leaders, then secretaries, of the needs waiting undecided too long."""
    today = today_of(now)
    report = ChaseReport()
    first = timedelta(days=setting("NEED_CHASE_DAYS"))
    second = timedelta(days=setting("NEED_CHASE_SECRETARY_DAYS"))
    waiting_since = func.coalesce(Need.open_since, Need.created_at)

    leaders: dict[int, list[Need]] = defaultdict(list)
    secretaries: dict[int, list[Need]] = defaultdict(list)
    direct: dict[int, list[Need]] = defaultdict(list)  # no grid leader to tell first
    due = db.session.scalars(
        select(Need)
        .where(
            Need.status == NeedStatus.OPEN,
            Need.chased_leader_at.is_(None),
            waiting_since <= now - first,
        )
        .order_by(Need.id)
        .limit(BATCH)
    ).all()
    for need in due:
        if not _take(need, "chased_leader_at", now):
            continue
        report.leader_needs += 1
        told = _leaders(need, today)
        if told:
            for person in told:
                leaders[person.id].append(need)
        elif _take(need, "chased_secretary_at", now):
            # No grid leader may decide it: the secretary hears at once, and once.
            for person in _secretaries(need, today):
                direct[person.id].append(need)
    later = db.session.scalars(
        select(Need)
        .where(
            Need.status == NeedStatus.OPEN,
            Need.chased_leader_at.isnot(None),
            Need.chased_secretary_at.is_(None),
            Need.chased_leader_at <= now - second,
        )
        .order_by(Need.id)
        .limit(BATCH)
    ).all()
    for need in later:
        if not _take(need, "chased_secretary_at", now):
            continue
        report.secretary_needs += 1
        for person in _secretaries(need, today):
            secretaries[person.id].append(need)
    report.told += _send("need_chase_leader", leaders, first.days, now)
    report.told += _send("need_chase_secretary", direct, first.days, now)
    report.told += _send("need_chase_secretary", secretaries, (first + second).days, now)
    db.session.flush()
    return report
