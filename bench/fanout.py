"""A broadcast fanned out by its job: 100,000 recipients, no request or job timeout.

One run on a fresh SQLite database (WAL) and a private Redis, with the Procfile's own worker
command line and the fake provider in a process of its own. This process plays the web
process: it makes a mobilisation to every volunteer through services.broadcasts and commits
(the request's part, timed); the workers' job tasks.broadcasts.prepare records recipients and
deliveries in committed chunks (handing on to a fresh job after fanout.TIME_BUDGET_SECONDS)
until the broadcast is "sending". Measured: the request, the preparation (commit → sending),
each prepare job's duration against its timeout, and that every volunteer has exactly one
delivery. The workers send meanwhile, as they would in production.

    python -m bench.fanout                      # 100,000 volunteers
    python -m bench.fanout --people 10000       # a check that it all works
    python -m bench.fanout --write docs/performance.md
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.harness import (
    ROOT,
    FakeProvider,
    ProcfileProcesses,
    Redis,
    base_environment,
    migrate,
    write_section,
)
from models import clock

PEOPLE = 100_000
BEGIN = "<!-- bench.fanout: begin -->"
END = "<!-- bench.fanout: end -->"


@dataclass
class Result:
    people: int
    count_seconds: float = 0.0  # check_mobilisation(): the confirmation step's count
    request_seconds: float = 0.0  # mobilise() + commit, as the web request does it
    prepare_seconds: float = 0.0  # commit → status "sending"
    jobs: int = 0  # prepare jobs run (continuations included)
    longest_job: float = 0.0
    job_timeout: int = 0
    failed_jobs: int = 0
    recipients: int = 0
    deliveries: int = 0
    distinct: int = 0
    status: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return (
            self.status in ("sending", "done")
            and self.recipients == self.deliveries == self.distinct == self.people
            and self.failed_jobs == 0
            and self.longest_job < self.job_timeout
            and not self.notes
        )


def run(people: int, workdir: Path) -> Result:
    redis = Redis(workdir / "redis")
    redis.start()
    fake = FakeProvider(workdir, latency=0.0, rate=0)
    fake.start()
    procs: ProcfileProcesses | None = None
    try:
        env = base_environment(f"sqlite:///{workdir / 'bench.sqlite3'}", redis.url)
        env.update(fake.environment())
        migrate(env)
        procs = ProcfileProcesses(["worker"], env, workdir / "logs")
        procs.start()
        return _fan_out(people, env, procs, redis.url)
    finally:
        if procs is not None:
            procs.stop()
        fake.kill()
        redis.stop()


def _fan_out(people: int, env: dict[str, str], procs: ProcfileProcesses, redis_url: str) -> Result:
    from redis import Redis as RedisClient
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry
    from sqlalchemy import func, insert, select

    from models import (
        Broadcast,
        BroadcastRecipient,
        Community,
        Delivery,
        Person,
        Post,
        db,
        utcnow,
    )
    from models.base import write_intent, writing
    from pwa import create_app
    from services.broadcasts import fanout
    from services.broadcasts import operations as broadcasts
    from services.work_orders.audiences import Audience
    from tasks.worker import worker_processes

    os.environ.update(env)  # this process is the web process of the same deployment
    app = create_app()
    result = Result(people, job_timeout=fanout.JOB_TIMEOUT_SECONDS)
    with app.app_context(), writing():
        community_id, grid_id, secretary_id = _community()
        db.session.execute(
            insert(Person),
            [{"name": f"志愿者{i}", "phone": f"+86135{i:08d}"} for i in range(people)],
        )
        ids = list(db.session.scalars(select(Person.id).where(Person.phone.like("+86135%"))))
        for start in range(0, len(ids), 20_000):
            db.session.execute(
                insert(Post),
                [
                    {
                        "person_id": pid,
                        "role": "patroller",
                        "community_id": community_id,
                        "grid_id": grid_id,
                        "duties": "",
                        "starts_on": date(2020, 1, 1),
                    }
                    for pid in ids[start : start + 20_000]
                ],
            )
        db.session.commit()
        procs.wait_for_workers(redis_url, count=worker_processes())
        community = db.session.get(Community, community_id)
        secretary = db.session.get(Person, secretary_id)
        assert community is not None and secretary is not None
        now = utcnow()
        mobilisation: dict[str, Any] = {
            "text": "需要20人07:00清扫积雪，回复1报名",
            "title": "清扫积雪",
            "starts_at": now + timedelta(hours=10),
            "ends_at": now + timedelta(hours=12),
            "places_needed": 20,
            "audience": Audience(roles=("patroller",)),
            "now": now,
            "today": now.date(),
        }
        # The form's first submit only counts whom it reaches, for the secretary to confirm.
        started = time.monotonic()
        reached = broadcasts.check_mobilisation(community, **mobilisation)
        result.count_seconds = time.monotonic() - started
        db.session.rollback()
        if reached != people:
            result.notes.append(f"the confirmation counted {reached:,}, not {people:,}")
        started = time.monotonic()
        broadcast = broadcasts.mobilise(community, by=secretary, **mobilisation)
        broadcast_id, batch_key = broadcast.id, broadcast.batch_key
        db.session.commit()
        committed = time.monotonic()
        result.request_seconds = committed - started
        print(
            f"  count: {result.count_seconds * 1000:.0f} ms; request: "
            f"{result.request_seconds * 1000:.0f} ms; preparing ...",
            flush=True,
        )
        deadline = committed + 1800
        # From here on this process only reads, as the report page's poll does: a deferred
        # BEGIN never waits for the workers' write lock (BEGIN IMMEDIATE timed out behind it).
        reading = write_intent.set(False)
        while True:
            db.session.remove()
            status = db.session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
            db.session.remove()
            if status in ("sending", "done") or time.monotonic() > deadline:
                break
            for name, proc in procs.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited during the run:\n{procs.log(name)}")
            time.sleep(0.2)
        result.prepare_seconds = time.monotonic() - committed
        result.status = str(status)
        result.recipients = int(
            db.session.scalar(
                select(func.count()).where(BroadcastRecipient.broadcast_id == broadcast_id)
            )
            or 0
        )
        result.deliveries, result.distinct = (
            int(n or 0)
            for n in db.session.execute(
                select(
                    func.count(Delivery.id), func.count(func.distinct(Delivery.recipient_key))
                ).where(Delivery.batch_key == batch_key)
            ).one()
        )
        db.session.remove()
        write_intent.reset(reading)

    connection = RedisClient.from_url(redis_url)
    queue = Queue(env.get("RQ_QUEUE", "linli"), connection=connection)
    job_ids = set(FinishedJobRegistry(queue=queue).get_job_ids())
    job_ids |= set(StartedJobRegistry(queue=queue).get_job_ids())
    failed = FailedJobRegistry(queue=queue).get_job_ids()
    for job in Job.fetch_many(list(job_ids) + failed, connection=connection):
        if job is None or job.func_name != fanout.JOB:
            continue
        result.jobs += 1
        if job.id in failed:
            result.failed_jobs += 1
        if job.started_at and job.ended_at:
            result.longest_job = max(
                result.longest_job, (job.ended_at - job.started_at).total_seconds()
            )
    connection.close()
    return result


def _community() -> tuple[int, int, int]:
    """Add the community, its grid and its secretary; return their ids."""
    from models import Community, Grid, Person, Post
    from models import db as models_db

    community = Community(code="fanout", name="万人社区", sms_signature="【万人社区】")
    models_db.session.add(community)
    models_db.session.flush()
    grid = Grid(community_id=community.id, number=1, name="第一网格")
    secretary = Person(name="书记", phone="+8613400000000")
    models_db.session.add_all([grid, secretary])
    models_db.session.flush()
    models_db.session.add(
        Post(
            person_id=secretary.id,
            role="secretary",
            community_id=community.id,
            duties="",
            starts_on=date(2020, 1, 1),
        )
    )
    models_db.session.commit()
    return community.id, grid.id, secretary.id


def markdown(result: Result, command: str) -> str:
    verdict = "yes" if result.correct else "NO"
    counts = f"{result.recipients:,} / {result.deliveries:,} / {result.distinct:,}"
    return f"""{BEGIN}
## Broadcast fan-out in a job (issue 9)

Written by `{command}` on {clock.today().isoformat()}. A mobilisation to
{result.people:,} volunteers: the request records it ("queued") and a worker job prepares it
in committed chunks of {_chunk()} recipients until it is "sending" (the workers send meanwhile).

| figure | value |
| --- | --- |
| confirmation step (count whom it reaches) | {result.count_seconds * 1000:.0f} ms |
| request (mobilise + commit) | {result.request_seconds * 1000:.0f} ms |
| preparation (commit → sending) | {result.prepare_seconds:.1f} s |
| prepare jobs run (continuations included) | {result.jobs} |
| longest prepare job / its timeout | {result.longest_job:.1f} s / {result.job_timeout} s |
| failed jobs (timeouts included) | {result.failed_jobs} |
| recipients / deliveries / distinct recipients | {counts} |
| every volunteer exactly one delivery, no timeout | {verdict} |
{"".join(f"{chr(10)}- {note}" for note in result.notes)}
{END}
"""


def _chunk() -> int:
    from services.broadcasts import fanout

    return fanout.CHUNK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--people", type=int, default=PEOPLE, help=f"default {PEOPLE:,}")
    parser.add_argument("--write", type=Path, help="write this part's section here (Markdown)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="linli-fanout-"))
    try:
        print(f"fan-out: {args.people:,} volunteers ...", flush=True)
        result = run(args.people, workdir)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    command = "python -m bench.fanout " + " ".join(sys.argv[1:] if argv is None else argv)
    section = markdown(result, command.strip())
    print(section)
    if args.write:
        write_section(args.write, section, BEGIN, END)
        print(f"written to {args.write}")
    return 0 if result.correct else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
