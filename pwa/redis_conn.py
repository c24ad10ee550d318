"""Redis for the web path: short timeouts, no retries and a breaker, so Redis never blocks a page.

Every request that touches Redis (the health check, a status report held for the worker, the
queue's depth) goes through `web_redis()`. Each command waits at most `TIMEOUT_SECONDS` to
connect and as long for an answer, and is never retried. After a failure (Redis down: the
connection is refused; hung: no answer in time) the breaker stays open for
`BREAKER_SECONDS`: every command in that time fails at once, without touching the network,
so a dead Redis costs one request at most `TIMEOUT_SECONDS` every few seconds, not every
request. (The rate limiter has its own storage and fallback: pwa/extensions.py.)
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from rq import Queue

TIMEOUT_SECONDS = 0.25
BREAKER_SECONDS = 5.0


class Breaker:
    """Per Redis server (host, port): when it last failed; open for BREAKER_SECONDS after."""

    def __init__(self, seconds: float = BREAKER_SECONDS) -> None:
        self.seconds = seconds
        self._failed_at: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()

    def is_open(self, server: tuple[str, int]) -> bool:
        with self._lock:
            failed_at = self._failed_at.get(server)
        return failed_at is not None and time.monotonic() - failed_at < self.seconds

    def trip(self, server: tuple[str, int]) -> None:
        with self._lock:
            self._failed_at[server] = time.monotonic()

    def reset(self, server: tuple[str, int] | None = None) -> None:
        with self._lock:
            if server is None:
                self._failed_at.clear()
            else:
                self._failed_at.pop(server, None)


BREAKER = Breaker()


class RedisSkipped(RedisConnectionError):
    """Redis failed a moment ago: not tried again until the breaker closes."""


class FailFastConnection(Connection):
    """A connection that refuses at once while the breaker is open and trips it on failure."""

    def _server(self) -> tuple[str, int]:
        return (str(self.host), int(self.port))

    def connect(self) -> None:
        if BREAKER.is_open(self._server()):
            raise RedisSkipped(f"Redis at {self.host}:{self.port} failed recently; skipped")
        try:
            super().connect()
        except (RedisConnectionError, RedisTimeoutError):
            BREAKER.trip(self._server())
            raise

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        try:
            super().send_packed_command(command, check_health)
        except RedisSkipped:
            raise
        except (RedisConnectionError, RedisTimeoutError):
            BREAKER.trip(self._server())
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError):
            BREAKER.trip(self._server())
            raise


def fail_fast_redis(url: str) -> Redis:
    """Return a client for `url` that never holds its caller more than TIMEOUT_SECONDS a try."""
    return Redis.from_url(
        url,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
        connection_class=FailFastConnection,
    )


def web_redis() -> Redis:
    """Return the app's Redis client tuned to fail fast rather than hold up a request."""
    client: Redis | None = current_app.extensions.get("linli_redis")
    if client is None:
        client = fail_fast_redis(current_app.config["REDIS_URL"])
        current_app.extensions["linli_redis"] = client
    return client


def queue() -> Queue:
    """Return the RQ queue every job of Linli goes through."""
    return Queue(current_app.config["RQ_QUEUE"], connection=web_redis())
