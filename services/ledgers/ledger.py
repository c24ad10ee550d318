"""A ledger: every category's figures and rows for one scope and period."""

from __future__ import annotations

from dataclasses import dataclass

from services.ledgers.categories import Category, for_scope
from services.ledgers.periods import Period
from services.ledgers.rows import Part, Scope, Viewer

# Rows per category on the page (the export carries up to EXPORT_ROWS).
PAGE_ROWS = 50
# A bound on one category's rows in an export: a community's year of visits is tens of
# thousands; beyond this the sheet says the rest were left out.
EXPORT_ROWS = 50_000


@dataclass(frozen=True)
class Section:
    category: Category
    part: Part

    @property
    def title(self) -> str:
        return str(self.category.title)


@dataclass(frozen=True)
class Ledger:
    scope: Scope
    period: Period
    sections: list[Section]


def build(scope: Scope, period: Period, viewer: Viewer, *, limit: int = PAGE_ROWS) -> Ledger:
    return Ledger(
        scope,
        period,
        [Section(c, c.rows(scope, period, viewer, limit)) for c in for_scope(scope)],
    )
