"""The outbox's sweep: deliveries a worker should have sent and did not, queued again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from models import Delivery, DeliveryState, db, utcnow
from models.base import writing
from notify.queueing import locked_in_id_order

log = logging.getLogger(__name__)

SENDING_STALE_SECONDS = 90
NEVER_QUEUED_SECONDS = 10
LOST_JOB_SECONDS = 600


def sweep(now: datetime | None = None, limit: int = 20000) -> list[int]:
    """Find deliveries that need queueing again; return their ids (the caller enqueues).

    - "sending" for too long: the worker died. It may have reached the provider, so it is
      marked uncertain and sent again: every recipient gets it, a few perhaps twice.
    - "queued" but never handed to Redis (it was down), or handed over long ago and lost.
    - "deferred" and now due (quiet hours over, retry time reached).
    """
    with writing():
        return _sweep(now or utcnow(), limit)


def _sweep(now: datetime, limit: int) -> list[int]:
    db.session.commit()
    stale = now - timedelta(seconds=SENDING_STALE_SECONDS)
    lost = list(
        db.session.scalars(
            select(Delivery.id)
            .where(Delivery.state == DeliveryState.SENDING, Delivery.claimed_at < stale)
            .limit(limit)
        )
    )
    if lost:
        db.session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(locked_in_id_order(lost)), Delivery.state == DeliveryState.SENDING
            )
            .values(state=DeliveryState.QUEUED, uncertain=True, claim_token=None, updated_at=now)
        )
        log.warning("%d deliveries were left sending by a dead worker; sending again", len(lost))
    due = list(
        db.session.scalars(
            select(Delivery.id)
            .where(
                or_(
                    (Delivery.state == DeliveryState.QUEUED)
                    & (
                        (
                            Delivery.enqueued_at.is_(None)
                            & (Delivery.created_at < now - timedelta(seconds=NEVER_QUEUED_SECONDS))
                        )
                        | (Delivery.enqueued_at < now - timedelta(seconds=LOST_JOB_SECONDS))
                    ),
                    (Delivery.state == DeliveryState.DEFERRED) & (Delivery.not_before <= now),
                )
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
    )
    db.session.commit()
    return sorted(set(lost) | set(due))
