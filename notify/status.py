"""Provider status reports: they may come late, twice or out of order, and only move forward.

They may also come early: the provider can report "delivered" before the worker that sent the
message has written down its provider id (it writes outcomes about once a second). Such a report
is held in Redis for an hour, and applied by whichever side comes second: the worker, once it
has written the id, or the webhook, when it finds the id written after all.

A report that can be neither applied nor held (the database or Redis unavailable) raises:
the webhook then answers with an error, and the provider sends it again later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from models import Delivery, DeliveryState, db
from models.messages import STATE_RANK
from notify import reasons
from notify.channels.base import StatusReport
from notify.channels.twilio.status import state_of

log = logging.getLogger(__name__)

EARLY_KEY = "linli:early-status:"
# Which provider ids have reports held, scored by when: the worker asks once per write
# whether any of the ids it wrote are among them, rather than once per id.
EARLY_INDEX = "linli:early-status"
EARLY_TTL_SECONDS = 3600


def _known(provider_id: str) -> bool:
    found = db.session.scalar(select(Delivery.id).where(Delivery.provider_id == provider_id))
    return found is not None


def record(redis: Redis | None, report: StatusReport, now: datetime) -> bool:
    """Apply a provider's report; one about a message not written down yet is held for it.

    Raises RedisError when the report must be held and Redis cannot take it, and the
    database's errors as they come: the report was not recorded and must come again.
    """
    provider_id, status, error_code = report.provider_id, report.status, report.error_code
    if not provider_id or report.state is None:
        return False
    if _known(provider_id) or redis is None:
        return apply(provider_id, status, error_code, now)
    key = EARLY_KEY + provider_id
    try:
        with redis.pipeline() as pipe:
            pipe.rpush(key, json.dumps([status, error_code, now.isoformat()]))
            pipe.expire(key, EARLY_TTL_SECONDS)
            pipe.zadd(EARLY_INDEX, {provider_id: now.timestamp()})
            pipe.zremrangebyscore(EARLY_INDEX, "-inf", now.timestamp() - EARLY_TTL_SECONDS)
            pipe.expire(EARLY_INDEX, EARLY_TTL_SECONDS)
            pipe.execute()
    except RedisError:
        log.warning("status %s for %s arrived early and could not be held", status, provider_id)
        raise
    # The worker may have written the id (and looked for held reports) meanwhile: look again,
    # in a new transaction, which sees what it committed.
    db.session.commit()
    if _known(provider_id):
        return replay(redis, [provider_id]) > 0
    return False


def replay(redis: Redis, provider_ids: Iterable[str]) -> int:
    """Apply the held reports of these messages, now written down; return how many moved."""
    written = [i for i in provider_ids if i]
    if not written:
        return 0
    scores = redis.zmscore(EARLY_INDEX, written)
    ids = [i for i, score in zip(written, scores, strict=True) if score is not None]
    if not ids:
        return 0
    with redis.pipeline() as pipe:  # MULTI: a report is taken by one side only
        for provider_id in ids:
            pipe.lrange(EARLY_KEY + provider_id, 0, -1)
            pipe.delete(EARLY_KEY + provider_id)
        pipe.zrem(EARLY_INDEX, *ids)
        answers = pipe.execute()[:-1]
    moved = 0
    for provider_id, held in zip(ids, answers[::2], strict=True):
        for entry in held:
            status, error_code, at = json.loads(entry)
            moved += apply(provider_id, status, error_code, datetime.fromisoformat(at))
    return moved


def apply(provider_id: str, status: str, error_code: str | None, now: datetime) -> bool:
    """Move the delivery with this provider id forward to `status`; return True if it moved."""
    new_state = state_of(status)
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
