"""`make run`'s process supervisor: every Procfile process, each restarted when it dies.

Honcho, which ran them before, ends the whole group when one process exits: a worker killed
took the web server down with it. Here a process that exits is restarted on its own, after
1 s, then 2, 4 … at most 30 s while it keeps dying; one that ran for a minute counts as well
again, and its next restart waits 1 s. What a dead process left in its group (an RQ
supervisor's worker processes, a gunicorn master's workers) gets SIGTERM and STOP_WAIT seconds
before the new one starts. The others go on meanwhile. SIGINT or SIGTERM stops
them all: SIGTERM to each process group, SIGKILL to what is left after STOP_WAIT seconds.

Each process runs through `sh -c` in its own session (its own process group), as honcho
and Procfile hosts run them, so that stopping one stops its children too (gunicorn's
workers, the RQ supervisor's worker processes). Its output is printed line by line with its
name in front, in honcho's format.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from honcho.colour import get_colours
from honcho.environ import parse_procfile
from honcho.printer import Message, Printer

# Seconds a process gets between SIGTERM and SIGKILL (honcho uses 5 too).
STOP_WAIT = 5.0
# Restart delays: the first, the most, and how long a process must run to count as well again.
RESTART_FIRST = 1.0
RESTART_MAX = 30.0
RESTART_RESET_AFTER = 60.0
# How often the loop looks at its processes.
TICK = 0.1
SYSTEM = "system"
# What the launcher returns when stopped by these signals (as honcho did): a clean end.
SIGNAL_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def restart_delay(failures: int, first: float = RESTART_FIRST, most: float = RESTART_MAX) -> float:
    """Return the wait before restarting after this many exits in a row: 1, 2, 4 … most s."""
    return float(min(most, first * 2 ** max(0, failures - 1)))


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # gone already
        os.killpg(pgid, signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


@dataclass
class Supervised:
    """One Procfile process: its command and the run of it now going, if any."""

    name: str
    command: str
    colour: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    exited_at: float = 0.0
    failures: int = 0  # exits in a row, each after less than RESTART_RESET_AFTER
    restart_at: float | None = None
    reader: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None


class Supervisor:
    """Start every process, restart the ones that exit, stop all of them on a signal."""

    def __init__(
        self,
        processes: Mapping[str, str],
        env: Mapping[str, str],
        cwd: Path,
        *,
        output: IO[str] | None = None,
        first: float = RESTART_FIRST,
        most: float = RESTART_MAX,
        reset_after: float = RESTART_RESET_AFTER,
        stop_wait: float = STOP_WAIT,
    ) -> None:
        colours = get_colours()
        self.processes = [
            Supervised(name, command, colour=next(colours)) for name, command in processes.items()
        ]
        self.env = dict(env)
        self.cwd = cwd
        self.first, self.most, self.reset_after = first, most, reset_after
        self.stop_wait = stop_wait
        self.printer = Printer(output or sys.stdout, width=max(len(SYSTEM), *map(len, processes)))
        self._print_lock = threading.Lock()
        self._stop_signal: signal.Signals | None = None

    # Output ---------------------------------------------------------------------------------

    def _write(self, name: str, colour: str | None, data: bytes | str) -> None:
        message = Message("line", data, datetime.datetime.now(), name, colour)  # noqa: DTZ005 (the terminal's time)
        with self._print_lock:
            self.printer.write(message)

    def say(self, text: str) -> None:
        """Print a line of the supervisor's own, as honcho's "system" lines."""
        self._write(SYSTEM, None, text + "\n")

    def _relay(self, process: Supervised, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            self._write(process.name, process.colour, line)
        stream.close()

    # Processes ------------------------------------------------------------------------------

    def _start(self, process: Supervised) -> None:
        process.proc = subprocess.Popen(
            process.command,
            shell=True,
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped as a whole
        )
        process.started_at = time.monotonic()
        process.restart_at = None
        assert process.proc.stdout is not None
        process.reader = threading.Thread(
            target=self._relay, args=(process, process.proc.stdout), daemon=True
        )
        process.reader.start()
        self.say(f"{process.name} started (pid={process.proc.pid})")

    def _exited(self, process: Supervised, code: int) -> None:
        assert process.proc is not None
        # What it left behind (a dead gunicorn's workers still holding the port, an RQ
        # supervisor's worker processes finishing their job) is asked to stop; see _due.
        _signal_group(process.proc.pid, signal.SIGTERM)
        process.exited_at = time.monotonic()
        ran = process.exited_at - process.started_at
        process.failures = 1 if ran >= self.reset_after else process.failures + 1
        delay = restart_delay(process.failures, self.first, self.most)
        process.restart_at = time.monotonic() + delay
        self.say(
            f"{process.name} stopped (rc={code}) after {ran:.1f} s; "
            f"restarting in {delay:g} s (exit {process.failures} in a row)"
        )

    def _due(self, process: Supervised, now: float) -> bool:
        """Return whether to start it again: its delay passed, and nothing of it is left.

        What the last run left has `stop_wait` seconds from its exit to stop, then is killed.
        """
        if process.restart_at is None or now < process.restart_at:
            return False
        assert process.proc is not None
        if _group_alive(process.proc.pid):
            if now - process.exited_at < self.stop_wait:
                return False
            self.say(f"sending SIGKILL to what {process.name} left (group {process.proc.pid})")
            _signal_group(process.proc.pid, signal.SIGKILL)
        return True

    def _stop_all(self) -> None:
        for process in self.processes:  # what a dead run left, waiting for its restart
            if not process.running and process.proc is not None:
                _signal_group(process.proc.pid, signal.SIGKILL)
        running = [p for p in self.processes if p.running]
        for process in running:
            assert process.proc is not None
            self.say(f"sending SIGTERM to {process.name} (pid {process.proc.pid})")
            _signal_group(process.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_wait
        for process in running:
            assert process.proc is not None
            try:
                process.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"sending SIGKILL to {process.name} (pid {process.proc.pid})")
            else:
                self.say(f"{process.name} stopped (rc={process.proc.returncode})")
        for process in running:
            assert process.proc is not None
            _signal_group(process.proc.pid, signal.SIGKILL)  # its children too, if any linger
            process.proc.wait()
        for process in self.processes:
            if process.reader is not None:
                process.reader.join(1)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop_signal is None:
            self._stop_signal = signal.Signals(signum)

    def _ticks(self) -> Iterator[None]:
        while self._stop_signal is None:
            yield
            time.sleep(TICK)

    def run(self, on_started: Callable[[], None] | None = None) -> int:
        """Run until SIGINT or SIGTERM; return 130 or 143 as honcho did."""
        before = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for process in self.processes:
                self._start(process)
            if on_started is not None:
                threading.Thread(target=on_started, daemon=True).start()
            for _tick in self._ticks():
                now = time.monotonic()
                for process in self.processes:
                    if process.running:
                        assert process.proc is not None
                        code = process.proc.poll()
                        if code is not None:
                            self._exited(process, code)
                    elif self._due(process, now):
                        self._start(process)
            assert self._stop_signal is not None
            self.say(f"{self._stop_signal.name} received")
            return SIGNAL_CODES.get(self._stop_signal, 0)
        finally:
            # A second Ctrl-C must not interrupt the stopping.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self._stop_all()
            for signum, handler in before.items():
                signal.signal(signum, handler)


def procfile_processes(procfile: Path) -> dict[str, str]:
    """Return the Procfile's processes, name to command, in its order."""
    return dict(parse_procfile(procfile.read_text()).processes)
