"""GET /healthz: the state of the database, Redis, the queue and the workers, for monitors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, jsonify
from rq import Worker
from sqlalchemy import text

from models import db
from pwa.redis_conn import queue, web_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    checks: dict[str, Any] = {}
    ok = True
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "dialect": db.engine.dialect.name}
    except Exception as error:  # any failure is the answer, not a crash
        db.session.rollback()
        checks["database"] = {"ok": False, "error": type(error).__name__}
        ok = False
    try:
        redis = web_redis()
        redis.ping()
        checks["redis"] = {"ok": True}
        q = queue()
        checks["queue"] = {"ok": True, "name": q.name, "depth": q.count}
        beats = [w.last_heartbeat for w in Worker.all(connection=redis) if w.last_heartbeat]
        last = max(beats) if beats else None
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        age = (datetime.now(UTC) - last).total_seconds() if last else None
        fresh = age is not None and age <= current_app.config["WORKER_HEARTBEAT_MAX_AGE"]
        checks["workers"] = {
            "ok": fresh,
            "count": len(beats),
            "last_heartbeat": last.isoformat() if last else None,
            "age_seconds": round(age, 1) if age is not None else None,
        }
        ok = ok and fresh
    except Exception as error:  # Redis down or hung: report it, fast
        checks["redis"] = {"ok": False, "error": type(error).__name__}
        ok = False
    body = {"status": "ok" if ok else "unhealthy", "checks": checks}
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
