"""Engine settings: SQLite in WAL mode with a busy timeout; write transactions lock early."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from models import db
from models.base import write_intent

# Requests that write begin IMMEDIATE and queue up on the busy timeout instead of failing
# with "database is locked" (models.base.write_intent says why).

SQLITE_BUSY_TIMEOUT_MS = 15000


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN, so IMMEDIATE can be chosen per transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def init_database(app: Flask) -> None:
    """Bind the models' SQLAlchemy handle to the app and tune the engine for its dialect."""
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)

    @app.before_request
    def _declare_write_intent() -> None:
        # Each request starts its own transaction (under a shared app context, as in tests or
        # a CLI, one may already be open with an old snapshot).
        if db.session().in_transaction():
            db.session.commit()
        g.write_intent_token = write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def _forget_write_intent(error: BaseException | None) -> None:
        # The thread lives on (gunicorn threads, the test client): put back what was there.
        token = g.pop("write_intent_token", None)
        if token is not None:
            write_intent.reset(token)
