"""`LINLI_DEMO=0 make run` (`make run-empty`): the database is migrated and holds no community."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from pwa import launcher


@pytest.mark.parametrize(
    ("value", "wanted"),
    [(None, True), ("1", True), ("yes", True), ("0", False), ("no", False), ("OFF", False)],
)
def test_the_demo_is_the_default(value: str | None, wanted: bool) -> None:
    env = {} if value is None else {"LINLI_DEMO": value}
    assert launcher.demo_wanted(env) is wanted


def test_an_empty_start_migrates_and_loads_no_community(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "linli.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "LINLI_ENV": "development",
        "SECRET_KEY": "empty-start",
        "LINLI_DEMO": "0",
    }
    assert launcher.prepare(env) is False
    assert "Starting empty" in capfd.readouterr().out
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM community").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM person").fetchone() == (0,)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() is not None


def test_the_banner_of_an_empty_start_says_what_to_do_next() -> None:
    text = launcher.banner("http://127.0.0.1:8000", {"书记": "+8613900000001"}, demo=False)
    assert "flask --app pwa admin add" in text and "/dev/inbox" in text
    assert "+8613900000001" not in text
