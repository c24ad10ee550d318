"""`python -m bench.visits --quick` works end to end: it builds a district, every page answers.

Only that it runs and measures is asserted; the times themselves are recorded by `make bench`
in docs/performance.md (timings in a test would fail on a busy machine, not a bug).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT


def test_quick_visits_bench_measures_every_page(tmp_path: Path) -> None:
    figures = tmp_path / "visits.json"
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Broadcast send rate (issue 3)\n\nkept\n")
    result = subprocess.run(
        [sys.executable, "-m", "bench.visits", "--quick", "--requests", "5",
         "--json", str(figures), "--write", str(doc)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    output = result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    pages = json.loads(figures.read_text())
    assert [p["path"] for p in pages] == ["/visits", "/coverage", "/coverage", "/coverage", "/area"]
    assert all(p["requests"] == 5 and p["p95_ms"] > 0 for p in pages)
    text = doc.read_text()
    # Its own section is added, and the broadcast section is kept; a second run replaces it.
    assert "## Broadcast send rate (issue 3)\n\nkept" in text
    assert text.count("<!-- bench.visits: begin -->") == 1 and "ratio to 100 ms" in text
