"""The periods assessed: a quarter (1-4) or the year-end (quarter 0, 年度)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _

from models.clock import at
from services.errors import DomainError

YEAR = 0  # the quarter number of the year-end assessment
_CODE = re.compile(r"^(\d{4})-(Q[1-4]|Y)$")


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int  # 1-4, or YEAR

    @property
    def starts(self) -> date:
        return date(self.year, 1 if self.quarter == YEAR else 3 * self.quarter - 2, 1)

    @property
    def ends(self) -> date:
        """The first day after the period."""
        if self.quarter in (YEAR, 4):
            return date(self.year + 1, 1, 1)
        return date(self.year, 3 * self.quarter + 1, 1)

    def span(self) -> tuple[datetime, datetime]:
        """Its first moment and the next period's, on the community's calendar."""
        return at(self.starts, time()), at(self.ends, time())

    def months(self, today: date) -> list[date]:
        """The first days of its months that have begun by `today`."""
        months = []
        month = self.starts
        while month < self.ends and month <= today:
            months.append(month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return months

    @property
    def code(self) -> str:
        return f"{self.year}-{'Y' if self.quarter == YEAR else f'Q{self.quarter}'}"

    @property
    def label(self) -> str:
        if self.quarter == YEAR:
            return _("%(year)s year-end", year=self.year)
        return _("%(year)s Q%(quarter)s", year=self.year, quarter=self.quarter)


def parse(code: str) -> Period:
    """Read "2026-Q3" or "2026-Y"; a period that is not one is refused with a message."""
    found = _CODE.match(code.strip())
    if not found or not 2000 <= int(found.group(1)) <= 2100:
        raise DomainError(_("Choose a quarter or the year, such as 2026-Q3 or 2026-Y."))
    year, part = int(found.group(1)), found.group(2)
    return Period(year, YEAR if part == "Y" else int(part[1]))


def quarter_of(day: date) -> Period:
    return Period(day.year, (day.month - 1) // 3 + 1)


def previous_quarter(day: date) -> Period:
    current = quarter_of(day)
    if current.quarter == 1:
        return Period(day.year - 1, 4)
    return Period(day.year, current.quarter - 1)


def choices(today: date) -> list[Period]:
    """The periods one may assess today: this year's begun quarters and year, and last year's."""
    found = []
    for year in (today.year, today.year - 1):
        for quarter in (4, 3, 2, 1, YEAR):
            period = Period(year, quarter)
            if period.starts <= today:
                found.append(period)
    return found
