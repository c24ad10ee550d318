"""The street's figures (街道): each community of a street side by side, or one community's grids.

Every figure is counted by one statement over the whole street (or community) at once,
grouped by community or by grid, never a query per row: a street of 50 communities costs what
a street of 5 does, plus the rows it counts through indexes. Counts only, no names.

The figures of a month: households visited (coverage), needs answered (and of those, answered
within ANSWER_DAYS of being raised), needs raised, wishes posted, fulfilled and escalated.
The figures of now: households, needs open and in hand, wishes open on the problem wall.

A later issue adds the assessment ranking and the ledgers here: another field on `Figures`
and its part in `figures`, and the pages show it as one more sortable column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from flask_babel import gettext as _
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Date,
    Integer,
    Select,
    bindparam,
    distinct,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute

from models import (
    Building,
    BuildingCount,
    BuildingMonth,
    Community,
    Grid,
    Need,
    NeedStatus,
    Street,
    Wish,
    WishEvent,
    db,
)
from models.base import UTCDateTime
from models.clock import at, month_start
from models.wishes import WishStatus
from services.errors import DomainError
from services.visits import coverage

# A need counts as answered in time when its answer went out within this many days.
ANSWER_DAYS = 7
# How far back the month picker goes: the records kept for the ledgers (a few years).
OLDEST_MONTH = date(2000, 1, 1)

By = Literal["community", "grid"]


@dataclass
class Figures:
    households: int = 0
    visited: int = 0
    needs_open: int = 0
    needs_in_hand: int = 0
    needs_raised: int = 0
    needs_answered: int = 0
    needs_answered_in_time: int = 0
    wishes_open: int = 0
    wishes_posted: int = 0
    wishes_fulfilled: int = 0
    wishes_escalated: int = 0

    @property
    def coverage(self) -> int:
        """Households visited in the month, in percent of those living here."""
        return round(100 * self.visited / self.households) if self.households else 0

    @property
    def in_time(self) -> int:
        """Needs answered within ANSWER_DAYS, in percent of those answered in the month."""
        if not self.needs_answered:
            return 0
        return round(100 * self.needs_answered_in_time / self.needs_answered)

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


# What a page may sort by: every figure, and the percentages.
SORT_KEYS = (
    "name",
    "households",
    "coverage",
    "visited",
    "needs_open",
    "needs_in_hand",
    "needs_raised",
    "needs_answered",
    "in_time",
    "wishes_open",
    "wishes_posted",
    "wishes_fulfilled",
    "wishes_escalated",
)


@dataclass(frozen=True)
class Row:
    id: int | None  # the community's or grid's id; None: needs of no grid (community-wide)
    name: str
    code: str  # a community's code (its pages' addresses); "" for a grid
    figures: Figures


def parse_month(text: str | None, today: date) -> date:
    """Return the first day of the month typed as YYYY-MM (this month when empty).

    Raises DomainError for anything else, or a month not yet begun.
    """
    if not text:
        return month_start(today)
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        picked = date(year, month, 1)
    except ValueError:
        raise DomainError(
            _("The month must be written as year-month, for example 2026-03.")
        ) from None
    if picked > month_start(today):
        raise DomainError(_("That month has not begun yet: pick this month or an earlier one."))
    if picked < OLDEST_MONTH:
        raise DomainError(_("That month is before any record: pick a later one."))
    return picked


def _next_month(month: date) -> date:
    return coverage.add_months(month, 1)


def _span(month: date) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, on the community calendar."""
    return at(month, time()), at(_next_month(month), time())


def _answered_within(days: int) -> ColumnElement[bool]:
    # The time between two stored moments: SQLite keeps them as text, PostgreSQL as timestamps.
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(Need.answered_at) - func.julianday(Need.created_at) <= days
    return Need.answered_at - Need.created_at <= timedelta(days=days)


# Each part of the one statement `figures` runs: its label, and the figure(s) it fills.
_PARTS = {
    "households": ("households",),
    "visited": ("visited",),
    "needs_open": ("needs_open",),
    "needs_in_hand": ("needs_in_hand",),
    "needs_raised": ("needs_raised",),
    "needs_answered": ("needs_answered", "needs_answered_in_time"),
    "wishes_open": ("wishes_open",),
    "wishes_posted": ("wishes_posted",),
    "wishes_fulfilled": ("wishes_fulfilled",),
    "wishes_escalated": ("wishes_escalated",),
}


def _part(label: str, key: Any, *counts: Any) -> Select[Any]:
    second = counts[1] if len(counts) > 1 else literal(0)
    return select(literal(label).label("part"), key.label("key"), counts[0], second)


def _escalated(by: By) -> Select[Any]:
    # An event keeps its wish's community: per community it is counted from its index alone.
    if by == "community":
        return _part(
            "wishes_escalated", WishEvent.community_id, func.count(distinct(WishEvent.wish_id))
        )
    return _part("wishes_escalated", Wish.grid_id, func.count(distinct(WishEvent.wish_id))).join(
        Wish, Wish.id == WishEvent.wish_id
    )


def _statement(by: By) -> CompoundSelect[Any]:
    """The one statement of `figures`, with its values as parameters: `ids` (the
    communities), `began` and `ends` (the month's first moment and the next month's), `month`.
    """
    ids: BindParameter[int] = bindparam("ids", type_=Integer(), expanding=True)
    # Typed as the columns they meet: a moment is stored as text on SQLite.
    began: BindParameter[datetime] = bindparam("began", type_=UTCDateTime())
    ends: BindParameter[datetime] = bindparam("ends", type_=UTCDateTime())
    month: BindParameter[date] = bindparam("month", type_=Date())
    place_key: InstrumentedAttribute[int] = (
        Building.community_id if by == "community" else Building.grid_id
    )
    # A need may belong to no grid (community-wide): its key is None.
    need_key: InstrumentedAttribute[Any] = Need.community_id if by == "community" else Need.grid_id
    wish_key: InstrumentedAttribute[Any] = Wish.community_id if by == "community" else Wish.grid_id
    buildings = Building.community_id.in_(ids)
    needs = Need.community_id.in_(ids)
    wishes = Wish.community_id.in_(ids)
    answered = func.count().filter(_answered_within(ANSWER_DAYS))
    parts: list[Select[Any]] = [
        # Coverage as the coverage page counts it (households living here, visited).
        _part("households", place_key, func.sum(BuildingCount.households))
        .join(Building, Building.id == BuildingCount.building_id)
        .where(buildings)
        .group_by(place_key),
        _part("visited", place_key, func.sum(BuildingMonth.visited))
        .join(Building, Building.id == BuildingMonth.building_id)
        .where(buildings, BuildingMonth.month == month)
        .group_by(place_key),
        _part("needs_open", need_key, func.count())
        .where(needs, Need.status == NeedStatus.OPEN)
        .group_by(need_key),
        _part("needs_in_hand", need_key, func.count())
        .where(needs, Need.status == NeedStatus.IN_HAND)
        .group_by(need_key),
        _part("needs_raised", need_key, func.count())
        .where(needs, Need.created_at >= began, Need.created_at < ends)
        .group_by(need_key),
        _part("needs_answered", need_key, func.count(), answered)
        .where(
            needs,
            Need.status == NeedStatus.ANSWERED,
            Need.answered_at >= began,
            Need.answered_at < ends,
        )
        .group_by(need_key),
        _part("wishes_open", wish_key, func.count())
        .where(wishes, Wish.status == WishStatus.OPEN)
        .group_by(wish_key),
        _part("wishes_posted", wish_key, func.count())
        .where(wishes, Wish.posted_at >= began, Wish.posted_at < ends)
        .group_by(wish_key),
        _part("wishes_fulfilled", wish_key, func.count())
        .where(
            wishes,
            Wish.status.in_((WishStatus.FULFILLED, WishStatus.CONFIRMED)),
            Wish.fulfilled_at >= began,
            Wish.fulfilled_at < ends,
        )
        .group_by(wish_key),
        # A wish escalated twice in the month counts once.
        _escalated(by)
        .where(
            WishEvent.community_id.in_(ids),
            WishEvent.action == "escalated",
            WishEvent.at >= began,
            WishEvent.at < ends,
        )
        .group_by(WishEvent.community_id if by == "community" else Wish.grid_id),
    ]
    return union_all(*parts)


# Built once per kind and database: building the statement, and SQLAlchemy's key for its cache
# of compiled statements, cost more CPU than the database spent counting.
_STATEMENTS: dict[tuple[By, str], CompoundSelect[Any]] = {}


def figures(community_ids: Iterable[int], month: date, by: By) -> dict[int | None, Figures]:
    """Return the figures of these communities, per community or per grid, for the month.

    One statement whatever the number of communities: a UNION ALL of grouped counts, each
    reading its own index. Households and households visited come from the per-building
    tallies (services/tallies: 1,500 rows a street, not 150,000 households); needs and wishes
    from indexes holding every column they read, a month's worth of entries.
    """
    ids = frozenset(community_ids)
    out: dict[int | None, Figures] = {}
    if not ids:
        return out
    began, ends = _span(month)
    dialect = db.session.get_bind().dialect.name
    statement = _STATEMENTS.get((by, dialect))
    if statement is None:
        statement = _STATEMENTS[(by, dialect)] = _statement(by)
    values = {"ids": sorted(ids), "began": began, "ends": ends, "month": month}
    for label, key, first, second in db.session.execute(statement, values):
        row = out.setdefault(key, Figures())
        for name, value in zip(_PARTS[label], (first, second), strict=False):
            setattr(row, name, int(value or 0))
    return out


def street_communities(street: Street) -> list[Community]:
    """Return the street's communities, by name."""
    return list(
        db.session.scalars(
            select(Community)
            .where(Community.street_id == street.id)
            .order_by(Community.name, Community.id)
        )
    )


def street_rows(street: Street, month: date) -> list[Row]:
    """Return one row per community of the street, by name."""
    communities = street_communities(street)
    found = figures([c.id for c in communities], month, "community")
    return [Row(c.id, c.name, c.code, found.get(c.id, Figures())) for c in communities]


def grid_rows(community: Community, month: date) -> list[Row]:
    """Return one row per grid of the community, by number; then community-wide needs (no
    grid) if there are any."""
    grids = db.session.execute(
        select(Grid.id, Grid.name).where(Grid.community_id == community.id).order_by(Grid.number)
    ).all()
    found = figures([community.id], month, "grid")
    rows = [Row(grid_id, name, "", found.get(grid_id, Figures())) for grid_id, name in grids]
    if None in found:
        rows.append(Row(None, "", "", found[None]))
    return rows


def total(rows: Iterable[Row]) -> Figures:
    out = Figures()
    for r in rows:
        out.add(r.figures)
    return out


def sort_rows(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """Return the rows sorted by a figure (or the name); ties by name. Unknown keys: by name."""
    if key not in SORT_KEYS or key == "name":
        return sorted(rows, key=lambda r: r.name, reverse=descending)
    ordered = sorted(rows, key=lambda r: r.name)
    return sorted(ordered, key=lambda r: getattr(r.figures, key), reverse=descending)
