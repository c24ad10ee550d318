"""Test helpers: a real redis-server on a free port, and the sign-in flow as a person does it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from rq import SimpleWorker
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from pwa.launcher import redis_server_binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A private redis-server for a test session, stopped by its pid."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


CODE_RE = re.compile(r"(\d{6})")


def latest_code(phone: str) -> str:
    """Return the code most recently sent to a phone, read from the development inbox.

    Codes go out through the queue, so the queued jobs run first (a real in-process worker).
    """
    from flask import current_app

    from models import DevInboxMessage, db

    run_jobs(current_app._get_current_object())
    db.session.rollback()  # a fresh snapshot: the job wrote through its own transaction
    # The newest message carrying a code: a reminder or notice the same jobs sent may have
    # reached the phone after it (seen when a test's reminders fall later in the month).
    bodies = db.session.scalars(
        select(DevInboxMessage.body)
        .where(DevInboxMessage.phone == phone)
        .order_by(DevInboxMessage.id.desc())
        .limit(10)
    ).all()
    assert bodies, f"no message for {phone}"
    for body in bodies:
        match = CODE_RE.search(body)
        if match:
            return match.group(1)
    raise AssertionError(f"no code among the last messages to {phone}: {bodies}")


def sign_in(client, phone: str) -> None:  # type: ignore[no-untyped-def]
    """Sign a test client in the way a person does: phone, then the code from the SMS."""
    response = client.post("/sign-in", data={"phone": phone})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post("/sign-in/code", data={"code": latest_code(phone)})
    assert response.status_code == 302, response.get_data(as_text=True)


def env_database_url() -> str | None:
    """The PostgreSQL database named by LINLI_TEST_DATABASE_URL, one per pytest-xdist worker.

    Each worker empties every table after each test, so two workers cannot share a database:
    worker gw1 gets `<name>_gw1`, created beside the named one on the same server.
    """
    url = os.environ.get("LINLI_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


class _BurstWorker(SimpleWorker):
    """The in-process burst worker of the tests, without RQ's pub/sub channel.

    Nothing sends commands to it, and closing the channel's listener (which blocks 60 s in a
    read) sometimes held a test for a whole minute with redis-py 8: seen in CI as 60 s tests
    and, on the PostgreSQL pass, Telegram answers that missed their 5 s wait.
    """

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def run_jobs(app) -> int:  # type: ignore[no-untyped-def]
    """Hand committed deliveries to RQ and run every queued job with a real (burst) RQ worker.

    The worker runs in this process, so the jobs share the test's app and database; the queue
    and the jobs are the real ones, through the test's own redis-server.
    """
    from redis import Redis
    from rq import Queue
    from sqlalchemy import select

    from models import Delivery, DeliveryState, db
    from notify.queueing import enqueue_now, enqueuer
    from services.broadcasts.fanout import wait_enqueued

    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(app.config["RQ_QUEUE"], connection=connection)
    ran = 0
    while True:
        # Hold no lock while the enqueuers record what they queued; jobs may queue more
        # (a broadcast's preparation records deliveries), so wait again after each round.
        db.session.commit()
        wait_enqueued(app)
        enqueuer(app).wait()
        # The enqueuer gives Redis 1 s and then backs off 5 s, leaving its rows to the sweep
        # (10 s later): on a loaded CI machine that happened, and the test's answer never
        # came. Stand in for the sweep at once, as the product's would a little later.
        never_queued = list(
            db.session.scalars(
                select(Delivery.id).where(
                    Delivery.state == DeliveryState.QUEUED, Delivery.enqueued_at.is_(None)
                )
            )
        )
        db.session.commit()  # hold no read transaction while the worker writes
        if never_queued:
            enqueue_now(never_queued, redis=connection, queue_name=app.config["RQ_QUEUE"])
        if not queue.count:
            return ran
        ran += queue.count
        _BurstWorker([queue], connection=connection).work(burst=True)


class _DemoSnapshot:
    """The demo's rows as `flask demo` wrote them, kept by one pytest process."""

    def __init__(self, day: date, output: str, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.day = day
        self.output = output
        self.rows = rows


_demo: _DemoSnapshot | None = None


def load_demo(app: Flask) -> str:
    """Load the demo community as `flask demo` does; return what the command printed.

    The first call in a test process (and the first on a new day: the demo is dated) runs the
    real command and keeps a copy of every row it wrote; later calls, into the emptied
    database, insert that copy: on PostgreSQL the demo takes 40 s of a loaded CI machine, and
    nine tests read it. `tests/test_demo.py` runs the real command every time.
    """
    global _demo
    from models import clock, db

    with app.app_context():
        day = clock.today()
        if _demo is None or _demo.day != day:
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output + repr(result.exception)
            _demo = _DemoSnapshot(day, result.output, _table_rows(db.engine))
        else:
            _insert_rows(db.engine, _demo.rows)
        db.session.remove()
    return _demo.output


def _table_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    from models import db

    existing = set(inspect(engine).get_table_names())
    rows: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in existing:
                ordered = select(table).order_by(*table.primary_key.columns)
                rows[table.name] = [dict(row) for row in conn.execute(ordered).mappings()]
    return rows


def _insert_rows(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    from models import db

    with engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            if rows.get(table.name):
                conn.execute(table.insert(), rows[table.name])
        if engine.dialect.name != "postgresql":
            return
        # Fresh statistics for the planner, as after `flask demo` once autovacuum has run.
        # Only the tables written: a bare ANALYZE waits on other databases' for shared catalogs.
        conn.execute(text("ANALYZE " + ", ".join(t for t, written in rows.items() if written)))
        # Rows inserted with their ids leave the sequences behind: the next row would clash.
        for table in db.metadata.sorted_tables:
            for column in table.primary_key.columns:
                if rows.get(table.name) and column.autoincrement is not False:
                    sequence = conn.scalar(
                        text("SELECT pg_get_serial_sequence(:t, :c)"),
                        {"t": table.name, "c": column.name},
                    )
                    if sequence:
                        highest = max(row[column.name] for row in rows[table.name])
                        conn.execute(text("SELECT setval(:s, :n)"), {"s": sequence, "n": highest})
