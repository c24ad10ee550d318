"""Pages under a crowd: 16 concurrent clients through gunicorn, against a minimal 2 KB page.

    python -m bench.pages --write docs/performance.md   # every page, 4 s each
    python -m bench.pages --quick                       # 1 s each: does it all work

It starts a private Redis, migrates a fresh SQLite database, loads the demo community
(`flask demo`: 1,200 households, 3,000 residents) and starts gunicorn with the Procfile's own
web command line, in which only the app changes: `bench.pages:bench_app()` is the product's
app plus one page, `/bench/minimal`, about 2 KB of fixed HTML that goes through every hook a
page does (session, security headers, compression) and reads nothing. That page is measured
for comparison only; it is never part of the product.

Each page is then asked for by 16 threads at once, each with its own keep-alive connection,
signed in as the person the page is for (a real session in the database and a cookie signed
with the server's key), accepting gzip as a browser does. Target: every page at least 0.1 of
the minimal page's rate, with p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Redis, base_environment, migrate, procfile_commands, stop_group
from bench.harness import write_section as write_doc_section

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- bench.pages: begin -->"
END = "<!-- bench.pages: end -->"
CLIENTS = 16
TARGET_RATIO = 0.1
TARGET_P95_MS = 100.0
MINIMAL_PATH = "/bench/minimal"
APP_FACTORY = "'pwa:create_app()'"
BENCH_FACTORY = "'bench.pages:bench_app()'"

# (who, page, path): the main pages of each role, in the demo community. Paths are filled in
# with the demo's own ids once it is loaded.
PAGES: list[tuple[str, str, str]] = [
    ("secretary", "home (area)", "/area"),
    ("secretary", "households (visits list)", "/visits"),
    ("secretary", "coverage", "/coverage"),
    ("secretary", "needs", "/needs"),
    ("secretary", "outbox", "/secretary/outbox?community={community}"),
    ("secretary", "audit trail", "/secretary/audit?community={community}"),
    ("secretary", "posts", "/secretary/posts?community={community}"),
    ("secretary", "buildings", "/secretary/buildings?community={community}"),
    ("secretary", "grid", "/grids/{grid}"),
    ("secretary", "building", "/buildings/{building}"),
    ("secretary", "household", "/households/{household}"),
    ("secretary", "search", "/search?q=%E7%8E%8B"),
    ("secretary", "work orders", "/work-orders"),
    ("secretary", "broadcasts", "/broadcasts"),
    ("secretary", "wishes (area)", "/area/wishes"),
    ("grid leader (grid 1)", "home (area)", "/area"),
    ("grid leader (grid 1)", "households (visits list)", "/visits"),
    ("grid leader (grid 1)", "coverage", "/coverage"),
    ("building head", "home (area)", "/area"),
    ("building head", "households (visits list)", "/visits"),
    ("building head", "needs", "/needs"),
    ("N member", "my work", "/my/work"),
    ("N member", "wish wall", "/wall"),
    ("resident", "home", "/me"),
    ("resident", "wishes", "/me/wishes"),
    ("anyone", "notice board", "/c/{code}/board"),
]


def bench_app() -> Any:
    """The product's app plus the minimal comparison page (bench only)."""
    from pwa import create_app

    app = create_app()
    line = "<p>邻里 Linli: a fixed paragraph that stands for a page's text.</p>\n"
    body = "<!doctype html><html><head><title>minimal</title></head><body>\n"
    while len(body.encode()) < 2048 - 20:
        body += line
    body += "</body></html>\n"

    @app.get(MINIMAL_PATH)
    def bench_minimal() -> str:
        return body

    return app


@dataclass
class Result:
    who: str
    page: str
    path: str
    requests: int
    errors: int
    seconds: float
    times_ms: list[float]
    bytes_sent: int
    plain_bytes: int
    minimal_rate: float = 0.0  # the minimal page's rate measured just before this page

    @property
    def ratio(self) -> float:
        return self.rate / self.minimal_rate if self.minimal_rate else 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def quantile(self, q: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, round(q * len(ordered)) - 1)] if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms) if self.times_ms else 0.0

    @property
    def p95(self) -> float:
        return self.quantile(0.95)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def web_command() -> str:
    command = procfile_commands()["web"]
    if APP_FACTORY not in command:
        raise RuntimeError(f"the Procfile's web command no longer names {APP_FACTORY}: {command}")
    return command.replace(APP_FACTORY, BENCH_FACTORY)


def server_shape(command: str, env: Mapping[str, str]) -> str:
    """Say how many workers and threads the web command starts with this environment."""

    def setting(name: str) -> str:
        found = re.search(r"\$\{" + name + r":-(\d+)\}", command)
        return env.get(name) or (found.group(1) if found else "?")

    return f"{setting('WEB_CONCURRENCY')} workers × {setting('WEB_THREADS')} thread(s)"


def get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, int]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    return response.status, len(body)


def wait_until_serving(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            # Any answer will do: /healthz says 503 as long as no queue worker runs.
            get(conn, "/healthz", {})
            conn.close()
            return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def crowd(
    port: int, path: str, headers: dict[str, str], seconds: float, warmup: float
) -> tuple[int, int, float, list[float], int]:
    """CLIENTS threads asking for `path` for `seconds` (after `warmup`); return what they saw."""
    start = time.monotonic() + warmup
    stop = start + seconds
    times: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors = [0] * CLIENTS
    sizes = [0] * CLIENTS

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            began = time.monotonic()
            if began >= stop:
                break
            try:
                status, size = get(conn, path, headers)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, size = 0, 0
            ended = time.monotonic()
            # Counted when it ends inside the window: a slow page still shows its rate.
            if start <= ended <= stop:
                times[i].append((ended - began) * 1000)
                sizes[i] = size
                if status != 200:
                    errors[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    all_times = [t for ts in times for t in ts]
    return len(all_times), sum(errors), seconds, all_times, max(sizes)


def sign_in_cookies(env: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Open a real session for each demo person; return their cookies and the demo's ids."""
    os.environ.update(env)
    from sqlalchemy import select

    from models import Building, Community, Grid, Household, Person, clock, db
    from pwa import create_app
    from pwa.auth import SESSION_KEY
    from services.roster.demo import DEMO_PHONES
    from services.sign_in import codes, sessions

    app = create_app()
    cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
    cookies: dict[str, str] = {"anyone": ""}
    with app.test_request_context():
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        for who, phone in DEMO_PHONES.items():
            # As signing in does: a resident's person is made from the roster on first use.
            person = codes.find_person_for_phone(phone)
            if person is None:
                raise RuntimeError(f"the demo has no {who} ({phone})")
            token = sessions.start(person, now=clock.utcnow())
            cookies[who] = f"{cookie_name}={serializer.dumps({SESSION_KEY: token})}"
        db.session.commit()
        head = db.session.scalar(select(Person).where(Person.phone == DEMO_PHONES["building head"]))
        assert head is not None
        head_post = next(p for p in head.posts if p.building_id is not None)
        building = db.session.get(Building, head_post.building_id)
        assert building is not None
        household = db.session.scalar(
            select(Household).where(Household.building_id == building.id).order_by(Household.id)
        )
        community = db.session.get(Community, building.community_id)
        grid = db.session.scalar(
            select(Grid).where(Grid.community_id == building.community_id).order_by(Grid.number)
        )
        assert household is not None and community is not None and grid is not None
        ids = {
            "community": community.id,
            "code": community.code,
            "grid": grid.id,
            "building": building.id,
            "household": household.id,
        }
    return cookies, ids


def run(
    seconds: float, keep: bool, only: str | None = None, rounds: int = 1
) -> tuple[list[Result], Result, dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-pages-"))
    redis = Redis(workdir / "redis")
    web: subprocess.Popen[bytes] | None = None
    try:
        redis.start()
        env = base_environment(f"sqlite:///{workdir / 'linli.db'}", redis.url)
        # The bench's clients all come from 127.0.0.1: per-IP limits are not under test.
        env["SIGN_IN_IP_LIMIT"] = "1000000/hour"
        port = free_port()
        env.update(PORT=str(port), BIND="127.0.0.1", AUDIT_SPOOL=str(workdir / "audit.spool"))
        print("  migrating and loading the demo ...", flush=True)
        migrate(env)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "pwa", "demo"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        cookies, ids = sign_in_cookies(env)
        log = (workdir / "web.log").open("wb")
        web = subprocess.Popen(
            web_command(), shell=True, cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_until_serving(port, web)
        accept = {"Accept-Encoding": "gzip, deflate", "Accept-Language": "zh-CN"}
        warmup = min(1.0, seconds / 4)

        def measure_minimal() -> Result:
            count, errors, secs, times, size = crowd(
                port, MINIMAL_PATH, accept, seconds / 2, warmup / 2
            )
            return Result("anyone", "minimal 2 KB page (bench only)", MINIMAL_PATH, count,
                          errors, secs, times, size, 2048)  # fmt: skip

        minimals = []
        results = []
        for who, page, template in PAGES:
            path = template.format(**ids)
            if only and only not in f"{who} {page} {path}":
                continue
            headers = dict(accept)
            if cookies[who]:
                headers["Cookie"] = cookies[who]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            plain_headers = {k: v for k, v in headers.items() if k != "Accept-Encoding"}
            status, plain = get(conn, path, plain_headers)
            conn.close()
            if status != 200:
                log_tail = (workdir / "web.log").read_text()[-2000:]
                raise RuntimeError(f"{path} as {who}: HTTP {status}\n{log_tail}")
            # The machine's load drifts (other work shares the cores): each page is compared
            # with the minimal page measured just before it, in several rounds; the round
            # with the median ratio stands for the page (one disturbed round moves nothing).
            measured = []
            for _ in range(rounds):
                minimal = measure_minimal()
                minimals.append(minimal)
                count, errors, secs, times, size = crowd(port, path, headers, seconds, warmup)
                result = Result(who, page, path, count, errors, secs, times, size, plain,
                                minimal_rate=minimal.rate)  # fmt: skip
                print(
                    f"  {who} {page} {path}: {result.rate:,.0f}/s "
                    f"(minimal {minimal.rate:,.0f}/s, ratio {result.ratio:.3f}), "
                    f"p50 {result.p50:.1f} ms, p95 {result.p95:.1f} ms, "
                    f"{plain / 1024:.0f} KB ({size / 1024:.1f} KB gzip)"
                    + (f", {errors} errors" if errors else ""),
                    flush=True,
                )
                measured.append(result)
            median = sorted(measured, key=lambda r: r.ratio)[len(measured) // 2]
            median.errors = sum(r.errors for r in measured)
            results.append(median)
        every_time = [t for m in minimals for t in m.times_ms]
        minimal = Result("anyone", "minimal 2 KB page (bench only)", MINIMAL_PATH,
                         sum(m.requests for m in minimals), sum(m.errors for m in minimals),
                         sum(m.seconds for m in minimals), every_time,
                         max(m.bytes_sent for m in minimals), 2048)  # fmt: skip
        return results, minimal, ids
    finally:
        if web is not None:
            stop_group(web)
        redis.stop()
        if keep:
            print(f"  kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def markdown(
    results: list[Result],
    minimal: Result,
    seconds: float,
    elapsed: float,
    load: str,
    rounds: int = 1,
) -> str:
    from models import clock

    def row(r: Result) -> str:
        ok = r.ratio >= TARGET_RATIO and r.p95 < TARGET_P95_MS and not r.errors
        return (
            f"| {r.who} | {r.page} | `{r.path}` | {r.rate:,.0f} | {r.minimal_rate:,.0f} | "
            f"{r.ratio:.2f} | {r.p50:.1f} ms | "
            f"{r.p95:.1f} ms | {r.plain_bytes / 1024:.1f} / {r.bytes_sent / 1024:.1f} KB | "
            f"{'✓' if ok else '✗'} |"
        )

    rows = "\n".join(row(r) for r in results)
    baseline = (
        f"| — | {minimal.page}, all its runs | `{minimal.path}` | {minimal.rate:,.0f} | | 1.00 | "
        f"{minimal.p50:.1f} ms | {minimal.p95:.1f} ms | "
        f"2.0 / {minimal.bytes_sent / 1024:.1f} KB | |"
    )
    stamp = clock.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    web = procfile_commands()["web"]
    shape = server_shape(web, os.environ)  # the server's environment is this one (base_environment)
    return f"""{BEGIN}
## Pages under a crowd (issue 11)

Written by `python -m bench.pages --write docs/performance.md` (part of `make bench`) on
{stamp}; the run took {elapsed:.0f} s.

gunicorn started with the Procfile's web command ({shape}) on the
demo community (1,200 households, 3,000 residents, SQLite (WAL)), a private Redis. {CLIENTS}
clients at once, each a thread with its own connection (kept alive when the server keeps it;
gunicorn's sync worker closes it after each answer), signed in as the person
named (a real session), accepting gzip; each page is asked for {seconds:.0f} s after a short
warm-up. The clients run on the same 2 cores as the server, as does anything else on the
machine: absolute rates move with the load ({load}); so each page is compared with the
minimal page measured just before it (for half as long), in {rounds} round(s) per page; the
table shows each page's round with the median ratio. The minimal page is
about 2 KB of fixed HTML served by the same app (session, headers, compression), registered
only by the bench's app factory. Target: every page at least {TARGET_RATIO} of its rate with
p95 under {TARGET_P95_MS:.0f} ms. Size: HTML as rendered / as sent gzipped.

| as | page | path | requests/s | minimal page just before | ratio | p50 | p95 | size | target |
|---|---|---|---|---|---|---|---|---|---|
{baseline}
{rows}

The web command:

```
{web}
```
{END}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1 s per page instead of 4")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per page; the median one is reported"
    )
    parser.add_argument("--write", type=Path, help="write the section into this markdown file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--only", help="measure only the pages whose 'who page path' contains this (iterating)"
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (1.0 if args.quick else 4.0)
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    rounds = max(1, args.rounds)
    results, minimal, _ids = run(seconds, args.keep, args.only, rounds)
    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    elapsed = time.monotonic() - began
    text = markdown(results, minimal, seconds, elapsed, load, rounds)
    if args.write:
        write_doc_section(args.write, text, BEGIN, END)
    else:
        print(text)
    missed = [
        r for r in results
        if r.errors or r.ratio < TARGET_RATIO or r.p95 >= TARGET_P95_MS
    ]  # fmt: skip
    if any(r.errors for r in results):
        return 1
    return 2 if missed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
