"""make run's supervisor: a process that exits is restarted with backoff, the others go on."""

from __future__ import annotations

import io
import os
import re
import signal
import threading
from pathlib import Path

from pwa.supervisor import Supervisor, restart_delay
from tests.processes import alive


def test_restart_delays_double_up_to_the_most() -> None:
    assert [restart_delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def _run_for(supervisor: Supervisor, seconds: float) -> int:
    """Run the supervisor in this (the main) thread; SIGTERM it after `seconds`."""
    timer = threading.Timer(seconds, os.kill, args=(os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        return supervisor.run()
    finally:
        timer.cancel()


def test_a_process_that_keeps_dying_is_restarted_with_backoff_the_others_untouched(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    pids = tmp_path / "steady.pids"
    supervisor = Supervisor(
        {"flaky": "exit 3", "steady": f"echo $$ >> {pids}; exec sleep 60"},
        os.environ,
        tmp_path,
        output=out,
        first=0.1,
        most=0.4,
        reset_after=10,
    )
    before = signal.getsignal(signal.SIGTERM)
    assert _run_for(supervisor, 2.5) == 143
    log = out.getvalue()
    delays = [
        float(d) for d in re.findall(r"flaky stopped \(rc=3\).*restarting in ([\d.]+) s", log)
    ]
    assert delays[:4] == [0.1, 0.2, 0.4, 0.4], log
    assert len(re.findall(r"steady started", log)) == 1, log
    [steady] = [int(p) for p in pids.read_text().split()]
    assert not alive(steady), "stopping stopped it"
    assert "SIGTERM received" in log
    assert signal.getsignal(signal.SIGTERM) == before, "the previous handler is back"


def test_a_process_that_ran_a_while_restarts_after_the_first_delay_again(tmp_path: Path) -> None:
    out = io.StringIO()
    supervisor = Supervisor(
        {"slow": "sleep 0.3; exit 1"}, os.environ, tmp_path, output=out, first=0.1, reset_after=0.2
    )
    _run_for(supervisor, 2)
    delays = re.findall(r"restarting in ([\d.]+) s \(exit (\d+) in a row\)", out.getvalue())
    assert len(delays) >= 3, out.getvalue()
    assert set(delays) == {("0.1", "1")}, out.getvalue()


def test_what_a_dead_process_left_gets_time_to_stop_then_is_killed_before_the_restart(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    left = tmp_path / "left.pid"
    # The process exits and leaves a child in its group that ignores SIGTERM.
    command = f"(trap '' TERM; exec sleep 60) & echo $! >> {left}; exec sleep 0.3"
    supervisor = Supervisor(
        {"leader": command}, os.environ, tmp_path, output=out, first=0.1, stop_wait=0.6
    )
    _run_for(supervisor, 2)
    log = out.getvalue()
    assert "sending SIGKILL to what leader left" in log, log
    assert log.count("leader started") >= 2, log
    # Each run leaves one; the first was killed before the second run (the latest run's may
    # still be within its stop_wait when the test stops looking).
    first = int(left.read_text().split()[0])
    assert not alive(first), "the one left behind was killed"
