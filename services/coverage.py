"""Visit coverage: households visited this month out of all, per building, grid and community.

Every figure is a grouped count over indexed columns (household by building; HouseholdMonth by
building and month), so a community page costs the same few queries at district scale.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from models import (
    Building,
    Community,
    Grid,
    Household,
    HouseholdMonth,
    Person,
    Post,
    VisitReminder,
    VisitSettings,
    db,
)
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later
from notify.templates import MessageKind, register
from pwa.i18n import SHANGHAI
from services.errors import InvalidInput
from services.roster.areas import Area
from services.visits import ROW_COLUMNS, HouseholdRow, month_start


@dataclass
class Coverage:
    visited: int = 0
    total: int = 0

    @property
    def left(self) -> int:
        return self.total - self.visited

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.visited >= self.total


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def by(key: InstrumentedAttribute[int], area: Area, month: date) -> dict[int, Coverage]:
    """Return Coverage per value of `key` (Building.id, Building.grid_id or community_id)."""
    month = month_start(month)
    totals = db.session.execute(
        select(key, func.count(Household.id))
        .select_from(Household)
        .join(Building)
        .where(area.building_clause())
        .group_by(key)
    ).all()
    visited = db.session.execute(
        select(key, func.count(HouseholdMonth.household_id))
        .select_from(HouseholdMonth)
        .join(Building, Building.id == HouseholdMonth.building_id)
        .where(area.building_clause(), HouseholdMonth.month == month)
        .group_by(key)
    ).all()
    out: dict[int, Coverage] = {k: Coverage(total=n) for k, n in totals}
    for k, n in visited:
        out.setdefault(k, Coverage()).visited = n
    return out


def total(parts: Iterable[Coverage]) -> Coverage:
    out = Coverage()
    for part in parts:
        out.visited += part.visited
        out.total += part.total
    return out


@dataclass(frozen=True)
class MonthPoint:
    month: date
    visited: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.total) if self.total else 0


def month_clause(area: Area) -> ColumnElement[bool]:
    """Return a WHERE clause on HouseholdMonth for the area, using its own indexed columns."""
    parts: list[ColumnElement[bool]] = []
    if area.community_ids:
        parts.append(HouseholdMonth.community_id.in_(area.community_ids))
    if area.grid_ids:
        parts.append(HouseholdMonth.grid_id.in_(area.grid_ids))
    if area.building_ids:
        parts.append(HouseholdMonth.building_id.in_(area.building_ids))
    return or_(*parts) if parts else false()


def trend(
    area: Area, today: date, months: int = 12, households: int | None = None
) -> list[MonthPoint]:
    """Return visited households per month for the last `months` months, oldest first.

    The household count is today's for every month: households are rarely added or removed,
    and no history of the roster is kept. (A household-month row keeps the grid its building
    was in when visited.)
    """
    first = add_months(month_start(today), -(months - 1))
    rows = db.session.execute(
        select(HouseholdMonth.month, func.count())
        .where(month_clause(area), HouseholdMonth.month >= first)
        .group_by(HouseholdMonth.month)
    ).all()
    counts = {m: n for m, n in rows}
    if households is None:
        households = (
            db.session.scalar(
                select(func.count(Household.id)).join(Building).where(area.building_clause())
            )
            or 0
        )
    return [
        MonthPoint(add_months(first, i), counts.get(add_months(first, i), 0), households)
        for i in range(months)
    ]


def to_visit(area: Area, month: date, *, limit: int | None = 200) -> list[HouseholdRow]:
    """Return the area's households not yet visited in the month, building by building."""
    month = month_start(month)
    query = (
        select(*ROW_COLUMNS)
        .join(Building)
        .outerjoin(
            HouseholdMonth,
            and_(HouseholdMonth.household_id == Household.id, HouseholdMonth.month == month),
        )
        .where(area.building_clause(), HouseholdMonth.household_id.is_(None))
        .order_by(Building.compound, Building.name, Household.unit, Household.floor, Household.room)
    )
    if limit is not None:
        query = query.limit(limit)
    return [HouseholdRow(*row) for row in db.session.execute(query)]


@dataclass
class Report:
    month: date
    rows: list[tuple[str, str, str, int, int, int]]  # grid, building, compound, visited, total, %
    to_visit: list[HouseholdRow]


def report(area: Area, month: date) -> Report:
    """Return what the export holds: coverage per building, and every household still to visit."""
    figures = by(Building.id, area, month)
    buildings = db.session.scalars(
        select(Building)
        .where(area.building_clause())
        .options(selectinload(Building.grid))
        .join(Grid)
        .order_by(Grid.number, Building.compound, Building.name)
    ).all()
    rows = []
    for b in buildings:
        c = figures.get(b.id, Coverage())
        rows.append((b.grid.name, b.name, b.compound, c.visited, c.total, c.percent))
    return Report(month, rows, to_visit(area, month, limit=None))


def report_csv(data: Report, headers: list[str], household_headers: list[str]) -> bytes:
    """Return the report as CSV in UTF-8 with a BOM (so spreadsheet programs read the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in data.rows:
        writer.writerow(row)
    writer.writerow([])
    writer.writerow(household_headers)
    for h in data.to_visit:
        writer.writerow([h.compound, h.building, h.unit, h.room, h.contact_name])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(
    data: Report, headers: list[str], household_headers: list[str], titles: tuple[str, str]
) -> bytes:
    """Return the report as .xlsx: coverage on one sheet, households to visit on another."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = titles[0][:31]
    sheet.append(headers)
    for row in data.rows:
        sheet.append(list(row))
    second = book.create_sheet(titles[1][:31])
    second.append(household_headers)
    for h in data.to_visit:
        second.append([h.compound, h.building, h.unit, h.room, h.contact_name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- reminders through the queue ----------------------------------------------------------

VISIT_REMINDER = register(
    MessageKind(
        name="visit_reminder",
        zh="{building}：本月已走访{done}/{total}户，还剩{days}天。",
        en="{building}: {done}/{total} households visited this month, {days} days left.",
        example={"building": "楼栋3", "done": 14, "total": 22, "days": 9},
        description="Around day 20: a building head whose building is not fully visited.",
    )
)
VISIT_DIGEST = register(
    MessageKind(
        name="visit_digest",
        zh="{grid}本月走访：{lines}。还剩{days}天。",
        en="{grid} visits this month: {lines}. {days} days left.",
        example={"grid": "第一网格", "lines": "3号楼14/22、5号楼20/20", "days": 6},
        description="Around day 25: a grid leader's digest of their buildings.",
    )
)


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


def save_schedule(community_id: int, form: Mapping[str, object]) -> VisitSettings:
    """Set a community's reminder days and hours, checked (days 1-28, hours 0-23)."""
    values = []
    for name, low, high in (
        ("reminder_day", 1, 28),
        ("reminder_hour", 0, 23),
        ("digest_day", 1, 28),
        ("digest_hour", 0, 23),
    ):
        try:
            value = int(str(form.get(name, "")).strip())
        except ValueError:
            value = -1
        if not low <= value <= high:
            raise InvalidInput(
                _("Days are 1 to 28 and hours 0 to 23: check %(field)s.", field=name)
            )
        values.append(value)
    row = db.session.get(VisitSettings, community_id)
    if row is None:
        row = VisitSettings(community_id=community_id)
        db.session.add(row)
    row.reminder_day, row.reminder_hour, row.digest_day, row.digest_hour = values
    db.session.flush()
    return row


def _due(local: datetime, day: int, hour: int) -> bool:
    return (local.day, local.hour) >= (day, hour)


def _days_left(local: datetime) -> int:
    return (add_months(local.date(), 1) - local.date()).days - 1


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
    local = now.astimezone(SHANGHAI)
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
        figures = by(Building.id, area, month)
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
                c = figures.get(building_id, Coverage())
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
                parts = [(b, figures.get(b.id, Coverage())) for b in mine]
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
    db.session.flush()
    return sent
