"""Visits at district scale: the head's list and coverage pages, 100 ms at the 95th percentile.

    python -m bench.visits --write docs/performance.md   # 150,000 households, 2 million visits
    python -m bench.visits --quick                       # 3,000 households: does it all work

It builds a fresh SQLite database (migrated like production) holding a district: 50
communities of 5 grids and 6 buildings each, 100 households per building, about 2.7
residents per household, 2 million visits over the last 12 months (this month about half
done) with their per-household month rows, and open needs. Everything is written with bulk
Core inserts, never ORM objects one by one. Then it asks the real app (its Flask test client,
signed in through a real session) for each page many times, as a random head, grid leader or
secretary, and records the server time of each request.

It writes its own section of docs/performance.md between markers, leaving the broadcast
section (bench/broadcast.py) alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.harness import write_section
from models import clock

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0
BEGIN = "<!-- bench.visits: begin -->"
END = "<!-- bench.visits: end -->"

COMMUNITIES = 50
GRIDS = 5
BUILDINGS_PER_GRID = 6
HOUSEHOLDS_PER_BUILDING = 100
VISITS = 2_000_000
CHUNK = 50_000
VISIT_SQL = (
    "INSERT INTO visit (id, key, household_id, building_id, community_id, visitor_id,"
    " visited_on, met, note, via, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', '好', 'web', ?)"
)
RESIDENT_SQL = (
    "INSERT INTO resident (id, household_id, name, birth_year, phone, lives_alone,"
    " has_smartphone, care_flags, sms_consent, person_id, updated_at)"
    " VALUES (?, ?, ?, ?, NULL, ?, 0, ?, 0, NULL, ?)"
)
MONTH_SQL = (
    "INSERT INTO household_month (household_id, month, community_id, grid_id, building_id,"
    " visits, last_visited_on) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class Scale:
    communities: int
    visits: int

    @property
    def households(self) -> int:
        return self.communities * GRIDS * BUILDINGS_PER_GRID * HOUSEHOLDS_PER_BUILDING


def month_add(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[i : i + CHUNK])


def build(scale: Scale, today: date, seed: int = 7) -> dict[str, Any]:
    """Fill the database with a district; return ids of people to ask as, and counts."""
    from models import (
        Building,
        Community,
        Grid,
        Household,
        Need,
        Person,
        Post,
        db,
    )

    rng = random.Random(seed)
    now = clock.utcnow()
    # The big tables go as plain tuples straight to the driver, in the formats SQLAlchemy
    # writes on SQLite (ISO dates, "YYYY-MM-DD HH:MM:SS.ffffff" UTC times): several times
    # faster than through per-row type processing.
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    first_month = month_add(today, -11)
    started = time.monotonic()
    heads: list[int] = []
    leaders: list[int] = []
    secretaries: list[int] = []
    with db.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA cache_size = -500000")  # 500 MB while loading
        communities = [
            {"id": c, "code": f"c{c}", "name": f"社区{c}", "district": "华州区",
             "sms_signature": "", "created_at": now}
            for c in range(1, scale.communities + 1)
        ]  # fmt: skip
        _insert(conn, Community.__table__, communities)
        grids, buildings, households, residents = [], [], [], []
        people, posts = [], []
        grid_id = building_id = household_id = resident_id = person_id = 0

        def person(role: str, community: int, grid: int | None, building: int | None) -> int:
            nonlocal person_id
            person_id += 1
            people.append({"id": person_id, "name": f"人员{person_id}", "phone":
                           f"+86138{person_id:08d}", "language": "zh", "active": True,
                           "created_at": now})  # fmt: skip
            posts.append({"person_id": person_id, "role": role, "community_id": community,
                          "grid_id": grid, "building_id": building, "duties": "",
                          "starts_on": date(2020, 1, 1), "ends_on": None})  # fmt: skip
            return person_id

        for c in range(1, scale.communities + 1):
            secretaries.append(person("secretary", c, None, None))
            for g in range(1, GRIDS + 1):
                grid_id += 1
                grids.append({"id": grid_id, "community_id": c, "number": g, "name": f"第{g}网格"})
                leaders.append(person("grid_leader", c, grid_id, None))
                for b in range(1, BUILDINGS_PER_GRID + 1):
                    building_id += 1
                    buildings.append({"id": building_id, "community_id": c, "grid_id": grid_id,
                                      "compound": f"小区{g}", "name": f"{b}号楼"})  # fmt: skip
                    heads.append(person("building_head", c, grid_id, building_id))
                    for i in range(HOUSEHOLDS_PER_BUILDING):
                        household_id += 1
                        unit, floor = i // 20 + 1, i % 20 // 2 + 1
                        households.append({"id": household_id, "building_id": building_id,
                                           "unit": str(unit), "floor": floor,
                                           "room": f"{floor}0{i % 2 + 1}", "contact_name": "",
                                           "contact_phone": None, "note": ""})  # fmt: skip
                        for _r in range(rng.choice((1, 2, 3, 3, 4))):
                            resident_id += 1
                            residents.append((resident_id, household_id, f"居民{resident_id}",
                                              rng.randint(1930, 2015), rng.random() < 0.05,
                                              '["独居"]' if rng.random() < 0.03 else "[]",
                                              stamp))  # fmt: skip
        _insert(conn, Grid.__table__, grids)
        _insert(conn, Building.__table__, buildings)
        _insert(conn, Household.__table__, households)
        conn.exec_driver_sql(RESIDENT_SQL, residents)
        _insert(conn, Person.__table__, people)
        _insert(conn, Post.__table__, posts)
    place = {b["id"]: (b["community_id"], b["grid_id"]) for b in buildings}
    household_building = [(h["id"], h["building_id"]) for h in households]
    del households, residents
    print(f"  places and people: {time.monotonic() - started:.1f} s", flush=True)

    # Visits, household by household and month by month: most households each past month
    # (some twice), about half so far this month. Made in that order, every index of the visit
    # table grows at its end, which keeps a 2-million-row load to a minute or so.
    months = [month_add(first_month, i) for i in range(12)]
    visits: list[tuple[Any, ...]] = []
    month_rows: list[tuple[Any, ...]] = []
    visit_id = 0
    n_households = len(household_building)
    per_household = scale.visits / n_households
    # Chosen so that the expected number of visits per household matches the scale.
    again = max(0.0, min(0.9, (per_household - 0.5) / (11 * 0.9) - 1))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA cache_size = -500000")  # 500 MB while loading
        for h, b in household_building:
            c, g = place[b]
            for m, month in enumerate(months):
                if m == 11:
                    if today.day == 1 or rng.random() < 0.5:
                        continue
                    days = [rng.randint(1, today.day)]
                else:
                    if rng.random() > 0.9:
                        continue
                    days = sorted(rng.randint(1, 28) for _ in range(1 + (rng.random() < again)))
                if visit_id + len(days) > scale.visits:
                    break
                for day in days:
                    visit_id += 1
                    visits.append((visit_id, f"b{visit_id:012d}", h, b, c, heads[b - 1],
                                   month.replace(day=day).isoformat(), stamp))  # fmt: skip
                month_rows.append((h, month.isoformat(), c, g, b, len(days),
                                   month.replace(day=days[-1]).isoformat()))  # fmt: skip
            if len(visits) >= CHUNK:  # written as they are made, so memory stays small
                conn.exec_driver_sql(VISIT_SQL, visits)
                visits.clear()
            if len(month_rows) >= CHUNK:
                conn.exec_driver_sql(MONTH_SQL, month_rows)
                month_rows.clear()
        if visits:
            conn.exec_driver_sql(VISIT_SQL, visits)
        if month_rows:
            conn.exec_driver_sql(MONTH_SQL, month_rows)
        household_months = conn.exec_driver_sql("SELECT count(*) FROM household_month").scalar()
        needs = []
        for i in range(20_000 * scale.communities // COMMUNITIES):
            h, b = household_building[rng.randrange(n_households)]
            c, g = place[b]
            needs.append({"community_id": c, "grid_id": g, "building_id": b, "household_id": h,
                          "source": "visit", "category": "repairs", "text": f"需求{i}",
                          "status": "open" if rng.random() < 0.3 else "answered",
                          "reason": "", "answer": "",
                          "created_at": now - timedelta(days=rng.randint(0, 300))})  # fmt: skip
        _insert(conn, Need.__table__, needs)
    print(
        f"  {visit_id:,} visits, {household_months:,} household-months: "
        f"{time.monotonic() - started:.1f} s",
        flush=True,
    )
    return {
        "heads": heads,
        "leaders": leaders,
        "secretaries": secretaries,
        "households": n_households,
        "household_months": household_months,
        "visits": visit_id,
        "build_seconds": time.monotonic() - started,
    }


@dataclass
class Measure:
    name: str
    path: str
    who: str
    times_ms: list[float]

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)]

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def ratio(self) -> float:
        return self.p95 / TARGET_MS

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "who": self.who, "requests":
                len(self.times_ms), "median_ms": round(self.median, 2),
                "p95_ms": round(self.p95, 2), "ratio": round(self.ratio, 3)}  # fmt: skip


def measure(app: Any, people: dict[str, Any], requests: int, seed: int = 11) -> list[Measure]:
    """Ask each page `requests` times as randomly chosen people; return the server times."""
    from flask.testing import FlaskClient

    from models import Person, db
    from pwa.auth import SESSION_KEY
    from services.sign_in import sessions

    rng = random.Random(seed)
    clients: dict[int, FlaskClient] = {}

    def client_for(person_id: int) -> FlaskClient:
        if person_id not in clients:
            with app.app_context():
                person = db.session.get(Person, person_id)
                token = sessions.start(person, now=clock.utcnow())
                db.session.commit()
            client = app.test_client()
            with client.session_transaction() as session:
                session[SESSION_KEY] = token
            clients[person_id] = client
        return clients[person_id]

    pages = [
        ("head's list (my households)", "/visits", "building head", people["heads"]),
        ("head's coverage", "/coverage", "building head", people["heads"]),
        ("grid coverage", "/coverage", "grid leader", people["leaders"]),
        ("community coverage", "/coverage", "secretary", people["secretaries"]),
        ("secretary's home (coverage first)", "/area", "secretary", people["secretaries"]),
    ]
    results = []
    for name, path, who, ids in pages:
        times = []
        for i in range(requests + 5):
            client = client_for(rng.choice(ids))
            began = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{path} as {who}: HTTP {response.status_code}")
            if i >= 5:  # the first few warm the caches (templates, statements)
                times.append(elapsed)
        result = Measure(name, path, who, times)
        print(f"  {name}: median {result.median:.1f} ms, p95 {result.p95:.1f} ms", flush=True)
        results.append(result)
    return results


def markdown(
    results: list[Measure], built: dict[str, Any], scale: Scale, elapsed: float, load: str
) -> str:
    rows = "\n".join(
        f"| {m.name} | `{m.path}` | {m.who} | {len(m.times_ms)} | {m.median:.1f} ms | "
        f"{m.p95:.1f} ms | {m.ratio:.2f}× |"
        for m in results
    )
    stamp = clock.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    return f"""{BEGIN}
## Visits and coverage at district scale (issue 4)

Written by `python -m bench.visits --write docs/performance.md` (part of `make bench`) on
{stamp}; the run took {elapsed:.0f} s, of which {built["build_seconds"]:.0f} s building the data.

A fresh SQLite (WAL) database migrated like production, holding {scale.communities} communities
× {GRIDS} grids × {BUILDINGS_PER_GRID} buildings × {HOUSEHOLDS_PER_BUILDING} households =
{built["households"]:,} households (about 2.7 residents each), {built["visits"]:,} visits over the
last 12 months (this month about half done), {built["household_months"]:,} household-month rows
and open needs. Each page is asked for by randomly chosen people through the app's own test
client with a real signed-in session; the time is the whole request in the server process
(routing, session, queries, template), without network. Target: 100 ms at the 95th
percentile; the ratio is p95 / 100 ms (below 1 meets it). The machine's load average while
measuring: {load} (2 cores; other work on the machine slows every figure, so a busy run reads
higher).

| page | path | as | requests | median | p95 | ratio to 100 ms |
|---|---|---|---|---|---|---|
{rows}

Why it stays fast: a visit writes its household-month row (`household_month`, one per
household and month, upserted in the visit's transaction), so "visited this month" and the
12-month trend are grouped counts over `(building_id, month)` and `(community_id, month)`
indexes, never a scan of the visits; a household's last visit is a max over the
`(household_id, visited_on)` index; residents' flags come from one grouped query for the
households on the page.

Run it again: `make bench` (every part), or `.venv/bin/python -m bench.visits` (this part),
or `--quick` for {QUICK_COMMUNITIES * GRIDS * BUILDINGS_PER_GRID * HOUSEHOLDS_PER_BUILDING:,}
households. It exits with status 2 when a page misses the target (full runs only).
{END}
"""


QUICK_COMMUNITIES = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.visits", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one community, 30,000 visits")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--write", type=Path, help="write this part's section here (Markdown)")
    parser.add_argument("--json", type=Path, help="write the figures here (JSON)")
    args = parser.parse_args(argv)
    scale = Scale(QUICK_COMMUNITIES, 30_000) if args.quick else Scale(COMMUNITIES, VISITS)
    requests = min(args.requests, 40) if args.quick else args.requests

    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-visits-"))
    began = time.monotonic()
    try:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'district.sqlite3'}"
        from flask_migrate import upgrade

        from pwa import create_app

        app = create_app(
            {
                "SECRET_KEY": "bench",
                "LINLI_ENV": "development",
                "TESTING": False,
                "DEV_INBOX": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            print(f"building {scale.households:,} households, {scale.visits:,} visits ...")
            built = build(scale, clock.today())
        print("measuring ...", flush=True)
        before = os.getloadavg()[0]
        results = measure(app, built, requests)
        load = f"{before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - began
    section = markdown(results, built, scale, elapsed, load)
    print()
    print(section)
    if args.write:
        write_section(args.write, section, BEGIN, END)
        print(f"written to {args.write}")
    if args.json:
        args.json.write_text(json.dumps([m.summary() for m in results], indent=2))
    if not args.quick and not all(m.p95 <= TARGET_MS for m in results):
        print("BELOW TARGET: see the ratio column.")
        return 2
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
