"""What every ledger category gives: its figures and its rows, and whose ledger it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, true

from models import db
from models.clock import today_of
from services.ledgers.periods import Period

T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    """Whose ledger: a community, one of its grids, or one post-holder's own work."""

    community_id: int
    community_name: str
    grid_id: int | None = None
    grid_name: str = ""
    person_id: int | None = None
    person_name: str = ""
    post_id: int | None = None

    @property
    def kind(self) -> str:
        if self.person_id is not None:
            return "post"
        return "grid" if self.grid_id is not None else "community"


@dataclass(frozen=True)
class Viewer:
    """What the person reading the ledger may see beyond counts and records' references."""

    # Residents' names, rooms and visit notes: their duty covers the ledger's households.
    personal: bool = False
    # Mediation cases of these grids (or all of these communities) show what the dispute was.
    dispute_grids: frozenset[int] = frozenset()
    dispute_communities: frozenset[int] = frozenset()

    def sees_dispute(self, community_id: int, grid_id: int) -> bool:
        return grid_id in self.dispute_grids or community_id in self.dispute_communities


@dataclass(frozen=True)
class Row:
    ref: str  # the record's code: N12, W3, T4, X5, M1, C2, H5, ...
    day: date
    place: str  # grid, building (a room only for those who may see it)
    who: str  # who did the work
    what: str
    outcome: str


@dataclass(frozen=True)
class Figure:
    code: str  # what tests and later features look it up by
    label: str
    value: int | float | str


@dataclass
class Part:
    """A category's figures for the period and its rows (at most `limit`; `more` if cut)."""

    figures: list[Figure] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    more: bool = False

    def figure(self, code: str) -> int | float | str | None:
        for found in self.figures:
            if found.code == code:
                return found.value
        return None


def day_of(moment: datetime | None) -> date | None:
    return today_of(moment) if moment is not None else None


def day_text(moment: datetime | None) -> str:
    found = day_of(moment)
    return found.isoformat() if found is not None else ""


def within(column: Any, period: Period) -> ColumnElement[bool]:
    """A stored moment inside the period ([start, end) on the community calendar)."""
    return (column >= period.start) & (column < period.end)


def matches(column: Any, value: int | None) -> ColumnElement[bool]:
    """`column == value`, or nothing to filter when the scope does not narrow it."""
    return true() if value is None else column == value


def cut(found: Sequence[T], limit: int) -> tuple[list[T], bool]:
    """The first `limit` of rows fetched with one extra, and whether there were more."""
    return list(found[:limit]), len(found) > limit


def count(query: Any) -> int:
    return int(db.session.scalar(query) or 0)


def short(text: str | None, length: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def count_func() -> Any:
    return func.count()
