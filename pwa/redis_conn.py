"""Redis for the web path: short timeouts and no retries, so Redis never blocks a page."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue


def web_redis() -> Redis:
    """Return the app's Redis client tuned to fail fast rather than hold up a request."""
    client: Redis | None = current_app.extensions.get("linli_redis")
    if client is None:
        client = Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_timeout=0.25,
            socket_connect_timeout=0.25,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        current_app.extensions["linli_redis"] = client
    return client


def queue() -> Queue:
    """Return the RQ queue every job of Linli goes through."""
    return Queue(current_app.config["RQ_QUEUE"], connection=web_redis())
