"""Flask extensions, created unbound and initialised in create_app()."""

from __future__ import annotations

from typing import Any, cast

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from redis.backoff import NoBackoff
from redis.retry import Retry

from pwa.redis_conn import FailFastConnection

csrf = CSRFProtect()
babel = Babel()
migrate = Migrate()


def _client_ip() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


# Limits apply only where a view asks for one (per-IP sign-in limits); the limiter fails open
# with an in-memory fallback, because a Redis outage must not lock people out of the app.
# Short timeouts and no retries: with the client's defaults (5 s timeouts, three retries) a
# hung Redis held a sign-in for 10 s, and every re-check of the dead storage for 5 s more.
# Its connections share the web's breaker (pwa/redis_conn.py): while Redis has just failed
# for any request, the limiter does not try it either and uses its in-memory fallback.
STORAGE_TIMEOUT_SECONDS = 0.1
limiter = Limiter(
    key_func=_client_ip,
    default_limits=[],
    in_memory_fallback_enabled=True,
    swallow_errors=True,
    strategy="moving-window",
    # Typed as str | int by Flask-Limiter, but handed to redis-py as they are.
    storage_options=cast(
        Any,
        {
            "socket_timeout": STORAGE_TIMEOUT_SECONDS,
            "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 0,
            "connection_class": FailFastConnection,
        },
    ),
)
