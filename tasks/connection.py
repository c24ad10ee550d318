"""The Redis client of the worker and cron processes: it waits out an outage instead of dying."""

from __future__ import annotations

from typing import Any

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

# Waits between tries grow from a quarter of a second to this, so work resumes this soon at
# most after Redis is back.
MAX_WAIT_SECONDS = 2.0


class PatientRedis(Redis):
    """A Redis client that retries every command until Redis answers (`--connection-class`).

    RQ's worker quits on a Redis timeout (a hung Redis) and `rq cron` on any connection error.
    Under honcho one process exiting stops all of them, the web too; a host that restarts
    crashed processes backs off between restarts. Waiting here keeps both up through an outage.
    """

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Redis:
        kwargs.setdefault("retry", Retry(ExponentialBackoff(cap=MAX_WAIT_SECONDS, base=0.25), -1))
        kwargs.setdefault("socket_connect_timeout", MAX_WAIT_SECONDS)
        return super().from_url(url, **kwargs)
