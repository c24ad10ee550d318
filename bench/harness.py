"""The real parts a benchmark runs: a private Redis, the fake provider in its own process, a
fresh database, and the Procfile's processes started exactly as the Procfile says.

Every process is started in its own session and stopped by its process group id, so a
benchmark leaves nothing behind even when it fails half-way.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pwa.launcher import LocalRedis, redis_server_binary

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
BIN = Path(sys.executable).parent
STOP_WAIT = 10.0


def cpu_seconds(group: int) -> float:
    """Return the CPU time (user + system) used so far by the live processes of a process
    group, and by the children they have reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / tick


def procfile_commands() -> dict[str, str]:
    """Return the Procfile's processes (name -> shell command), read as honcho reads them."""
    from honcho.environ import parse_procfile

    return dict(parse_procfile(PROCFILE.read_text()).processes)


def stop_group(proc: subprocess.Popen[Any], timeout: float = STOP_WAIT) -> None:
    """Stop a process we started in its own session, with everything it forked: SIGTERM, then
    SIGKILL to the group if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)
    # Children (an RQ scheduler, a work horse) may outlive the leader: clear the group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout)


@dataclass
class FakeProviderReport:
    """What the fake provider received: (to, received_at epoch seconds) and refusals."""

    messages: list[tuple[str, float]]
    rejections: dict[str, int]
    requests: int
    calls: int = 0  # API calls that carried messages (Alibaba: up to 1,000 numbers each)


@dataclass
class FakeProvider:
    """FakeTwilio in a separate process, so its CPU is not counted against the app."""

    workdir: Path
    latency: float = 0.0
    rate: float = 0.0
    kind: str = "twilio"  # or "alibaba", "tencent": tests.fakes.<kind>, rate in API calls/s
    proc: subprocess.Popen[bytes] | None = None
    info: dict[str, str] = field(default_factory=dict)

    @property
    def report_path(self) -> Path:
        return self.workdir / f"fake-{self.kind}.json"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"tests.fakes.{self.kind}", "--latency", str(self.latency),
             "--rate", str(self.rate), "--report", str(self.report_path)],
            cwd=ROOT, stdout=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fake provider did not start")
        self.info = json.loads(line)

    def environment(self) -> dict[str, str]:
        """Return the settings that point the app's SMS channel at this fake."""
        if self.kind == "alibaba":
            return {
                "ALIBABA_ACCESS_KEY_ID": self.info["access_key_id"],
                "ALIBABA_ACCESS_KEY_SECRET": self.info["access_key_secret"],
                "ALIBABA_SMS_ENDPOINT": self.info["base_url"],
                "SMS_PROVIDER": "alibaba",
            }
        if self.kind == "tencent":
            return {
                "TENCENT_SECRET_ID": self.info["secret_id"],
                "TENCENT_SECRET_KEY": self.info["secret_key"],
                "TENCENT_SMS_APP_ID": self.info["app_id"],
                "TENCENT_SMS_ENDPOINT": self.info["base_url"],
                "SMS_PROVIDER": "tencent",
            }
        return {
            "TWILIO_ACCOUNT_SID": self.info["account_sid"],
            "TWILIO_AUTH_TOKEN": self.info["auth_token"],
            "TWILIO_FROM_NUMBER": "+15005550006",
            "TWILIO_API_BASE_URL": self.info["base_url"],
        }

    def stop(self) -> FakeProviderReport:
        """Stop the fake; return what it received."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                stop_group(self.proc)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        data = json.loads(self.report_path.read_text())
        return FakeProviderReport(
            messages=[(to, at) for to, at in data["messages"]],
            rejections=data["rejections"],
            requests=data["requests"],
            calls=int(data.get("calls", data["requests"])),
        )

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid) if self.proc is not None else 0.0

    def kill(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)


class Redis:
    """A private redis-server on a free port."""

    def __init__(self, workdir: Path) -> None:
        self.server = LocalRedis(redis_server_binary(), workdir)

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()


def base_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """Return the environment the app's processes get for a benchmark run."""
    env = dict(os.environ)
    env.update(
        PATH=str(BIN) + os.pathsep + env.get("PATH", ""),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="bench-secret",
        LINLI_ENV="development",
        PUBLIC_BASE_URL="http://127.0.0.1:9",
        PYTHONUNBUFFERED="1",
    )
    for name in (
        "RQ_QUEUE",
        "SMS_RATE_PER_SECOND",
        "SEND_CONCURRENCY",
        "TWILIO_MESSAGING_SERVICE_SID",
    ):
        env.pop(name, None)
    return env


def migrate(env: dict[str, str]) -> None:
    """Create the schema with the app's own migrations."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "pwa", "db", "upgrade"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


class ProcfileProcesses:
    """Some of the Procfile's processes, each started with its exact command line."""

    def __init__(self, names: list[str], env: dict[str, str], logdir: Path) -> None:
        commands = procfile_commands()
        self.commands = {name: commands[name] for name in names}
        self.env = env
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []

    def start(self) -> None:
        self.logdir.mkdir(parents=True, exist_ok=True)
        for name, command in self.commands.items():
            log = (self.logdir / f"{name}.log").open("wb")
            self._logs.append(log)
            # As honcho runs them: through the shell, in a session of their own.
            self.procs[name] = subprocess.Popen(
                command, shell=True, cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def wait_for_workers(self, redis_url: str, count: int = 1, timeout: float = 60.0) -> None:
        """Wait until `count` worker processes have registered with RQ."""
        from redis import Redis as RedisClient
        from rq import Worker

        connection = RedisClient.from_url(redis_url)
        deadline = time.monotonic() + timeout
        while len(Worker.all(connection=connection)) < count:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.log(name)}")
            if time.monotonic() > deadline:
                raise RuntimeError("no RQ worker registered")
            time.sleep(0.1)
        connection.close()

    def cpu_seconds(self) -> float:
        """Return the CPU time used so far by these processes and everything they started."""
        return sum(cpu_seconds(proc.pid) for proc in self.procs.values())

    def log(self, name: str) -> str:
        return (self.logdir / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            stop_group(proc)
        for log in self._logs:
            log.close()


def write_section(path: Path, section: str, begin: str, end: str) -> None:
    """Put a bench's section (between its begin and end markers) in the file, keeping the rest."""
    text = path.read_text() if path.exists() else "# Performance\n"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        _old, after = rest.split(end, 1)
        text = before + section.rstrip("\n") + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
