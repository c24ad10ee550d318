"""A ledger's period: a month, a quarter or a year of local (Asia/Shanghai) days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _

from models.clock import at
from services.errors import InvalidInput

# The oldest period a ledger may ask for: before it no record was kept.
OLDEST = date(2000, 1, 1)
KINDS = ("month", "quarter", "year")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter or year
    first: date  # its first day

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def after(self) -> date:
        """The first day after the period."""
        return _add_months(self.first, self.months)

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    @property
    def month_starts(self) -> list[date]:
        return [_add_months(self.first, i) for i in range(self.months)]

    @property
    def start(self) -> datetime:
        return at(self.first, time())

    @property
    def end(self) -> datetime:
        """The first moment after the period, as an aware moment."""
        return at(self.after, time())

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.first.year}-{self.first.month:02d}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return str(self.first.year)

    def label(self) -> str:
        year = self.first.year
        if self.kind == "month":
            return _("%(year)d-%(month)02d", year=year, month=self.first.month)
        if self.kind == "quarter":
            return _("Q%(number)d %(year)d", number=(self.first.month - 1) // 3 + 1, year=year)
        return _("Year %(year)d", year=year)

    def previous(self) -> Period:
        return Period(self.kind, _add_months(self.first, -self.months))


def of(kind: str, day: date) -> Period:
    """The period of this kind that holds the day."""
    if kind == "month":
        return Period(kind, day.replace(day=1))
    if kind == "quarter":
        return Period(kind, date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))
    return Period("year", date(day.year, 1, 1))


def parse(text: str | None, today: date) -> Period:
    """Return the period typed as 2026-09 (a month), 2026-Q3 (a quarter) or 2026 (a year).

    Empty: the quarter just ended. Anything else, a period not yet begun or before any
    record is refused with a message saying what to type.
    """
    text = (text or "").strip()
    if not text:
        return of("quarter", today).previous()
    found: Period | None = None
    try:
        if m := _MONTH.match(text):
            found = Period("month", date(int(m[1]), int(m[2]), 1))
        elif m := _QUARTER.match(text):
            found = Period("quarter", date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1))
        elif m := _YEAR.match(text):
            found = Period("year", date(int(m[1]), 1, 1))
    except ValueError:
        found = None
    if found is None:
        raise InvalidInput(
            _("Write the period as a month (2026-09), a quarter (2026-Q3) or a year (2026).")
        )
    if found.first > today:
        raise InvalidInput(_("That period has not begun yet: pick this one or an earlier one."))
    if found.first < OLDEST:
        raise InvalidInput(_("That period is before any record: pick a later one."))
    return found


def choices(today: date) -> list[Period]:
    """What the picker offers: the last 12 months, 8 quarters and 3 years, newest first."""
    months = [Period("month", _add_months(today.replace(day=1), -i)) for i in range(12)]
    quarter = of("quarter", today)
    quarters = [quarter]
    for _i in range(7):
        quarters.append(quarters[-1].previous())
    years = [Period("year", date(today.year - i, 1, 1)) for i in range(3)]
    return quarters + months + years
