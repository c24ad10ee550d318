"""Quiet hours: non-urgent messages wait until morning, in the community's local time."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from models import Community
from models.clock import ZONE

DEFAULT_FROM = time(21, 0)
DEFAULT_UNTIL = time(8, 0)


def next_allowed(now: datetime, community: Community | None) -> datetime | None:
    """Return when a non-urgent message may go, or None if it may go now."""
    start = community.quiet_from if community and community.quiet_from else DEFAULT_FROM
    end = community.quiet_until if community and community.quiet_until else DEFAULT_UNTIL
    local = now.astimezone(ZONE)
    t = local.time()
    if start == end:
        return None
    # A window that crosses midnight (21:00–08:00) is "after start or before end".
    in_quiet = (t >= start or t < end) if start > end else (start <= t < end)
    if not in_quiet:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    resume = datetime.combine(day, end, tzinfo=ZONE)
    return resume.astimezone(now.tzinfo)


def start_of_local_day(now: datetime) -> datetime:
    local = now.astimezone(ZONE)
    return datetime.combine(local.date(), time(0, 0), tzinfo=ZONE).astimezone(now.tzinfo)
