"""Test helpers for real processes: an `rq worker` subprocess, process trees, open ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def job_environment(redis_url: str) -> dict[str, str]:
    """Return the environment a worker needs to use the tests' database and Redis."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=os.environ["DATABASE_URL"],  # set by the `app` fixture
        SECRET_KEY="test-secret",
        REDIS_URL=redis_url,
        LINLI_ENV="development",
        PYTHONUNBUFFERED="1",
    )
    return env


def rq_worker_command(redis_url: str, *, burst: bool = False, queue: str = "linli") -> list[str]:
    """Return the Procfile's worker command (as a list) for the given Redis."""
    command = [
        str(BIN / "rq"), "worker", "--with-scheduler",
        "--worker-class", "tasks.worker.AppWorker",
        "--connection-class", "tasks.connection.PatientRedis",
        "--worker-ttl", "30", "--maintenance-interval", "30",
        "--url", redis_url, queue,
    ]  # fmt: skip
    return [*command, "--burst"] if burst else command


def hand_over() -> None:
    """End the test's transaction before another process uses the database.

    Test code begins its transactions IMMEDIATE (see tests/conftest.py `ctx`); on SQLite an
    open one would keep a worker process waiting for the lock.
    """
    from flask import has_app_context

    if has_app_context():
        from models import db

        db.session.commit()


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a process started by a test: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


@contextmanager
def rq_worker(
    redis_url: str, log: Path, *, queue: str = "linli"
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a real `rq worker` until the block ends, its output written to `log`."""
    from redis import Redis
    from rq import Worker

    hand_over()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            rq_worker_command(redis_url, queue=queue),
            cwd=ROOT,
            env={**job_environment(redis_url), "RQ_QUEUE": queue},
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own group, so a test can kill it together with the scheduler it forks.
            start_new_session=True,
        )
        try:
            connection = Redis.from_url(redis_url)
            deadline = time.monotonic() + 30
            while not Worker.all(connection=connection):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            yield proc
        finally:
            stop(proc)


def children(pid: int) -> set[int]:
    """Return every descendant of pid, read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Return whether pid is a running process (a zombie awaiting its reaper is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
