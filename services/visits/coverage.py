"""Visit coverage: households visited this month out of all, per building, grid and community.

Every figure is a grouped count over indexed columns (household by building; HouseholdMonth by
building and month), so a community page costs the same few queries at district scale.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from models import Building, Grid, Household, HouseholdMonth, db
from models.clock import month_start
from services import exports
from services.exports import Cell
from services.roster.areas import Area
from services.visits.queries import ROW_COLUMNS, HouseholdRow


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
        .where(area.building_clause(), Household.current())
        .group_by(key)
    ).all()
    visited = db.session.execute(
        select(key, func.count(HouseholdMonth.household_id))
        .select_from(HouseholdMonth)
        .join(Building, Building.id == HouseholdMonth.building_id)
        # A household visited and then moved out counts in neither figure (total nor visited).
        .join(Household, Household.id == HouseholdMonth.household_id)
        .where(area.building_clause(), HouseholdMonth.month == month, Household.current())
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
                select(func.count(Household.id))
                .join(Building)
                .where(area.building_clause(), Household.current())
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
        .where(area.building_clause(), HouseholdMonth.household_id.is_(None), Household.current())
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


def _household_cells(h: HouseholdRow) -> list[Cell]:
    return [h.compound, h.building, h.unit, h.room, h.contact_name]


def report_csv(data: Report, headers: list[str], household_headers: list[str]) -> bytes:
    """Return the report as CSV in UTF-8 with a BOM (so spreadsheet programs read the Chinese).

    Names typed by people (contacts, buildings) go through services.exports: none can start a
    formula.
    """
    rows: list[Iterable[Cell]] = [headers, *data.rows, [], household_headers]
    rows.extend(_household_cells(h) for h in data.to_visit)
    return exports.csv_bytes(rows)


def report_xlsx(
    data: Report, headers: list[str], household_headers: list[str], titles: tuple[str, str]
) -> bytes:
    """Return the report as .xlsx: coverage on one sheet, households to visit on another."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = titles[0][:31]
    exports.append_row(sheet, headers)
    for row in data.rows:
        exports.append_row(sheet, row)
    second = book.create_sheet(titles[1][:31])
    exports.append_row(second, household_headers)
    for h in data.to_visit:
        exports.append_row(second, _household_cells(h))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
