"""Orders past their window close by themselves (the periodic job).

One whose claimers reported some of it goes to its organiser to check; one with nothing
reported expires, and a need it came from goes back to whoever decided it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models import WorkOrder, db
from models.work_orders import LIVE_STATUSES
from services.work_orders.operations import expire

BATCH = 500


@dataclass
class ExpiryReport:
    to_check: int = 0
    expired: int = 0


def close_expired(now: datetime) -> ExpiryReport:
    """Close every live order whose window has ended (a batch per run; safe to repeat)."""
    report = ExpiryReport()
    orders = db.session.scalars(
        select(WorkOrder)
        .where(WorkOrder.status.in_(LIVE_STATUSES), WorkOrder.ends_at <= now)
        .order_by(WorkOrder.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for order in orders:
        if expire(order, now=now) == "expired":
            report.expired += 1
        else:
            report.to_check += 1
    db.session.flush()
    return report
