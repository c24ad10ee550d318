"""Housekeeping: the service on its own, the job in a real `rq worker`, the `rq cron` schedule."""

from __future__ import annotations

import secrets
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from models import DevInboxMessage, SignInCode, UserSession, db, utcnow
from services import housekeeping
from tests.processes import BIN, ROOT, hand_over, job_environment, rq_worker_command, stop
from tests.support import RedisServer

STAFF_MINUTES = 30
OTHER_DAYS = 30


def _code(phone: str, expires_at: datetime) -> SignInCode:
    code = SignInCode(
        phone=phone, code_hash="x" * 64, created_at=expires_at - timedelta(minutes=10),
        expires_at=expires_at,
    )  # fmt: skip
    db.session.add(code)
    return code


def _session(person: Any, *, last_seen: datetime, ended: datetime | None = None) -> UserSession:
    session = UserSession(
        token_hash=secrets.token_hex(32),
        person_id=person.id,
        created_at=last_seen,
        last_seen_at=last_seen,
        ended_at=ended,
    )
    db.session.add(session)
    return session


def _inbox(phone: str, created_at: datetime) -> DevInboxMessage:
    message = DevInboxMessage(phone=phone, body="code 123456", created_at=created_at)
    db.session.add(message)
    return message


@pytest.fixture
def world(make: Any) -> dict[str, Any]:
    """Rows on both sides of every housekeeping limit, one minute away from it."""
    now = utcnow()
    c = make.community()
    staff = make.person()
    make.post(staff, "staff", community=c)
    resident = make.person()
    gone = make.person(active=False)
    minute = timedelta(minutes=1)
    day = timedelta(days=1)
    rows: dict[str, Any] = {
        "old_code": _code(staff.phone, now - day - minute),
        "fresh_code": _code(staff.phone, now - day + minute),
        "staff_idle": _session(staff, last_seen=now - timedelta(minutes=STAFF_MINUTES) - minute),
        "staff_live": _session(staff, last_seen=now - timedelta(minutes=STAFF_MINUTES) + minute),
        "resident_hour": _session(resident, last_seen=now - timedelta(hours=1)),
        "resident_idle": _session(resident, last_seen=now - OTHER_DAYS * day - minute),
        "deactivated": _session(gone, last_seen=now - minute),
        "ended_long_ago": _session(
            resident, last_seen=now - 40 * day, ended=now - 30 * day - minute
        ),
        "ended_lately": _session(resident, last_seen=now - 40 * day, ended=now - 29 * day),
        "old_inbox": _inbox(staff.phone, now - 7 * day - minute),
        "fresh_inbox": _inbox(staff.phone, now - 7 * day + minute),
    }
    db.session.commit()
    return {"now": now, **{name: row.id for name, row in rows.items()}}


def _assert_swept(world: dict[str, Any]) -> None:
    db.session.rollback()  # end the read snapshot taken before the worker committed
    assert db.session.get(SignInCode, world["old_code"]) is None
    assert db.session.get(SignInCode, world["fresh_code"]) is not None

    def ended(name: str) -> bool:
        session = db.session.get(UserSession, world[name])
        assert session is not None, name
        return session.ended_at is not None

    assert ended("staff_idle")
    assert not ended("staff_live")
    assert not ended("resident_hour"), "a resident may stay signed in for days"
    assert ended("resident_idle")
    assert ended("deactivated")
    assert ended("ended_lately")
    assert db.session.get(UserSession, world["ended_long_ago"]) is None
    assert db.session.get(DevInboxMessage, world["old_inbox"]) is None
    assert db.session.get(DevInboxMessage, world["fresh_inbox"]) is not None


def test_sweep_removes_only_what_is_past_its_limit(world: dict[str, Any]) -> None:
    swept = housekeeping.sweep(world["now"], staff_minutes=STAFF_MINUTES, other_days=OTHER_DAYS)
    db.session.commit()
    assert swept == housekeeping.Swept(
        codes_deleted=1, sessions_ended=3, sessions_deleted=1, inbox_deleted=1
    )
    _assert_swept(world)


def test_sweep_twice_changes_nothing_the_second_time(world: dict[str, Any]) -> None:
    housekeeping.sweep(world["now"], staff_minutes=STAFF_MINUTES, other_days=OTHER_DAYS)
    db.session.commit()
    counts = [db.session.scalar(select(func.count()).select_from(t)) for t in TABLES]
    again = housekeeping.sweep(world["now"], staff_minutes=STAFF_MINUTES, other_days=OTHER_DAYS)
    db.session.commit()
    assert again == housekeeping.Swept(0, 0, 0, 0)
    assert [db.session.scalar(select(func.count()).select_from(t)) for t in TABLES] == counts


TABLES = (SignInCode, UserSession, DevInboxMessage)


def test_job_runs_in_a_real_rq_worker(
    world: dict[str, Any], app: Flask, redis_server: RedisServer, tmp_path: Path
) -> None:
    connection = Redis.from_url(redis_server.url)
    job = Queue("linli", connection=connection).enqueue("tasks.housekeeping.run")
    hand_over()
    result = subprocess.run(
        rq_worker_command(redis_server.url, burst=True),
        cwd=ROOT,
        env=job_environment(redis_server.url),
        capture_output=True,
        timeout=60,
    )
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 0, output
    job = Job.fetch(job.id, connection=connection)
    assert job.get_status() == JobStatus.FINISHED, output
    assert job.return_value() == {
        "codes_deleted": 1,
        "sessions_ended": 3,
        "sessions_deleted": 1,
        "inbox_deleted": 1,
        "counters_deleted": 0,
    }
    _assert_swept(world)


def test_rq_cron_registers_housekeeping_hourly(redis_server: RedisServer, tmp_path: Path) -> None:
    connection = Redis.from_url(redis_server.url)
    log = tmp_path / "cron.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "rq"), "cron", "pwa.cron", "--url", redis_server.url],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while not (schedulers := CronScheduler.all(connection)):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            jobs = {job.name: job for job in schedulers[0].get_jobs()}
        finally:
            stop(proc)
            connection.flushdb()
    assert "housekeeping" in jobs, jobs
    job = jobs["housekeeping"]
    assert job.func_name == "tasks.housekeeping.run"
    assert job.queue_name == "linli"
    assert job.cron is not None
    minute, hour, *rest = job.cron.split()
    assert minute.isdigit() and hour == "*" and rest == ["*", "*", "*"]
    assert proc.returncode == 0, log.read_text()
