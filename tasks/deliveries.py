"""Jobs that send deliveries and sweep up what was never queued or was left by a dead worker."""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis

from notify import queueing
from notify.dispatch import Dispatcher
from notify.sweep import sweep
from tasks.app import job_context

_dispatcher: Dispatcher | None = None
_redis: Redis | None = None


def _worker_redis(app: Flask) -> Redis:
    """The jobs' own client (the shared send rate, early reports, queueing): 1 s timeouts and
    no retries, so a Redis pause never holds a batch of claimed rows long enough for the sweep
    to take them for a dead worker's and send them again."""
    global _redis
    if _redis is None:
        _redis = queueing.redis_for_queueing(app.config["REDIS_URL"])
    return _redis


def dispatcher(app: Flask) -> Dispatcher:
    """Return this process's dispatcher (thread pool, provider clients, shared send rate)."""
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = Dispatcher(app.config, _worker_redis(app))
    return _dispatcher


def deliver_batch(ids: list[int]) -> int:
    """Send the deliveries with these ids that are still due; safe to run twice."""
    with job_context() as app:
        requeue = dispatcher(app).deliver(ids)
        if requeue:
            queueing.enqueue_now(
                requeue, redis=_worker_redis(app), queue_name=app.config["RQ_QUEUE"]
            )
        return len(ids)


def sweep_outbox() -> int:
    """Queue again what needs it: never queued, due after a deferral, left by a dead worker."""
    with job_context() as app:
        ids = sweep()
        if ids:
            queueing.enqueue_now(
                ids, redis=_worker_redis(app), queue_name=current_app.config["RQ_QUEUE"]
            )
        return len(ids)
