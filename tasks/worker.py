"""The RQ worker class the Procfile runs: long-lived worker processes, one per core.

`rq worker --worker-class tasks.worker.AppWorker` starts WORKER_PROCESSES worker processes
(default: one per CPU core) under a small supervisor, which is the process the Procfile
starts. Each worker runs its jobs in its own process without forking a work horse per job:
the app, the dispatcher's sender threads, the provider's keep-alive connections and the
Redis connection are built once and kept, so a job costs its work and nothing more.

Several processes are what let the sending keep pace: Python runs one thread at a time per
process, and while one worker claims, checks and records a batch, the others are sending.
With `--burst`, or WORKER_PROCESSES=1, it is one plain worker in this process.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any
from uuid import uuid4

from rq import Queue, SimpleWorker
from rq.job import Job
from rq.worker import BaseWorker

from tasks.app import get_app

log = logging.getLogger("rq.worker")

# A worker that fails sooner than this after starting (an error, not a signal) is failing at
# start-up (bad settings, database unreachable): the supervisor stops, not restart it in a loop.
CRASH_LOOP_SECONDS = 10.0
# Allocations between collections of the youngest generation (Python's default: 700).
GC_THRESHOLD = 10_000
# Seconds a process left behind by a dead worker (its RQ scheduler) gets to stop on SIGTERM.
STRAY_STOP_SECONDS = 5.0
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def worker_processes() -> int:
    """Return how many worker processes to run: WORKER_PROCESSES, else one per core."""
    configured = os.environ.get("WORKER_PROCESSES", "").strip()
    if configured:
        return max(1, int(configured))
    return max(1, os.cpu_count() or 1)


def _prctl(option: int, value: int) -> None:
    # Linux only; elsewhere the supervisor still works, just without these safety nets.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _die_with_parent(parent: int) -> None:
    # If the supervisor is killed outright, its workers get SIGTERM (a warm shutdown: the job
    # in hand is finished) instead of running on unsupervised.
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the supervisor died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


class AppWorker(SimpleWorker):
    """An RQ worker that keeps its app and runs jobs in its own process (no fork per job).

    A job still gets its own app context (tasks.app.job_context), so its database session
    ends with it. job_timeout still applies: SimpleWorker runs the job under the same
    SIGALRM death penalty as a work horse, raising JobTimeoutException in the job; threads
    the job started cannot be killed, but every provider call has its own timeout, and
    rows a timed-out job left "sending" are recovered by the sweep.
    """

    _supervised = False
    _beating: tuple[threading.Event, threading.Thread] | None = None

    def work(self, burst: bool = False, *args: Any, **kwargs: Any) -> bool:
        processes = worker_processes()
        if burst or processes <= 1 or self._supervised:
            return super().work(burst, *args, **kwargs)
        return _Supervisor(self, processes).run(burst, args, kwargs)

    def subscribe(self) -> None:
        """Listen for RQ's commands (stop a job, shut down) with a 1 s read, not RQ's 60 s.

        Stopping the listener waits for its read to return: with RQ's 60 s, a worker that
        was asked to stop (or a burst worker that ran out of work) sometimes took a whole
        minute to exit (redis-py 8), which held tests and restarts.
        """
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        # Building the app takes about a second of imports; pay it once per process.
        get_app()
        # RQ gives these loggers their own handler; the app's root handler would print each twice.
        for name in ("rq.worker", "rq.job"):
            logging.getLogger(name).propagate = False
        # The SDK logs every request and its headers at INFO: ten lines per SMS.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
        # Jobs allocate objects by the hundred thousand (rows, requests): collect garbage cycles
        # less often, and never walk the app's own long-lived objects (about 10 % of the CPU).
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 10, 10)
        super().bootstrap(*args, **kwargs)

    # -- heartbeats while a job runs ----------------------------------------------------------
    # A forking worker's parent heartbeats every job-monitoring interval while its horse works,
    # so a dead worker's key and its jobs expire about a minute after the last beat. A
    # SimpleWorker beats once per job, with the job's whole timeout + 60 s: a worker killed
    # mid-job would stay listed for six minutes. This thread beats as the parent would.

    def get_heartbeat_ttl(self, job: Job) -> int:
        return BaseWorker.get_heartbeat_ttl(self, job)

    def execute_job(self, job: Job, queue: Queue) -> None:
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat_while_busy, args=(job, stop), name="rq-heartbeat", daemon=True
        )
        self._beating = (stop, beat)
        beat.start()
        try:
            super().execute_job(job, queue)
        finally:
            self._stop_beating()

    def handle_execution_ended(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        # No beat may land after this: it would put the finished job back in the started registry.
        self._stop_beating()
        super().handle_execution_ended(job, queue, *args, **kwargs)

    def _beat_while_busy(self, job: Job, stop: threading.Event) -> None:
        started = time.monotonic()
        while not stop.wait(self.job_monitoring_interval):
            try:
                self.set_current_job_working_time(time.monotonic() - started)
                self.maintain_heartbeats(job)
            except Exception:  # Redis away for a moment: the next beat may get through
                log.warning("Worker %s: heartbeat failed", self.name, exc_info=True)

    def _stop_beating(self) -> None:
        if self._beating is not None:
            stop, beat = self._beating
            self._beating = None
            stop.set()
            beat.join()
            self.set_current_job_working_time(0)


class _Supervisor:
    """Runs `processes` copies of a worker, restarts one that dies, stops them all together."""

    def __init__(self, worker: AppWorker, processes: int) -> None:
        self.worker = worker
        self.processes = processes
        self.base_name = worker.name
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (slot, started)
        self.stopping = False

    def run(self, burst: bool, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        log.info(
            "Supervisor %s [PID %d]: starting %d worker processes",
            self.base_name,
            os.getpid(),
            self.processes,
        )
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        # What a worker forks (its RQ scheduler) comes to us if the worker dies, to be stopped.
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        for slot in range(self.processes):
            self._spawn(slot, burst, args, kwargs)
        code = 0
        while self.children:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            slot, started = self.children.pop(pid, (-1, 0.0))
            if slot < 0:
                continue  # a dead worker's scheduler, stopped below
            self._signal_strays(signal.SIGTERM)
            exit_code = os.waitstatus_to_exitcode(status)
            if self.stopping or exit_code == 0:
                continue  # stopped on request, or finished (--max-jobs, --max-idle-time)
            if exit_code > 0 and time.monotonic() - started < CRASH_LOOP_SECONDS:
                # It failed by itself right away (killed by a signal is another matter).
                log.error("Worker process %d failed at start (%s); stopping", pid, exit_code)
                code = exit_code
                self._stop(signal.SIGTERM, None)
                continue
            log.warning("Worker process %d died (%s); starting another", pid, exit_code)
            self._spawn(slot, burst, args, kwargs)
        self._reap_strays()
        if code:
            raise SystemExit(code)
        return True

    def _strays(self) -> list[int]:
        """Return our child processes that are not workers: what dead workers left behind."""
        me, found = os.getpid(), []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) not in self.children:
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                    found.append(int(entry.name))
        return found

    def _signal_strays(self, signum: int) -> None:
        for pid in self._strays():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def _reap_strays(self) -> None:
        """Stop and reap what is left once every worker has ended."""
        self._signal_strays(signal.SIGTERM)
        deadline = time.monotonic() + STRAY_STOP_SECONDS
        while self._strays() and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
            time.sleep(0.1)
        self._signal_strays(signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, 0):
                pass

    def _spawn(self, slot: int, burst: bool, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid:
            self.children[pid] = (slot, time.monotonic())
            return
        # The worker process: the RQ worker built by `rq worker`, under a name of its own.
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _die_with_parent(parent)
            worker = self.worker
            worker._supervised = True
            worker.name = f"{self.base_name}-{slot + 1}-{uuid4().hex[:6]}"
            worker.pid = os.getpid()
            worker.work(burst, *args, **kwargs)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 0
        except BaseException:
            log.exception("Worker process %d failed", os.getpid())
        finally:
            logging.shutdown()
            os._exit(code)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        # Each worker finishes the job in hand (a warm shutdown); a second signal forwards a
        # second SIGTERM, which RQ takes as a cold shutdown.
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
