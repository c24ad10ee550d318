"""Quarters (季度) as the community counts them: local days, the first of Jan, Apr, Jul, Oct."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _

from models.clock import at


@dataclass(frozen=True)
class Quarter:
    first: date  # the quarter's first day

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))

    @classmethod
    def parse(cls, text: str | None) -> Quarter | None:
        """Return the quarter "2026-3" names (year, quarter number), or None."""
        year, _sep, number = (text or "").partition("-")
        if not (year.isdigit() and number in ("1", "2", "3", "4") and 2000 <= int(year) <= 2100):
            return None
        return cls(date(int(year), 3 * (int(number) - 1) + 1, 1))

    @property
    def number(self) -> int:
        return (self.first.month - 1) // 3 + 1

    @property
    def code(self) -> str:
        return f"{self.first.year}-{self.number}"

    @property
    def next(self) -> Quarter:
        month = self.first.month + 3
        return Quarter(date(self.first.year + (month > 12), (month - 1) % 12 + 1, 1))

    @property
    def previous(self) -> Quarter:
        month = self.first.month - 3
        return Quarter(date(self.first.year - (month < 1), (month - 1) % 12 + 1, 1))

    @property
    def start(self) -> datetime:
        return at(self.first, time(0, 0))

    @property
    def end(self) -> datetime:
        """The first moment after the quarter (the next one's start)."""
        return self.next.start

    def label(self) -> str:
        return _("Q%(number)d %(year)d", number=self.number, year=self.first.year)

    def sms_label(self) -> str:
        """How an SMS names it, always in Chinese (the summary's template is Chinese)."""
        return f"{self.first.year}年{self.number}季度"
