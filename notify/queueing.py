"""Carrying deliveries to the workers through RQ, without ever making a person wait on Redis.

After a commit the new delivery ids go to a background thread that enqueues them with short
timeouts and no retries. If Redis is down or hung, nothing is lost: the rows stay "queued"
with no enqueued_at, and the periodic sweep queues them once Redis is back.
"""

from __future__ import annotations

import logging
import queue as stdlib_queue
import random
import threading
import time
from collections.abc import Iterable, Sequence

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from rq import Queue
from rq import Retry as JobRetry
from sqlalchemy import Select, select, update
from sqlalchemy.exc import SQLAlchemyError

from models import Delivery, DeliveryState, db, utcnow

log = logging.getLogger(__name__)

JOB = "tasks.deliveries.deliver_batch"
# Deliveries per job. A job claims its batch at once (state "sending"), sends it, then
# records every outcome. When SMS_RATE_PER_SECOND paces the sends, a batch is at most what
# that rate sends in PACED_BATCH_SECONDS: claimed rows must never look abandoned to the sweep
# (notify.dispatch.SENDING_STALE_SECONDS), even with every worker process sharing the rate.
BATCH_SIZE = 200
PACED_BATCH_SECONDS = 5.0
PACED_BATCH_LIMITS = (5, 1000)
# After a Redis failure, skip trying for this long: the sweep will catch up.
BACKOFF_SECONDS = 5.0
# A worker that dies after taking a job and before claiming its rows leaves them "queued",
# which the sweep would only notice after notify.sweep.LOST_JOB_SECONDS. RQ puts an
# abandoned job back on the queue when it has retries left (once the dead worker's heartbeat
# expires, ~90 s), so the batch goes on in 1.5 minutes rather than 10. Running a job twice
# is safe: the claim takes only rows still due.
JOB_RETRIES = 2


def redis_for_queueing(url: str) -> Redis:
    return Redis.from_url(
        url, socket_timeout=1.0, socket_connect_timeout=1.0, retry=Retry(NoBackoff(), 0)
    )


def batch_size(rate_per_second: float) -> int:
    """Return how many deliveries one job carries when SMS go at this rate (0: no limit)."""
    if rate_per_second <= 0:
        return BATCH_SIZE
    low, high = PACED_BATCH_LIMITS
    return max(low, min(high, int(rate_per_second * PACED_BATCH_SECONDS)))


def chunks(ids: Sequence[int], size: int = BATCH_SIZE) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def batches(ids: Sequence[int], rate_per_second: float) -> Iterable[list[int]]:
    """Cut ids into jobs. Paced, their sizes vary between half and all of batch_size().

    A worker sends nothing for a moment between jobs (its last replies, two commits), and
    meanwhile the others take its share of the rate. Equal jobs would keep the workers in
    step, all between jobs at once, losing that moment every job (4 % at 100 SMS/s);
    unequal ones spread the pauses out, so some worker is always sending.
    """
    size = batch_size(rate_per_second)
    if rate_per_second <= 0:
        yield from chunks(ids, size)
        return
    start = 0
    while start < len(ids):
        end = start + _jitter.randint(max(1, size // 2), size)
        yield list(ids[start:end])
        start = end


_jitter = random.Random()


def enqueue_now(ids: Sequence[int], *, redis: Redis, queue_name: str, timeout: int = 300) -> None:
    """Put delivery ids on the queue in batches and record when; raises if Redis fails."""
    q = Queue(queue_name, connection=redis)
    rate = float(current_app.config.get("SMS_RATE_PER_SECOND") or 0) if has_app_context() else 0
    waiting = sorted(set(ids))
    for batch in batches(waiting, rate):
        try:
            q.enqueue(
                JOB,
                batch,
                job_timeout=timeout,
                result_ttl=60,
                failure_ttl=86400,
                retry=JobRetry(max=JOB_RETRIES),
            )
        except RedisError:
            _never_queued(waiting)
            raise
        # A worker may be claiming these rows already: both lock them by increasing id.
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(locked_in_id_order(batch)))
            .values(enqueued_at=utcnow())
        )
        db.session.commit()
        waiting = waiting[len(batch) :]


def locked_in_id_order(ids: Sequence[int]) -> Select[int]:
    """The rows among ids, locked by increasing id (on PostgreSQL; SQLite locks the file).

    Every bulk UPDATE of deliveries that another process may be updating at the same moment
    (the hand-over's stamp, a worker's claim, the sweep) takes its rows through this, so all
    of them lock in one order and none waits on another that waits on it.
    """
    return (
        select(Delivery.id)
        .where(Delivery.id.in_(list(ids)))
        .order_by(Delivery.id)
        .with_for_update()
    )


def _never_queued(ids: Sequence[int]) -> None:
    """Mark these still-queued rows as never handed to Redis, so that the sweep queues them
    within NEVER_QUEUED_SECONDS once Redis is back, not LOST_JOB_SECONDS after an older
    hand-over (a row the sweep took from a dead worker, a fallback to another channel)."""
    try:
        db.session.rollback()
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(locked_in_id_order(ids)), Delivery.state == DeliveryState.QUEUED)
            .values(enqueued_at=None)
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not mark %d deliveries as never queued", len(ids))


class Enqueuer:
    """One background thread per process that hands committed deliveries to RQ."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pending: stdlib_queue.Queue[list[int]] = stdlib_queue.Queue()
        self.failed_at = 0.0
        self.idle = threading.Event()
        self.idle.set()
        self.thread = threading.Thread(target=self._run, name="linli-enqueuer", daemon=True)
        self.thread.start()

    def submit(self, ids: list[int]) -> None:
        self.idle.clear()
        self.pending.put(ids)

    def _run(self) -> None:
        while True:
            ids = self.pending.get()
            try:
                while not self.pending.empty():
                    ids.extend(self.pending.get_nowait())
                if time.monotonic() - self.failed_at < BACKOFF_SECONDS:
                    continue
                with self.app.app_context():
                    try:
                        enqueue_now(
                            ids,
                            redis=redis_for_queueing(self.app.config["REDIS_URL"]),
                            queue_name=self.app.config["RQ_QUEUE"],
                        )
                    except Exception:  # Redis down or hung: the sweep will queue them
                        self.failed_at = time.monotonic()
                        log.warning("could not queue %d deliveries; the sweep will", len(ids))
                    finally:
                        db.session.remove()
            finally:
                if self.pending.empty():
                    self.idle.set()

    def wait(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted has been handed over (tests and CLI use this)."""
        return self.idle.wait(timeout)


_lock = threading.Lock()


def enqueuer(app: Flask) -> Enqueuer:
    with _lock:
        found: Enqueuer | None = app.extensions.get("linli_enqueuer")
        if found is None:
            found = Enqueuer(app)
            app.extensions["linli_enqueuer"] = found
        return found


def enqueue_soon(ids: list[int]) -> None:
    """Queue delivery ids in the background; never blocks the caller on Redis."""
    if not ids or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    enqueuer(app).submit(list(ids))
