"""What a roster import did, row by row and in all: the report the secretary reads.

It must say the truth: what was created, updated, left unchanged, skipped and refused, with
row numbers and reasons, and whether anything was saved at all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from flask_babel import gettext as _


class Outcome(enum.StrEnum):
    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"  # kept as it is on purpose: a resident marked deceased, moved out
    REJECTED = "rejected"


class Sheet(enum.StrEnum):
    RESIDENTS = "residents"
    POSTS = "posts"
    PARTNERS = "partners"


def outcome_labels() -> dict[Outcome, str]:
    """Return each outcome's readable name, looked up once per page rather than per row."""
    return {
        Outcome.IMPORTED: _("Imported"),
        Outcome.UPDATED: _("Updated"),
        Outcome.UNCHANGED: _("Unchanged"),
        Outcome.SKIPPED: _("Skipped"),
        Outcome.REJECTED: _("Rejected"),
    }


def sheet_labels() -> dict[Sheet, str]:
    return {
        Sheet.RESIDENTS: _("Residents"),
        Sheet.POSTS: _("Posts"),
        Sheet.PARTNERS: _("Partner units"),
    }


@dataclass
class RowResult:
    row: int
    name: str
    household: str  # the address for a resident, the area for a post, the kind for a unit
    outcome: Outcome
    reason: str = ""
    changed: list[str] = field(default_factory=list)
    sheet: Sheet = Sheet.RESIDENTS


@dataclass
class ImportReport:
    filename: str
    rows: list[RowResult] = field(default_factory=list)
    households_created: int = 0
    buildings_created: list[str] = field(default_factory=list)
    grids_created: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)

    def count(self, outcome: Outcome, sheet: Sheet | None = None) -> int:
        return sum(
            1
            for row in self.rows
            if row.outcome == outcome and (sheet is None or row.sheet == sheet)
        )

    def of(self, sheet: Sheet) -> list[RowResult]:
        return [row for row in self.rows if row.sheet == sheet]

    @property
    def rejected(self) -> list[RowResult]:
        return [row for row in self.rows if row.outcome == Outcome.REJECTED]

    def rejected_rows(self, labels: dict[Sheet, str]) -> str:
        """Return the refused rows' numbers, by sheet when the workbook had several."""
        parts = []
        for sheet in self.sheets:
            numbers = ", ".join(str(r.row) for r in self.rejected if r.sheet == sheet)
            if numbers:
                parts.append(f"{labels[sheet]} {numbers}" if len(self.sheets) > 1 else numbers)
        return "; ".join(parts)

    @property
    def committed(self) -> bool:
        """Whether the import saved anything (it is saved whole, refused rows left out)."""
        return bool(
            self.households_created
            or self.buildings_created
            or self.grids_created
            or any(row.outcome in (Outcome.IMPORTED, Outcome.UPDATED) for row in self.rows)
        )
