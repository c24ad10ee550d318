"""One clock: the community's time zone, "now" and "today", for every layer.

Every community in a deployment keeps China's civil time, so one zone serves them all.
Times are stored as aware UTC; dates a person sees (today, this month) are in ZONE.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def local(moment: datetime) -> datetime:
    """Return an aware moment as the community's wall-clock time."""
    return moment.astimezone(ZONE)


def local_now() -> datetime:
    """Return the community's wall-clock time now."""
    return utcnow().astimezone(ZONE)


def today_of(moment: datetime) -> date:
    """Return the community's calendar day at an aware moment."""
    return moment.astimezone(ZONE).date()


def today() -> date:
    """Return the community's calendar day now."""
    return today_of(utcnow())


def month_start(day: date) -> date:
    """Return the first day of the month that holds day."""
    return day.replace(day=1)


def at(day: date, clock: time) -> datetime:
    """Return the aware moment of a wall-clock time on a community calendar day."""
    return datetime.combine(day, clock, tzinfo=ZONE)
