"""bench/pages.py's own parts: the Procfile's web command with the bench's app, the figures."""

from __future__ import annotations

from bench import pages


def test_the_bench_runs_the_procfiles_web_command_with_its_own_app() -> None:
    command = pages.web_command()
    assert "'bench.pages:bench_app()'" in command and "pwa:create_app()" not in command
    assert command.startswith("exec gunicorn ") and "--threads" in command


def test_ratio_and_quantiles() -> None:
    result = pages.Result(
        "secretary", "home", "/area", 100, 0, 2.0, [float(i) for i in range(1, 101)], 0, 0,
        minimal_rate=500.0,
    )  # fmt: skip
    assert result.rate == 50.0
    assert result.ratio == 0.1
    assert result.p95 == 95.0 and result.p50 == 50.5


def test_every_role_of_the_demo_has_pages() -> None:
    from services.roster.demo import DEMO_PHONES

    whos = {who for who, _page, _path in pages.PAGES}
    assert whos - {"anyone"} <= set(DEMO_PHONES)
    assert {"secretary", "resident", "building head"} <= whos


def test_the_figures_say_how_many_workers_and_threads_served_them() -> None:
    command = '--workers "${WEB_CONCURRENCY:-4}" --threads "${WEB_THREADS:-1}"'
    assert pages.server_shape(command, {}) == "4 workers × 1 thread(s)"
    assert pages.server_shape(command, {"WEB_THREADS": "4"}) == "4 workers × 4 thread(s)"
    assert pages.server_shape("gunicorn app", {}) == "? workers × ? thread(s)"
