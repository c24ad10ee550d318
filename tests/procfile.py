"""The Procfile's processes, started as a Procfile host starts them, for the reliability tests.

Each process runs its Procfile line through `sh -c` (so `exec` makes the shell the real
process) in a session of its own, so a test can kill it together with the children it forks
(RQ's work horse and scheduler) by that one process group id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from tests.processes import BIN, ROOT, children

PROCFILE = ROOT / "Procfile"
FROM_NUMBER = "+15005550006"


def procfile_line(name: str) -> str:
    """Return the command of one Procfile process type."""
    for line in PROCFILE.read_text().splitlines():
        kind, _, command = line.partition(":")
        if kind.strip() == name:
            return command.strip()
    raise KeyError(f"no {name!r} in the Procfile")


def environment(redis_url: str, twilio: Any = None, **extra: str) -> dict[str, str]:
    """Return the environment of a process on the tests' database, this Redis, the fake Twilio."""
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        DATABASE_URL=os.environ["DATABASE_URL"],  # set by the `app` fixture
        SECRET_KEY="test-secret",
        REDIS_URL=redis_url,
        RQ_QUEUE="linli",
        LINLI_ENV="development",
        PYTHONUNBUFFERED="1",
        # Processes that start, stop and come back, not throughput: two web workers, not the
        # Procfile's four, spare CI's two cores.
        WEB_CONCURRENCY="2",
    )
    if twilio is not None:
        env.update(
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_AUTH_TOKEN=twilio.auth_token,
            TWILIO_FROM_NUMBER=FROM_NUMBER,
            TWILIO_API_BASE_URL=twilio.base_url,
        )
    env.update(extra)
    return env


class ProcfileProcess:
    """One Procfile process; `replace` swaps option text in its line (e.g. a shorter TTL)."""

    def __init__(
        self, name: str, env: dict[str, str], log: Path, replace: dict[str, str] | None = None
    ) -> None:
        command = procfile_line(name)
        for old, new in (replace or {}).items():
            assert old in command, f"{old!r} is not in the Procfile's {name} line"
            command = command.replace(old, new)
        self.name = name
        self.command = command
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> ProcfileProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                ["sh", "-c", self.command],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def kill9(self) -> None:
        """SIGKILL the process and everything it forked, at once."""
        self._signal_group(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(10)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the group, SIGKILL what lingers; safe to call twice."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(timeout)
        self._signal_group(signal.SIGKILL)  # children of a leader that is gone


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1
) -> Any:
    """Poll until predicate() is truthy; return its value or fail saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def registered_workers(connection: Any, process: ProcfileProcess) -> list[Any]:
    """Return the RQ workers registered in Redis that are this process or its children."""
    from rq import Worker

    pids = {process.pid} | children(process.pid)
    return [w for w in Worker.all(connection=connection) if w.pid in pids]


def wait_for_worker(redis_url: str, process: ProcfileProcess, timeout: float = 30) -> list[Any]:
    """Wait until this `rq worker` process (or the workers it runs) registered in Redis."""
    from redis import Redis

    connection = Redis.from_url(redis_url)

    def registered() -> list[Any]:
        assert process.alive(), process.output()
        return registered_workers(connection, process)

    try:
        found: list[Any] = wait_until(registered, timeout, f"worker {process.pid} to register")
        return found
    finally:
        connection.close()


def add_people(count: int, prefix: str = "+86138") -> list[Any]:
    """Insert `count` people with distinct phones in one statement; return them, committed."""
    from models import Person, db

    rows = [{"name": f"居民{i}", "phone": f"{prefix}{i:08d}"} for i in range(count)]
    db.session.execute(insert(Person), rows)
    db.session.commit()
    phones = [r["phone"] for r in rows]
    return list(db.session.scalars(select(Person).where(Person.phone.in_(phones))))


def per_phone(messages: Iterable[dict[str, Any]]) -> Counter[str]:
    """Count accepted messages per phone at the fake provider."""
    return Counter(m["to"] for m in messages)


class Launcher:
    """Starts Procfile processes for one test and stops every one of them afterwards."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[ProcfileProcess] = []

    def __call__(
        self, name: str, env: dict[str, str], *, replace: dict[str, str] | None = None
    ) -> ProcfileProcess:
        log = self.logs / f"{name}-{len(self.started) + 1}.log"
        process = ProcfileProcess(name, env, log, replace).start()
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()
