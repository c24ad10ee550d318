"""`make bench`: a broadcast to 10,000 phones through the real pipeline, timed at the provider.

Three scenarios, side by side in one run, each on a fresh SQLite database (or PostgreSQL,
with --postgres) and a private Redis, with the worker and cron processes started from the
Procfile's own command lines and the fake provider in a process of its own:

- A, "at the limit": SMS_RATE_PER_SECOND=100 against a provider that answers in 150 ms and
  refuses (429) beyond 100 messages/s. Target: at least 95 % of the limit.
- B, "no limit": SMS_RATE_PER_SECOND=0, a provider answering at once. Target: 1,000 SMS/s.
- C, Alibaba Cloud SMS (template SMS, SendSms with many numbers a call) at ALIBABA_SMS_RATE=10
  API calls/s against its fake (150 ms a call, refusing beyond 10 calls/s).
- D, Tencent Cloud SMS (SendSms with up to 200 numbers a call) at TENCENT_SMS_RATE=10 API
  calls/s against its fake (150 ms a call, refusing beyond 10 calls/s).

This process plays the web process: it records the deliveries with send_later() and commits,
and its enqueuer thread hands them to RQ. The rate is measured where it matters, from the
times the provider received each message: (messages - 1) / (last - first).

    python -m bench.broadcast                 # every scenario, 10,000 phones, print a table
    python -m bench.broadcast --write docs/performance.md
    python -m bench.broadcast --quick         # 1,000 phones, for a check that it all works
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import (
    ROOT,
    FakeProvider,
    FakeProviderReport,
    ProcfileProcesses,
    Redis,
    base_environment,
    migrate,
    procfile_commands,
)
from models import clock

PHONES = 10_000
QUICK_PHONES = 1_000
# The processes a deployment runs for sending (the web process's part is played by us).
PROCESSES = ["worker", "cron"]
UNFINISHED = ("queued", "sending", "deferred")


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    limit: float  # SMS_RATE_PER_SECOND; 0 = none
    latency: float  # seconds the fake provider takes to answer
    provider_rate: float  # what the fake provider allows; 0 = anything
    target: float  # SMS/s the pipeline must sustain
    provider: str = "twilio"
    calls_limit: float = 0.0  # API calls/s (ALIBABA_SMS_RATE …) for a template provider

    def environment(self) -> dict[str, str]:
        env = {"SMS_RATE_PER_SECOND": f"{self.limit:g}"}
        if self.provider != "twilio":
            env[f"{self.provider.upper()}_SMS_RATE"] = f"{self.calls_limit:g}"
        return env


SCENARIOS = [
    Scenario("A", "at the provider's limit", 100, 0.150, 100, 95),
    Scenario("B", "no limit", 0, 0.0, 0, 1000),
    # Alibaba Cloud: one text to everyone goes by SendSms, many numbers a call, at the
    # account's rate of API calls (10/s here, the fake refusing beyond it).
    Scenario("C", "Alibaba Cloud, 10 calls/s", 0, 0.150, 10, 1000, "alibaba", 10),
    # Tencent Cloud: the same, at most 200 numbers a SendSms call.
    Scenario("D", "Tencent Cloud, 10 calls/s", 0, 0.150, 10, 1000, "tencent", 10),
]
# The notice template's approved code at each template provider's fake.
NOTICE_CODES = {"alibaba": "SMS_100001", "tencent": "1000001"}


@dataclass
class Result:
    scenario: Scenario
    phones: int
    record_seconds: float = 0.0  # send_later() + commit for every phone
    wall_seconds: float = 0.0  # commit -> no delivery left queued/sending/deferred
    first_after: float = 0.0  # commit -> the provider received the first message
    received: int = 0
    distinct: int = 0
    span: float = 0.0
    rejections: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    uncertain: int = 0
    calls: int = 0  # API calls at the provider
    finished: bool = True
    database: str = ""  # "SQLite (WAL)" or "PostgreSQL"
    # CPU seconds used from commit to the end: the Procfile's processes, this process (the
    # web process's part: the enqueuer; and the polling), the fake provider.
    cpu_app: float = 0.0
    cpu_web: float = 0.0
    cpu_provider: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at commit and at the end

    @property
    def rate(self) -> float:
        """Messages per second while sending, from the provider's clock."""
        return (self.received - 1) / self.span if self.span > 0 else 0.0

    @property
    def ratio(self) -> float:
        return self.rate / self.scenario.target

    @property
    def duplicates(self) -> int:
        return self.received - self.distinct

    @property
    def missing(self) -> int:
        return self.phones - self.distinct

    @property
    def correct(self) -> bool:
        """Every phone got exactly one SMS and no delivery was left unsent."""
        return (
            self.finished
            and self.received == self.phones
            and self.distinct == self.phones
            and self.states == {"sent": self.phones}
        )

    @property
    def meets_target(self) -> bool:
        return self.rate >= self.scenario.target

    def summary(self) -> dict[str, Any]:
        """Return the figures as plain data."""
        return {
            "scenario": self.scenario.key,
            "phones": self.phones,
            "received": self.received,
            "distinct": self.distinct,
            "states": self.states,
            "rejections": self.rejections,
            "uncertain": self.uncertain,
            "finished": self.finished,
            "correct": self.correct,
            "rate": round(self.rate, 1),
            "target": self.scenario.target,
            "meets_target": self.meets_target,
            "wall_seconds": round(self.wall_seconds, 2),
        }


def phone(i: int) -> str:
    return f"+86139{i:08d}"


def run_scenario(
    scenario: Scenario,
    phones: int,
    redis: Redis,
    workdir: Path,
    extra: dict[str, str],
    postgres: str | None = None,
) -> Result:
    """Broadcast to `phones` people and measure it; every process it starts is stopped.

    The database is a fresh SQLite file, or with `postgres` (a URL of a server where we may
    create databases) a fresh PostgreSQL database, dropped afterwards.
    """
    from redis import Redis as RedisClient

    with RedisClient.from_url(redis.url) as connection:
        connection.flushall()
    if postgres:
        database_url = fresh_postgres_database(postgres, f"linli_bench_{scenario.key.lower()}")
    else:
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    fake = FakeProvider(
        workdir, latency=scenario.latency, rate=scenario.provider_rate, kind=scenario.provider
    )
    fake.start()
    procs: ProcfileProcesses | None = None
    try:
        env = base_environment(database_url, redis.url)
        env.update(fake.environment())
        env.update(scenario.environment())
        env.update(extra)
        migrate(env)
        procs = ProcfileProcesses(PROCESSES, env, workdir / "logs")
        procs.start()
        result = _broadcast(scenario, phones, env, procs, fake, redis.url)
    except BaseException:
        fake.kill()
        raise
    finally:
        if procs is not None:
            procs.stop()
        if postgres:
            drop_postgres_database(postgres, f"linli_bench_{scenario.key.lower()}")
    _count_at_provider(result, fake.stop())
    result.database = "PostgreSQL" if postgres else "SQLite (WAL)"
    return result


def fresh_postgres_database(admin_url: str, name: str) -> str:
    """Create an empty database `name` on the server of admin_url; return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    drop_postgres_database(admin_url, name)
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq(url: str) -> str:
    # psycopg takes postgresql:// URLs, not SQLAlchemy's postgresql+psycopg:// ones.
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _broadcast(
    scenario: Scenario,
    phones: int,
    env: dict[str, str],
    procs: ProcfileProcesses,
    fake: FakeProvider,
    redis_url: str,
) -> Result:
    from sqlalchemy import func, insert, select

    from models import Community, Delivery, Person, SmsTemplate, db
    from models.base import writing
    from notify.message import Message
    from notify.outbox import send_later
    from notify.queueing import enqueuer
    from pwa import create_app
    from tasks.worker import worker_processes

    os.environ.update(env)  # this process is the web process of the same deployment
    app = create_app()
    result = Result(scenario, phones)
    with app.app_context():
        db.session.execute(
            insert(Person),
            [{"name": f"居民{i}", "phone": phone(i), "language": "zh"} for i in range(phones)],
        )
        community_id = None
        if scenario.provider != "twilio":
            community = Community(
                code="bench",
                name="基准社区",
                sms_signature="【邻里】",
                sms_provider=scenario.provider,
            )
            db.session.add(community)
            db.session.flush()
            db.session.add(
                SmsTemplate(
                    community_id=community.id, provider=scenario.provider, kind="notice",
                    code=NOTICE_CODES[scenario.provider],
                )
            )  # fmt: skip
            community_id = community.id
        db.session.commit()
        procs.wait_for_workers(redis_url, count=worker_processes())
        people = list(db.session.scalars(select(Person).order_by(Person.id)))
        # As a request that writes: its transaction begins IMMEDIATE (it waits for the workers'
        # and the sweep's writes) rather than reading first and failing to upgrade on SQLite.
        db.session.commit()
        started = time.time()
        message = Message(
            "notice",
            {"text": "今晚20时起停水检修至明早6时，请提前储水。"},
            batch_key=f"bench:{scenario.key}",
            urgent=True,
            community_id=community_id,
        )
        with writing():
            send_later(message, to=people)
            cpu = (procs.cpu_seconds(), time.process_time(), fake.cpu_seconds())
            load = os.getloadavg()[0]
            db.session.commit()
        committed = time.time()
        result.record_seconds = committed - started
        result.first_after = committed  # made relative once the provider's times are known
        print(f"  recorded in {result.record_seconds:.1f} s; sending ...", flush=True)
        deadline = committed + max(120.0, 5 * phones / scenario.target)
        # Cheap enough not to slow what it measures: a count on the state index, 5 times a second.
        unfinished = select(func.count()).where(Delivery.state.in_(UNFINISHED))
        while True:
            db.session.remove()
            if not db.session.scalar(unfinished):
                break
            if time.time() > deadline:
                result.finished = False
                break
            for name, proc in procs.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited during the run:\n{procs.log(name)}")
            time.sleep(0.2)
        result.wall_seconds = time.time() - committed
        db.session.remove()
        counts = db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        states = {str(state): int(n) for state, n in counts}
        result.cpu_app = procs.cpu_seconds() - cpu[0]
        result.cpu_web = time.process_time() - cpu[1]
        result.cpu_provider = fake.cpu_seconds() - cpu[2]
        result.load = (load, os.getloadavg()[0])
        result.states = {str(k): int(v) for k, v in states.items()}
        result.uncertain = int(
            db.session.scalar(select(func.count()).where(Delivery.uncertain.is_(True))) or 0
        )
        enqueuer(app).wait()
        db.session.remove()
        db.engine.dispose()
    return result


def _count_at_provider(result: Result, report: FakeProviderReport) -> None:
    times = sorted(at for _to, at in report.messages)
    result.received = len(report.messages)
    result.distinct = len({to for to, _at in report.messages})
    result.rejections = dict(report.rejections)
    result.calls = report.calls
    if times:
        result.first_after = times[0] - result.first_after
        result.span = times[-1] - times[0]
    else:
        result.first_after = 0.0


# -- reporting ------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """Describe where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "sqlite": __import__("sqlite3").sqlite_version,
    }


def table(results: list[Result]) -> str:
    """Return the figures as a Markdown table, one column per scenario."""
    rows: list[tuple[str, list[str]]] = [
        ("database", [r.database for r in results]),
        ("SMS_RATE_PER_SECOND", [f"{r.scenario.limit:g}" if r.scenario.limit else "0 (none)"
                                 for r in results]),
        ("provider latency / limit", [
            f"{r.scenario.latency * 1000:.0f} ms / "
            + (f"{r.scenario.provider_rate:g}/s" if r.scenario.provider_rate else "none")
            for r in results]),
        ("phones", [f"{r.phones:,}" for r in results]),
        ("SMS received by the provider", [f"{r.received:,}" for r in results]),
        ("API calls that carried them", [f"{r.calls:,}" for r in results]),
        ("distinct phones reached", [f"{r.distinct:,}" for r in results]),
        ("sent twice / never", [f"{r.duplicates} / {r.missing}" for r in results]),
        ("refused by the provider (429s, retried)",
         [str(r.rejections.get("429", 0)) for r in results]),
        ("other refusals", [str(sum(n for s, n in r.rejections.items() if s != "429"))
                            for r in results]),
        ("delivery states at the end", [
            ", ".join(f"{k} {v:,}" for k, v in sorted(r.states.items())) for r in results]),
        ("recording 10k deliveries (send_later + commit)" if results[0].phones == PHONES
         else "recording the deliveries (send_later + commit)",
         [f"{r.record_seconds:.1f} s" for r in results]),
        ("commit → first SMS at the provider", [f"{r.first_after:.2f} s" for r in results]),
        ("commit → last delivery out of queued/sending",
         [f"{r.wall_seconds:.1f} s" for r in results]),
        ("sustained rate (first → last SMS)", [f"{r.rate:,.1f} SMS/s" for r in results]),
        ("CPU per SMS: worker + cron / this process (enqueuer, polling) / fake",
         [_cpu_text(r) + " ms" for r in results]),
        ("target", [f"{r.scenario.target:,.0f} SMS/s" for r in results]),
        ("ratio", [_ratio_text(r) for r in results]),
    ]  # fmt: skip
    head = "| | " + " | ".join(f"{r.scenario.key}: {r.scenario.title}" for r in results) + " |"
    lines = [head, "|---" * (len(results) + 1) + "|"]
    lines += ["| " + name + " | " + " | ".join(values) + " |" for name, values in rows]
    return "\n".join(lines)


def _cpu_text(r: Result) -> str:
    n = max(1, r.received)
    return " / ".join(f"{1000 * cpu / n:.2f}" for cpu in (r.cpu_app, r.cpu_web, r.cpu_provider))


def _ratio_text(r: Result) -> str:
    if r.scenario.calls_limit and r.span > 0:
        calls = max(0, r.calls - 1) / r.span
        share = calls / r.scenario.calls_limit
        text = f"{r.ratio:.2f}× the target; {calls:.1f} calls/s, {share:.0%} of the call limit"
    elif r.scenario.limit:
        text = f"{r.rate / r.scenario.limit:.1%} of the limit"
    else:
        text = f"{r.ratio:.2f}× the target"
    return text + (" ✓" if r.meets_target else " ✗ below target")


def performance_markdown(results: list[Result], elapsed: float, command: str) -> str:
    """Return docs/performance.md: the figures, the machine, how to measure again."""
    m = machine()
    worker = procfile_commands()["worker"]
    stamp = clock.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    loads = ", ".join(f"{r.scenario.key} {r.load[0]:.1f} → {r.load[1]:.1f}" for r in results)
    return f"""# Performance

Written by `make bench` (`{command}`) on {stamp}; the run took {elapsed:.0f} s.
Do not edit the figures by hand: run the benchmark again (the text around them lives in
`bench/broadcast.py`).

## Broadcast send rate (issue 3)

One urgent notice to {results[0].phones:,} people through the real pipeline: `send_later()`
and commit, the enqueuer thread, Redis, RQ, and the worker and cron processes started from
the Procfile's own command lines, on a fresh database ({results[0].database}) and a private
redis-server. The fake Twilio runs in a process of its own and records when it received
each message; the sustained rate is (messages − 1) / (last − first) at the provider. All
scenarios run in the same run, one after the other, on the same machine.

{table(results)}

- **A** must sustain at least 95 % of the provider's limit, which every worker honours
  together (one GCRA slot per SMS in Redis, `notify/ratelimit.py`). At exactly the limit,
  jitter sometimes bunches a few requests and the provider answers 429; those are sent
  again on the next slot, so a 429 costs a slot, never a message.
- **B** must reach 1,000 SMS/s with no limit, the fake answering at once. This one is
  CPU-bound: the CPU row shows where the two cores go (the fake provider's share included).
- **C** sends through Alibaba Cloud SMS (issue 12) against its fake (`tests/fakes/alibaba.py`,
  verifying every call's ACS3-HMAC-SHA256 signature, 150 ms per call, refusing more than 10
  API calls a second): one community on `alibaba` with the notice template approved. One
  text to everyone goes by SendSms, as many numbers a call as a job holds (200 unpaced),
  each call taking one slot of `ALIBABA_SMS_RATE` (10/s). Its ratio row also gives the calls
  a second against that limit: the pipeline, not the call limit, sets its pace.
- **D** is the same through Tencent Cloud SMS (`tests/fakes/tencent.py`, verifying every
  call's TC3-HMAC-SHA256 signature, 150 ms per call, refusing more than 10 API calls a
  second): SendSms takes at most 200 numbers a call, so a job of 200 is one call, each
  taking one slot of `TENCENT_SMS_RATE` (10/s): at most 2,000 SMS/s from the call limit.
- All check correctness: every phone received exactly one SMS and every delivery ended
  `sent`. `tests/test_bench.py` runs it with 400 phones and asserts only that.

Machine: {m["cores"]} cores ({m["cpu"]}), {m["system"]}, Python {m["python"]},
SQLite {m["sqlite"]}. Load average (1 min) before → after each scenario: {loads}; other
work on the machine shows there and lowers B first. The worker process, as the Procfile
starts it:

```
{worker}
```

## What the pipeline does to reach the rates

- **Worker processes that live** (`tasks/worker.py`). `rq worker --worker-class
  tasks.worker.AppWorker` is a small supervisor running WORKER_PROCESSES workers (default:
  one per core). Each is an RQ SimpleWorker: jobs run in the worker's own process, so the
  app, the sender threads, the provider's keep-alive connections and the Redis connection
  are built once, not once per job as a forking worker does. Several processes because
  Python runs one thread at a time per process: B needs both cores. A worker that dies is
  restarted; if the supervisor is killed, its workers get SIGTERM (finish the job in hand).
  `job_timeout` still applies: SimpleWorker runs the job under the same SIGALRM death
  penalty; the job's sender threads cannot be killed, but every provider call has a
  10-second timeout and rows a timed-out job left `sending` are recovered by the sweep.
  A heartbeat thread beats every job-monitoring interval while a job runs, as a forking
  worker's parent does, so a killed worker is still noticed within two minutes.
- **The SDK over urllib3** (`notify/channels/twilio/http.py`). The Twilio SDK still builds and
  reads every request, but through a lean `HttpClient` on urllib3 instead of `requests`:
  about a third of the CPU per message (proxy and CA-bundle settings still honoured).
- **Fewer queries per batch** (`notify/dispatch.py`). The opt-outs of a whole batch in one
  query (a query per row also flushed the row just rendered: an UPDATE per row); claimed
  rows read back by id (claim_token has no index, and the outbox only grows); rows kept
  loaded across the commit before sending instead of reloaded one by one after it.
- **Batches** (`notify/queueing.py`). 200 deliveries per job without a limit. With
  SMS_RATE_PER_SECOND, up to what the rate sends in 5 s (500 at 100/s), never so many that
  claimed rows could look abandoned to the sweep, and of varying size: a worker sends
  nothing for a moment between jobs, and equal jobs kept all workers in step, all between
  jobs at once (4 % of the limit lost); unequal ones keep some worker always sending.
- **429 at the limit** (`notify/dispatch.py`). When sends are paced, a 429 is sent again on
  the next slot (twice at most) instead of waiting 10 s and the next sweep; unpaced, a 429
  still means back off.
- **Less garbage collection** in the workers (gc.freeze after start-up, a larger first
  generation): about 10 % of their CPU.

On PostgreSQL 15 instead (`--postgres URL`, the server on the same two cores), measured
once by hand on 2026-11-25: A 99.6 % of the limit, 6 refusals retried; B 835 SMS/s (0.84×):
the server's own CPU and a round trip per statement come out of the same two cores, and
the workers spent 1.46 ms of CPU per SMS against 1.1–1.25 on SQLite.

How it went while tuning (same machine, same benchmark, 2,000–10,000 phones): A went from
20 SMS/s (a forking worker per job, the SDK logging ten lines per request, 80 refusals
each waiting for the sweep) to 61, 95 and now the limit; B from 62 SMS/s to 207, 294, 873
and now past 1,000.

## Run it again

```
make bench                                    # every scenario, 10,000 phones; rewrites this file
.venv/bin/python -m bench.broadcast           # the same, printing the table only
.venv/bin/python -m bench.broadcast --quick   # 1,000 phones: a quick check that it all works
.venv/bin/python -m bench.broadcast --only B --env WORKER_PROCESSES=3 --keep   # experiments
.venv/bin/python -m bench.broadcast --postgres postgresql://postgres@/postgres?host=/tmp/pg
```

It stops by itself (about {round(elapsed / 60) or 1} minutes here) and stops every process it
started. It exits with status 1 when a message was lost or sent twice, 2 when a target was
missed (full runs only). `--keep` keeps the work directory: the processes' logs and what the
fake provider received.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PHONES:,} phones")
    parser.add_argument("--phones", type=int, help=f"how many phones (default {PHONES:,})")
    parser.add_argument("--only", choices=[s.key for s in SCENARIOS], help="one scenario")
    parser.add_argument("--write", type=Path, help="write the figures here (Markdown)")
    parser.add_argument("--json", type=Path, help="write the figures here (JSON)")
    parser.add_argument(
        "--postgres", metavar="URL",
        help="use PostgreSQL: a server URL where the benchmark may create its databases",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE",
        help="a setting for every process of the run, e.g. SEND_CONCURRENCY=32 (experiments)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    phones = args.phones or (QUICK_PHONES if args.quick else PHONES)
    scenarios = [s for s in SCENARIOS if args.only in (None, s.key)]

    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    redis = Redis(workdir / "redis")
    began = time.monotonic()
    results: list[Result] = []
    try:
        redis.start()
        for scenario in scenarios:
            print(f"scenario {scenario.key} ({scenario.title}): {phones:,} phones ...", flush=True)
            extra = dict(item.split("=", 1) for item in args.env)
            result = run_scenario(
                scenario, phones, redis, workdir / scenario.key, extra, args.postgres
            )
            results.append(result)
            print(
                f"  {result.rate:,.1f} SMS/s sustained, {result.received:,} received "
                f"({result.distinct:,} phones), {result.wall_seconds:.1f} s from commit",
                flush=True,
            )
    finally:
        redis.stop()
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - began
    print()
    print(table(results))
    if args.write:
        command = "python -m bench.broadcast " + " ".join(sys.argv[1:] if argv is None else argv)
        args.write.write_text(performance_markdown(results, elapsed, command.strip()))
        print(f"\nwritten to {args.write}")
    if args.json:
        args.json.write_text(json.dumps([r.summary() for r in results], indent=2))
    if not all(r.correct for r in results):
        print("\nFAILED: a phone got no SMS, or more than one, or a delivery was left unsent.")
        return 1
    full = phones >= PHONES
    if full and not all(r.meets_target for r in results):
        print("\nBELOW TARGET: see the ratio row.")
        return 2
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
