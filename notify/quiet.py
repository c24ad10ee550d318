"""Quiet hours: non-urgent messages wait until morning, in the community's local time.

The morning's messages are not all released at the end of quiet hours: each held SMS gets its
own release time, one every 1/SMS_RATE_PER_SECOND seconds after the last one already given
for that morning, so that the sweep hands them to the workers at the rate the provider takes
them, and the outbox can say when each will go.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select

from models import Community, Delivery, DeliveryState, db
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


def sms_rate() -> float:
    """Return the provider's send rate (SMS_RATE_PER_SECOND; 0: no limit)."""
    if not has_app_context():
        return 0.0
    return float(current_app.config.get("SMS_RATE_PER_SECOND", 0) or 0)


class Releases:
    """Hands out release times after quiet hours, spread at the provider's rate.

    One per batch of held messages (a send_later call, a worker's batch): the first time for
    a morning is read from the database (just after the latest release already given), the
    next ones follow in memory. Two batches held at the same moment by two processes may be
    given the same times; then those minutes are released at twice the rate, and the shared
    send rate (notify.ratelimit) still paces the sends: the times are a plan, not a promise.
    """

    def __init__(self, per_second: float) -> None:
        self.interval = timedelta(seconds=1 / per_second) if per_second > 0 else None
        self.following: dict[datetime, datetime] = {}

    def take(self, resume: datetime, channel: str) -> datetime:
        """Return when one message held until `resume` goes. Only SMS are paced: Telegram
        messages (no shared rate) go at `resume`."""
        if self.interval is None or channel != "sms":
            return resume
        slot = self.following.get(resume)
        if slot is None:
            latest = db.session.scalar(
                select(func.max(Delivery.not_before)).where(
                    Delivery.state == DeliveryState.DEFERRED,
                    Delivery.not_before >= resume,
                    Delivery.not_before < resume + timedelta(days=1),
                    Delivery.channel == "sms",
                )
            )
            slot = resume if latest is None else max(resume, latest + self.interval)
        self.following[resume] = slot + self.interval
        return slot
