"""The month's reminders to building heads and digests to grid leaders, on each community's days.

Around day 20 a building head whose building is not fully visited hears how far along it is;
around day 25 a grid leader gets a digest of their buildings. Each community may set its own
days and hours; what went out is recorded (VisitReminder), so a repeat sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import (
    Building,
    Community,
    Grid,
    Person,
    Post,
    VisitReminder,
    VisitSettings,
    clock,
    db,
)
from models.clock import month_start
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later
from services.errors import InvalidInput
from services.roster.areas import Area
from services.visits import coverage
from services.work_groups import telling as work_groups

DAYS = (1, 28)
HOURS = (0, 23)


@dataclass(frozen=True)
class Schedule:
    reminder_day: int
    reminder_hour: int
    digest_day: int
    digest_hour: int


def schedule_of(community_id: int, defaults: Schedule) -> Schedule:
    row = db.session.get(VisitSettings, community_id)
    if row is None:
        return defaults
    return Schedule(row.reminder_day, row.reminder_hour, row.digest_day, row.digest_hour)


def check_schedule(schedule: Schedule) -> None:
    """Refuse a day outside 1-28 or an hour outside 0-23, naming the field."""
    for name, value, low, high in (
        ("reminder_day", schedule.reminder_day, *DAYS),
        ("reminder_hour", schedule.reminder_hour, *HOURS),
        ("digest_day", schedule.digest_day, *DAYS),
        ("digest_hour", schedule.digest_hour, *HOURS),
    ):
        if not low <= value <= high:
            raise InvalidInput(
                _("Days are 1 to 28 and hours 0 to 23: check %(field)s.", field=name)
            )


def save_schedule(community_id: int, schedule: Schedule) -> VisitSettings:
    """Set a community's reminder days and hours, checked (days 1-28, hours 0-23)."""
    check_schedule(schedule)
    row = db.session.get(VisitSettings, community_id)
    if row is None:
        row = VisitSettings(community_id=community_id)
        db.session.add(row)
    row.reminder_day = schedule.reminder_day
    row.reminder_hour = schedule.reminder_hour
    row.digest_day = schedule.digest_day
    row.digest_hour = schedule.digest_hour
    db.session.flush()
    return row


def _due(local: datetime, day: int, hour: int) -> bool:
    return (local.day, local.hour) >= (day, hour)


def _days_left(local: datetime) -> int:
    return (coverage.add_months(local.date(), 1) - local.date()).days - 1


def _record(kind: str, month: date, person: Person, target_id: int, community_id: int) -> bool:
    """Record that a reminder goes out; False when it already went (this month, this person)."""
    try:
        with db.session.begin_nested():
            db.session.add(
                VisitReminder(
                    kind=kind,
                    month=month,
                    person_id=person.id,
                    target_id=target_id,
                    community_id=community_id,
                )
            )
            db.session.flush()
    except IntegrityError:
        return False
    return True


@dataclass
class Sent:
    reminders: int = 0
    digests: int = 0


def send_reminders(now: datetime, defaults: Schedule) -> Sent:
    """Send the month's reminders and digests that are due and not yet sent; safe to repeat."""
    local = clock.local(now)
    today = local.date()
    month = month_start(today)
    sent = Sent()
    for community in db.session.scalars(select(Community).order_by(Community.id)):
        plan = schedule_of(community.id, defaults)
        remind = _due(local, plan.reminder_day, plan.reminder_hour)
        digest = _due(local, plan.digest_day, plan.digest_hour)
        if not (remind or digest):
            continue
        area = Area(community_ids=frozenset({community.id}))
        figures = coverage.by(Building.id, area, month)
        buildings = db.session.scalars(
            select(Building)
            .where(Building.community_id == community.id)
            .order_by(Building.compound, Building.name)
        ).all()
        days = _days_left(local)
        if remind:
            heads = db.session.execute(
                select(Post.building_id, Person)
                .join(Person, Person.id == Post.person_id)
                .where(
                    Post.community_id == community.id,
                    Post.role == Role.BUILDING_HEAD,
                    Post.active_on(today),
                    Person.active.is_(True),
                )
            ).all()
            names = {b.id: b.name for b in buildings}
            for building_id, person in heads:
                if building_id is None:
                    continue
                c = figures.get(building_id, coverage.Coverage())
                if c.total == 0 or c.complete:
                    continue  # a fully visited building gets no reminder
                if not _record("head", month, person, building_id, community.id):
                    continue
                params = {
                    "building": names.get(building_id, ""),
                    "done": c.visited,
                    "total": c.total,
                    "days": days,
                }
                send_later(
                    Message(
                        "visit_reminder",
                        params,
                        batch_key=f"visit-reminder:{month:%Y-%m}:{building_id}",
                        community_id=community.id,
                    ),
                    to=[person],
                    now=now,
                )
                sent.reminders += 1
        if digest:
            leaders = db.session.execute(
                select(Post.grid_id, Person)
                .join(Person, Person.id == Post.person_id)
                .where(
                    Post.community_id == community.id,
                    Post.role == Role.GRID_LEADER,
                    Post.active_on(today),
                    Person.active.is_(True),
                )
            ).all()
            grid_names = dict(
                db.session.execute(
                    select(Grid.id, Grid.name).where(Grid.community_id == community.id)
                ).all()
            )
            for grid_id, person in leaders:
                if grid_id is None:
                    continue
                mine = [b for b in buildings if b.grid_id == grid_id]
                parts = [(b, figures.get(b.id, coverage.Coverage())) for b in mine]
                if not parts or all(c.complete or c.total == 0 for _b, c in parts):
                    continue  # every building visited: nothing to chase
                if not _record("digest", month, person, grid_id, community.id):
                    continue
                lines = "、".join(f"{b.name}{c.visited}/{c.total}" for b, c in parts if c.total)
                send_later(
                    Message(
                        "visit_digest",
                        {"grid": grid_names.get(grid_id, ""), "lines": lines, "days": days},
                        batch_key=f"visit-digest:{month:%Y-%m}:{grid_id}",
                        community_id=community.id,
                    ),
                    to=[person],
                    now=now,
                )
                sent.digests += 1
            for grid_id in sorted({b.grid_id for b in buildings}):
                # The work group's copy, whether or not a leader is in post (once a month:
                # its batch key). Grids without a robot get nothing.
                counts = [
                    (b.label, c.visited, c.total)
                    for b in buildings
                    if b.grid_id == grid_id
                    for c in [figures.get(b.id, coverage.Coverage())]
                ]
                work_groups.visit_digest(grid_id, community.id, month, counts, days, now)
    db.session.flush()
    return sent
