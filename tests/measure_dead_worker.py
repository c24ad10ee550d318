"""Measure, with the Procfile's own worker options, how long RQ takes to notice a killed worker.

Too slow for the test suite (about two minutes), so run by hand; docs/reliability.md records
the figures:

    .venv/bin/python -m tests.measure_dead_worker

It starts a private redis-server and the Procfile's worker, gives it a job that runs for a
while, kills the worker's whole process group with SIGKILL mid-job, and reports when the
worker drops out of `Worker.all()` (from then /healthz answers 503) and, with a new worker
started at that moment, when the abandoned job reaches the failed registry.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from redis import Redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry

from tests.procfile import ProcfileProcess, environment, registered_workers, wait_until
from tests.support import RedisServer


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="linli-dead-worker-"))
    redis_server = RedisServer(workdir / "redis")
    redis_server.start()
    connection = Redis.from_url(redis_server.url)
    import os

    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'db.sqlite3'}")
    env = environment(redis_server.url)
    first = ProcfileProcess("worker", env, workdir / "worker-1.log").start()
    second = ProcfileProcess("worker", env, workdir / "worker-2.log")
    try:
        print("worker:", first.command)
        dead = wait_until(lambda: registered_workers(connection, first), 60, "the worker")
        names = {w.name for w in dead}
        job = Queue("linli", connection=connection).enqueue("time.sleep", 600, job_timeout=900)
        wait_until(lambda: job.get_status(refresh=True) == "started", 30, "the job to start")
        time.sleep(2)
        first.kill9()
        killed = time.monotonic()
        print("killed the worker group mid-job")

        def gone() -> bool:
            return not ({w.name for w in Worker.all(connection=connection)} & names)

        wait_until(gone, 300, "the worker to drop out", interval=0.5)
        print(f"gone from Worker.all (and /healthz 503): {time.monotonic() - killed:.1f} s")
        second.start()
        failed = FailedJobRegistry("linli", connection=connection)
        wait_until(lambda: job.id in failed.get_job_ids(), 300, "the job to fail", interval=0.5)
        print(f"abandoned job in the failed registry: {time.monotonic() - killed:.1f} s")
    finally:
        first.stop()
        second.stop()
        connection.close()
        redis_server.stop()


if __name__ == "__main__":
    main()
