"""Provider status reports: they may come late, twice or out of order, and only move forward."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models import Delivery, DeliveryState, db
from models.messages import STATE_RANK
from notify import reasons

TWILIO_STATUS = {
    "accepted": DeliveryState.SENDING,
    "queued": DeliveryState.SENDING,
    "sending": DeliveryState.SENDING,
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "undelivered": DeliveryState.UNDELIVERED,
    "failed": DeliveryState.FAILED,
}


def apply(provider_id: str, status: str, error_code: str | None, now: datetime) -> bool:
    """Move the delivery with this provider id forward to `status`; return True if it moved."""
    new_state = TWILIO_STATUS.get((status or "").lower())
    if new_state is None or not provider_id:
        return False
    delivery = db.session.scalar(select(Delivery).where(Delivery.provider_id == provider_id))
    if delivery is None:
        return False
    if STATE_RANK[new_state] <= STATE_RANK[DeliveryState(delivery.state)]:
        return False
    delivery.state = new_state
    delivery.note(now, f"status:{status}", code=error_code)
    if new_state in (DeliveryState.DELIVERED, DeliveryState.UNDELIVERED, DeliveryState.FAILED):
        delivery.finished_at = now
    if error_code and new_state in (DeliveryState.UNDELIVERED, DeliveryState.FAILED):
        delivery.error_code = error_code
        delivery.error_reason = reasons.reason(error_code)
    db.session.flush()
    return True
