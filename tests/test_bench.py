"""`make bench` end to end, small: every phone gets its SMS exactly once, nothing is left unsent.

Only correctness is asserted here; the send rates are measured by `make bench` itself and
recorded in docs/performance.md (timings in a test would fail on a busy machine, not a bug).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT


def test_quick_bench_sends_every_phone_one_sms(tmp_path: Path) -> None:
    figures = tmp_path / "bench.json"
    result = subprocess.run(
        # 400 phones, not --quick's 1,000: a check that every phone gets one SMS, not a
        # measurement, in a third less time on a CI machine running two suites at once.
        [sys.executable, "-m", "bench.broadcast", "--phones", "400", "--json", str(figures)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    scenarios = json.loads(figures.read_text())
    assert [s["scenario"] for s in scenarios] == ["A", "B", "C", "D"]
    for s in scenarios:
        phones = s["phones"]
        assert phones == 400
        assert s["finished"], output
        assert s["received"] == phones, f"{s['scenario']}: sent twice or lost\n{output}"
        assert s["distinct"] == phones, f"{s['scenario']}: a phone got none\n{output}"
        assert s["states"] == {"sent": phones}, f"{s['scenario']}: left unsent\n{output}"
        assert s["uncertain"] == 0
    # The table names every scenario (C: through Alibaba Cloud SMS, D: Tencent Cloud SMS).
    assert "A: at the provider's limit" in result.stdout
    assert "B: no limit" in result.stdout
    assert "C: Alibaba Cloud, 10 calls/s" in result.stdout
    assert "D: Tencent Cloud, 10 calls/s" in result.stdout
