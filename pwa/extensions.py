"""Flask extensions, created unbound and initialised in create_app()."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
migrate = Migrate()


def _client_ip() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


# Limits apply only where a view asks for one (per-IP sign-in limits); the limiter fails open
# with an in-memory fallback, because a Redis outage must not lock people out of the app.
limiter = Limiter(
    key_func=_client_ip,
    default_limits=[],
    in_memory_fallback_enabled=True,
    swallow_errors=True,
    strategy="moving-window",
)
