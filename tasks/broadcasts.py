"""Jobs: prepare a broadcast (recipients and deliveries, chunk by chunk) and sweep up the rest."""

from __future__ import annotations

import logging
import time

from flask import Flask
from redis import Redis
from sqlalchemy.exc import IntegrityError

from models import db, utcnow
from services.broadcasts import fanout
from tasks.app import job_context

log = logging.getLogger(__name__)

# Two jobs on the same broadcast (a sweep's and a late one) may record the same chunk; the
# loser reads again from the committed cursor, a few times at most.
RETRIES = 3
_redis: Redis | None = None


def _worker_redis(app: Flask) -> Redis:
    global _redis
    if _redis is None:
        _redis = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
    return _redis


def prepare(broadcast_id: int) -> str:
    """Fan a broadcast out, one committed chunk at a time; safe to run twice or after a crash."""
    with job_context() as app:
        started = time.monotonic()
        clashes = 0
        while True:
            try:
                step = fanout.prepare_step(broadcast_id, utcnow())
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                clashes += 1
                if clashes > RETRIES:
                    raise
                continue
            if step.finished:
                return step.status
            if time.monotonic() - started > fanout.TIME_BUDGET_SECONDS:
                # Far from any timeout: a fresh job goes on after the cursor.
                try:
                    fanout.enqueue_now(
                        [broadcast_id], redis=_worker_redis(app), queue_name=app.config["RQ_QUEUE"]
                    )
                except Exception:  # Redis gone: the sweep picks the broadcast up
                    log.warning("could not queue the rest of broadcast %d", broadcast_id)
                return step.status


def sweep() -> int:
    """Mark sent broadcasts done; queue those never queued, lost, or left by a dead job."""
    with job_context() as app:
        fanout.finish_sent(utcnow())
        db.session.commit()
        ids = fanout.due(utcnow())
        db.session.commit()
        if ids:
            fanout.enqueue_now(ids, redis=_worker_redis(app), queue_name=app.config["RQ_QUEUE"])
        return len(ids)
