"""Chasing work orders (the periodic job): announce again, escalate, remind before the window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Community, Person, Post, WorkOrder, WorkOrderReminder, db
from models.clock import today_of
from models.roles import Role
from models.work_orders import LIVE_STATUSES, OrderStatus
from notify import quiet
from services.work_groups import telling as work_groups
from services.work_orders.audiences import Audience, audience_people
from services.work_orders.operations import record, tell
from services.work_orders.queries import when_text

# Defaults, overridable in the app config.
DEFAULTS = {
    "WORK_ORDER_ANNOUNCE_AGAIN_HOURS": 2.0,
    "WORK_ORDER_ESCALATE_HOURS": 2.0,
    "WORK_ORDER_REMIND_BEFORE_HOURS": 2.0,
}


def setting(name: str) -> float:
    if has_app_context():
        return float(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


@dataclass
class ChaseReport:
    announced_again: int = 0
    escalated: int = 0
    reminded: int = 0
    skipped_quiet: int = 0


def _note_reminder(order: WorkOrder, person: Person, kind: str, now: datetime) -> bool:
    """Record a chase; False when this kind was sent before or the person had one today."""
    try:
        with db.session.begin_nested():
            db.session.add(
                WorkOrderReminder(
                    order_id=order.id,
                    person_id=person.id,
                    kind=kind,
                    day=today_of(now),
                    sent_at=now,
                )
            )
            db.session.flush()
    except IntegrityError:
        return False
    return True


def _chase_people(
    order: WorkOrder, kind: str, people: Iterable[Person], now: datetime, **extra: Any
) -> int:
    told = [p for p in people if _note_reminder(order, p, kind, now)]
    tell(order, f"work_order_{kind}", told, now, kind, **extra)
    for p in told:
        record(order, "reminded" if kind == "before_window" else kind, now, p, "system")
    return len(told)


def _escalation_people(order: WorkOrder, today: date) -> list[Person]:
    audience = Audience.from_json(order.audience)
    grids = set(audience.grids)
    if order.grid_id is not None:
        grids.add(order.grid_id)
    else:
        # A community-wide order: the leaders of the grids its audience serves in.
        people = [p.id for p in audience_people(order.community_id, audience, today)]
        for start in range(0, len(people), 5000):
            grids.update(
                g
                for g in db.session.scalars(
                    select(Post.grid_id)
                    .where(
                        Post.person_id.in_(people[start : start + 5000]),
                        Post.community_id == order.community_id,
                        Post.grid_id.isnot(None),
                        Post.active_on(today),
                    )
                    .distinct()
                )
                if g is not None
            )
    leaders = (
        select(Post.person_id).where(
            Post.role == Role.GRID_LEADER, Post.grid_id.in_(grids), Post.active_on(today)
        )
        if grids
        else None
    )
    secretaries = select(Post.person_id).where(
        Post.role == Role.SECRETARY, Post.community_id == order.community_id, Post.active_on(today)
    )
    ids = set(db.session.scalars(secretaries))
    if leaders is not None:
        ids.update(db.session.scalars(leaders))
    return list(db.session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.id)))


def reminder_due(order: WorkOrder, now: datetime, community: Community | None) -> bool:
    """Return whether claimers who have not started should be reminded now.

    Normally within REMIND_BEFORE of the start. When quiet hours would swallow that time
    (a 07:00 snow clearing), remind in the last hour before they begin, the evening before.
    """
    if now >= order.starts_at:
        return False
    lead = timedelta(hours=setting("WORK_ORDER_REMIND_BEFORE_HOURS"))
    if order.starts_at - now <= lead:
        return True
    if order.starts_at - now > timedelta(hours=16):
        return False
    resume = quiet.next_allowed(now + timedelta(hours=1), community)
    return resume is not None and resume + timedelta(minutes=30) > order.starts_at


def chase(now: datetime, today: date | None = None) -> ChaseReport:
    """Announce unclaimed orders once more, then escalate; remind claimers before the window.

    Safe to run any number of times: every chase is a unique row (order, person, kind) and
    nobody gets more than one per order per day (order, person, day). Nothing is sent in the
    community's quiet hours.
    """
    today = today or today_of(now)
    report = ChaseReport()
    again_after = timedelta(hours=setting("WORK_ORDER_ANNOUNCE_AGAIN_HOURS"))
    escalate_default = setting("WORK_ORDER_ESCALATE_HOURS")
    orders = db.session.scalars(
        select(WorkOrder)
        .where(WorkOrder.status.in_(LIVE_STATUSES), WorkOrder.ends_at > now)
        .order_by(WorkOrder.id)
    ).all()
    for order in orders:
        community = db.session.get(Community, order.community_id)
        if quiet.next_allowed(now, community) is not None:
            report.skipped_quiet += 1
            continue
        own = community.work_order_escalate_hours if community else None
        escalate_after = timedelta(hours=escalate_default if own is None else own)
        if order.status == OrderStatus.OPEN and order.announced_at is not None:
            soon = order.starts_at - now <= timedelta(hours=3)
            if soon:
                # Once per grid (the batch key): the work group can still find people.
                work_groups.order_short(order, when_text(order), now)
            # Each step runs on every pass while due: the reminder keys make it reach each
            # person once, and someone held back today (one chase a day) is reached tomorrow.
            if now - order.announced_at >= again_after or soon:
                holders = {c.person_id for c in order.active_claims()}
                people = [
                    p
                    for p in audience_people(
                        order.community_id,
                        Audience.from_json(order.audience),
                        today,
                        order.grid_id,
                    )
                    if p.id not in holders
                ]
                report.announced_again += _chase_people(order, "again", people, now)
                order.announced_again_at = order.announced_again_at or now
            if (
                order.announced_again_at is not None
                and order.announced_again_at < now
                and (now - order.announced_again_at >= escalate_after or soon)
            ):
                report.escalated += _chase_people(
                    order, "escalate", _escalation_people(order, today), now
                )
                order.escalated_at = order.escalated_at or now
        if reminder_due(order, now, community):
            waiting = [
                c.person
                for c in order.active_claims()
                if c.started_at is None and c.done_at is None
            ]
            report.reminded += _chase_people(order, "before_window", waiting, now)
    db.session.flush()
    return report
