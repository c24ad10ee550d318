"""Carrying deliveries to the workers through RQ, without ever making a person wait on Redis.

After a commit the new delivery ids go to a background thread that enqueues them with short
timeouts and no retries. If Redis is down or hung, nothing is lost: the rows stay "queued"
with no enqueued_at, and the periodic sweep queues them once Redis is back.
"""

from __future__ import annotations

import logging
import queue as stdlib_queue
import threading
import time
from collections.abc import Iterable, Sequence

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from sqlalchemy import update

from models import Delivery, db, utcnow

log = logging.getLogger(__name__)

JOB = "tasks.deliveries.deliver_batch"
BATCH_SIZE = 50
# After a Redis failure, skip trying for this long: the sweep will catch up.
BACKOFF_SECONDS = 5.0


def redis_for_queueing(url: str) -> Redis:
    return Redis.from_url(
        url, socket_timeout=1.0, socket_connect_timeout=1.0, retry=Retry(NoBackoff(), 0)
    )


def chunks(ids: Sequence[int], size: int = BATCH_SIZE) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def enqueue_now(ids: Sequence[int], *, redis: Redis, queue_name: str, timeout: int = 300) -> None:
    """Put delivery ids on the queue in batches and record when; raises if Redis fails."""
    q = Queue(queue_name, connection=redis)
    for batch in chunks(sorted(set(ids))):
        q.enqueue(JOB, batch, job_timeout=timeout, result_ttl=60, failure_ttl=86400)
        db.session.execute(
            update(Delivery).where(Delivery.id.in_(batch)).values(enqueued_at=utcnow())
        )
        db.session.commit()


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
