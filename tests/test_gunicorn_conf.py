"""gunicorn.conf.py: the web worker freezes what the app built at start-up."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_worker_freezes_what_start_up_built() -> None:
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    gc.collect()
    try:
        hooks["post_worker_init"](None)
        # Everything alive now: this process's modules and objects, thousands of them.
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_gunicorn_reads_it_from_where_the_procfile_starts_it() -> None:
    # The Procfile's web command names no --config: gunicorn's default is ./gunicorn.conf.py.
    web = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert "gunicorn" in web and "--config" not in web and "-c " not in web
