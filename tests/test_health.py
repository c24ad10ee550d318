"""GET /healthz: 200 only with the database, Redis and a live worker; 503 fast otherwise."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq.utils import utcformat

from tests.processes import rq_worker
from tests.support import RedisServer, free_port


def test_healthy_with_a_real_worker(
    client: FlaskClient, redis_server: RedisServer, tmp_path: Path
) -> None:
    with rq_worker(redis_server.url, tmp_path / "worker.log"):
        response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["database"]["ok"] is True
    assert checks["redis"]["ok"] is True
    assert checks["queue"] == {"ok": True, "name": "linli", "depth": 0}
    workers = checks["workers"]
    assert workers["ok"] is True and workers["count"] >= 1  # one per core by default
    beat = datetime.fromisoformat(workers["last_heartbeat"])
    assert abs((datetime.now(UTC) - beat).total_seconds()) < 30
    assert response.headers["Cache-Control"] == "no-store"


def test_unhealthy_without_a_worker(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["redis"]["ok"] is True
    assert checks["workers"] == {
        "ok": False,
        "count": 0,
        "last_heartbeat": None,
        "age_seconds": None,
    }


def test_a_stale_heartbeat_is_unhealthy(
    client: FlaskClient, redis_server: RedisServer, tmp_path: Path
) -> None:
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_server.url)
    with rq_worker(redis_server.url, tmp_path / "worker.log") as proc:
        # A worker killed outright stays registered until its key expires.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    # Until Redis notices the dead connection, its BLPOP would swallow the next test's job.
    deadline = time.monotonic() + 10
    while connection.info("clients")["blocked_clients"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # The worker command may run several worker processes: every one of them went stale.
    registered = Worker.all(connection=connection)
    assert registered
    stale = datetime.now(UTC) - timedelta(minutes=10)
    for worker in registered:
        connection.hset(worker.key, "last_heartbeat", utcformat(stale))
    response = client.get("/healthz")
    assert response.status_code == 503
    workers = response.get_json()["checks"]["workers"]
    assert workers["ok"] is False and workers["count"] == len(registered)
    assert workers["age_seconds"] >= 600


def test_queue_depth_counts_waiting_jobs(client: FlaskClient, redis_server: RedisServer) -> None:
    from redis import Redis
    from rq import Queue

    queue = Queue("linli", connection=Redis.from_url(redis_server.url))
    for _ in range(3):
        queue.enqueue("tasks.housekeeping.run")
    assert client.get("/healthz").get_json()["checks"]["queue"]["depth"] == 3


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Yield a port that accepts TCP connections and never answers, like a hung Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize("how", ["closed", "hung"])
def test_unreachable_redis_answers_503_quickly(
    app: Flask, how: str, request: pytest.FixtureRequest
) -> None:
    from pwa import create_app

    port = free_port() if how == "closed" else request.getfixturevalue("silent_port")
    other = create_app(
        {
            "TESTING": True,
            "LINLI_ENV": "development",
            "SECRET_KEY": "test-secret",
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/0",
        }
    )
    started = time.monotonic()
    response = other.test_client().get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["redis"]["ok"] is False
    assert "workers" not in checks
    assert elapsed < 3, elapsed
