"""Reliability with real processes: workers killed mid-broadcast, dead workers, a failing provider.

Every worker here is an `rq worker` started from the Procfile's own line, on the tests'
database and redis-server, sending SMS through the Twilio channel to a FakeTwilio. The figures
these tests print are recorded in docs/reliability.md.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, Worker
from rq.intermediate_queue import IntermediateQueue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select, update

from models import Delivery, DeliveryState, db, utcnow
from notify import Message, send_later
from notify.queueing import JOB_RETRIES, enqueue_now, enqueuer
from notify.sweep import SENDING_STALE_SECONDS, sweep
from tests.fakes.twilio import FakeTwilio
from tests.procfile import (
    Launcher,
    add_people,
    environment,
    per_phone,
    wait_for_worker,
    wait_until,
)
from tests.support import RedisServer, sign_in

QUEUE = "linli"
SENT_STATES = (DeliveryState.SENT, DeliveryState.DELIVERED)

Launch = Launcher


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    """Start Procfile processes; every one is stopped (by its process group) after the test."""
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.stop_all()


@pytest.fixture
def redis(redis_server: RedisServer) -> Iterator[Redis]:
    connection = Redis.from_url(redis_server.url)
    yield connection
    _no_dead_pops(connection)
    connection.close()


def _no_dead_pops(connection: Redis) -> None:
    """Wait until Redis has seen killed workers' connections close.

    Until it reads their end, Redis still counts a killed idle worker's blocking pop as
    waiting, and would hand it the next job pushed: that job would sit in RQ's intermediate
    queue until a worker's maintenance finds it a minute on. Call with no live worker idle.
    """
    wait_until(lambda: connection.info("clients")["blocked_clients"] == 0, 10, "blocked clients")


def _broadcast(batch_key: str, people: list[Any], **kw: Any) -> list[int]:
    message = Message(
        "urgent_notice", {"text": "今晚大雪，明早7点需要20人清扫积雪。"}, batch_key, **kw
    )
    ids = send_later(message, to=people)
    db.session.commit()
    return ids


def _handed_to_rq(app: Flask, ids: list[int]) -> None:
    """Wait until the after-commit enqueuer has put every id on the queue."""
    assert enqueuer(app).wait(30)
    db.session.rollback()
    waiting = db.session.scalar(
        select(func.count(Delivery.id)).where(Delivery.id.in_(ids), Delivery.enqueued_at.is_(None))
    )
    db.session.rollback()
    assert waiting == 0, f"{waiting} deliveries never reached the queue"


def _rows(ids: list[int]) -> list[Delivery]:
    """Return the deliveries as they are now, detached, holding no transaction open.

    Under the `ctx` fixture every transaction begins IMMEDIATE (it takes SQLite's write lock),
    so a snapshot kept open while waiting would stop the workers from recording anything.
    """
    db.session.rollback()  # a fresh snapshot: the workers commit on their own connections
    rows = list(db.session.scalars(select(Delivery).where(Delivery.id.in_(ids))))
    for row in rows:
        db.session.expunge(row)
    db.session.rollback()
    return rows


def _states(ids: list[int]) -> Counter[str]:
    return Counter(d.state for d in _rows(ids))


def _all_sent(ids: list[int]) -> bool:
    states = _states(ids)
    return sum(states[s] for s in SENT_STATES) == len(ids)


def _all_due(ids: list[int]) -> bool:
    """True when every delivery waits for a retry whose time has come."""
    rows = _rows(ids)
    now = utcnow()
    return all(
        d.state == DeliveryState.DEFERRED and d.not_before is not None and d.not_before <= now
        for d in rows
    )


def _rq_state(redis: Redis) -> dict[str, Any]:
    """Where RQ holds the jobs now: for failure messages."""
    queue = Queue(QUEUE, connection=redis)
    return {
        "queued": queue.count,
        "intermediate": redis.llen(f"{queue.key}:intermediate"),
        "started": StartedJobRegistry(QUEUE, connection=redis).get_job_ids(cleanup=False),
        "failed": FailedJobRegistry(QUEUE, connection=redis).get_job_ids(),
        "workers": [w.name for w in Worker.all(connection=redis)],
    }


def _wait_all_sent(ids: list[int], timeout: float, redis: Redis | None = None) -> None:
    try:
        wait_until(lambda: _all_sent(ids), timeout, "every delivery to be sent", interval=0.25)
    except AssertionError as error:
        rq = _rq_state(redis) if redis is not None else {}
        raise AssertionError(f"{error}: {dict(_states(ids))} {rq}") from None


def _requeue_abandoned(redis: Redis, now_offset: float) -> list[str]:
    """Run RQ's clean-up of abandoned jobs as a worker would `now_offset` seconds from now.

    Both kinds: jobs a dead worker was running (the started registry, expired with its
    heartbeat) and jobs it had popped but not yet started (the intermediate list, taken
    after a minute there).
    """
    _no_dead_pops(redis)
    started = StartedJobRegistry(QUEUE, connection=redis)
    expired = started.get_expired_job_ids(time.time() + now_offset)
    started.cleanup(time.time() + now_offset)
    queue = Queue(QUEUE, connection=redis)
    popped = IntermediateQueue(queue.key, connection=redis)
    stuck = [j for j in popped.get_job_ids() if j not in started]
    for job_id in stuck:
        redis.set(popped.get_first_seen_key(job_id), time.time() - now_offset)
    popped.cleanup(Worker([queue], connection=redis), queue)
    expired += stuck
    for job_id in expired:
        assert Job.fetch(job_id, connection=redis).get_status() == JobStatus.QUEUED, job_id
    return expired


def _requeue_stale(redis_url: str, now_offset: float) -> list[int]:
    """Run the sweep as if `now_offset` seconds had passed, and queue what it returns."""
    ids = sweep(now=utcnow() + timedelta(seconds=now_offset))
    if ids:
        connection = Redis.from_url(redis_url)
        _no_dead_pops(connection)
        enqueue_now(ids, redis=connection, queue_name=QUEUE)
        connection.close()
    return ids


def test_kill_9_mid_broadcast_every_recipient_gets_it_duplicates_only_in_flight(
    app: Flask,
    redis_server: RedisServer,
    redis: Redis,
    twilio: FakeTwilio,
    launch: Launch,
) -> None:
    env = environment(redis_server.url, twilio)
    # 100 ms per request, 16 at a time: a batch of 50 takes ~0.4 s and the broadcast ~10 s.
    twilio.latency_seconds = 0.1
    with app.app_context():
        people = add_people(1000)
        phones = {p.phone for p in people}
        first = launch("worker", env)
        wait_for_worker(redis_server.url, first)
        ids = _broadcast("broadcast:kill-9", people)
        _handed_to_rq(app, ids)

        # Kill once 30-60 % are recorded as sent, while requests are on the wire: the provider
        # will accept those, and the worker never learns that it did.
        def mid_broadcast() -> bool:
            with twilio.lock:
                if twilio.requests_seen <= len(twilio.messages):
                    return False
            sent = sum(_states(ids)[s] for s in SENT_STATES)
            return 300 <= sent <= 600

        wait_until(mid_broadcast, 60, "30-60 % of the broadcast to be sent", interval=0.005)
        first.kill9()
        killed_at = time.monotonic()
        time.sleep(0.5)  # requests already on the wire still reach the provider
        at_kill = _rows(ids)
        in_flight = {d.id: d.address for d in at_kill if d.state == DeliveryState.SENDING}
        states_at_kill = Counter(d.state for d in at_kill)
        before = per_phone(twilio.messages)
        # Only the batch being sent was lost in the worker; the provider already has part of it.
        reached = {phone for phone in in_flight.values() if before[phone]}
        assert in_flight and reached, states_at_kill
        assert sum(before.values()) == states_at_kill[DeliveryState.SENT] + len(reached)

        # 91 s later RQ puts the jobs the dead worker held back on the queue: a job it had
        # taken but not yet claimed rows for would otherwise leave them "queued" for 10 min.
        lost = _requeue_abandoned(redis, SENDING_STALE_SECONDS + 1)
        # The sweep (as 91 s later, when "sending" counts as stale) recovers exactly those.
        recovered = _requeue_stale(redis_server.url, SENDING_STALE_SECONDS + 1)
        assert sorted(recovered) == sorted(in_flight)
        second = launch("worker", env)
        _wait_all_sent(ids, 90, redis)
        finished_at = time.monotonic()

        rows = _rows(ids)
        uncertain = {d.id for d in rows if d.uncertain}
        assert second.alive()
    received = per_phone(twilio.messages)
    twice = {phone for phone, n in received.items() if n == 2}
    assert set(received) == phones, "every recipient gets the message"
    assert max(received.values()) <= 2, "nobody gets it three times"
    assert uncertain == set(in_flight), "exactly the deliveries in flight are marked uncertain"
    assert twice == reached, "duplicates only where the provider had it before the kill"
    assert len(twice) <= len(uncertain)
    print(
        f"\nkill -9 mid-broadcast: 1000 recipients; at the kill"
        f" {states_at_kill[DeliveryState.SENT]} sent, {len(in_flight)} in flight"
        f" ({len(reached)} of them already at the provider);"
        f" all 1000 received; {len(twice)} twice, {len(uncertain)} marked uncertain;"
        f" {finished_at - killed_at:.1f} s from the kill to the last one sent;"
        f" {len(lost)} abandoned job(s) queued again, {states_at_kill[DeliveryState.QUEUED]}"
        f" deliveries still queued at the kill"
    )


def test_a_job_taken_by_a_worker_killed_before_it_claimed_its_rows_goes_on(
    app: Flask,
    redis_server: RedisServer,
    redis: Redis,
    twilio: FakeTwilio,
    launch: Launch,
) -> None:
    """The window CI once hit: the job popped from the queue, its rows still "queued"."""
    env = environment(redis_server.url, twilio)
    with app.app_context():
        people = add_people(50)
        phones = {p.phone: 1 for p in people}
        ids = _broadcast("broadcast:taken-not-claimed", people)
        _handed_to_rq(app, ids)
        # Hold the rows (a write lock on SQLite, row locks on PostgreSQL) so that the worker
        # takes the job and then waits to claim them.
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(error_code=None))
        first = launch("worker", env)
        started = StartedJobRegistry(QUEUE, connection=redis)
        wait_until(lambda: started.get_job_ids(), 30, "the worker to take the job")
        time.sleep(0.3)
        first.kill9()
        db.session.rollback()
        assert _states(ids) == Counter({DeliveryState.QUEUED: len(ids)})

        # 91 s on, nothing is "sending", so the sweep finds nothing (and would wait 10 min
        # for "queued" rows it had handed over); RQ puts the abandoned job back instead.
        assert _requeue_stale(redis_server.url, SENDING_STALE_SECONDS + 1) == []
        assert _requeue_abandoned(redis, SENDING_STALE_SECONDS + 1)
        launch("worker", env)
        _wait_all_sent(ids, 60, redis)
        rows = _rows(ids)
    assert not any(d.uncertain for d in rows)
    assert per_phone(twilio.messages) == phones


# The Procfile's worker, with RQ's clocks shortened for this one test. A worker's key lives
# heartbeat TTL + 60 s (the 60 is RQ's, fixed), so a kill is noticed ~65 s later here against
# ~90 s with the Procfile's values (docs/reliability.md has that figure, measured by hand).
SHORT_TTL = {
    "--worker-ttl 30": "--worker-ttl 5 --job-monitoring-interval 5",
    "--maintenance-interval 30": "--maintenance-interval 5",
}


def _uncertain_on_outbox_page(client: FlaskClient) -> set[int]:
    """Return the delivery ids the secretary's outbox lists under "uncertain", every page."""
    import re

    found: set[int] = set()
    page = 1
    while True:
        response = client.get(f"/secretary/outbox?state=uncertain&page={page}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        ids = {int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)}
        if not ids or ids <= found:
            return found
        assert "may have arrived twice" in html
        found |= ids
        page += 1


def test_a_dead_worker_is_noticed_and_what_it_held_is_recovered_as_uncertain(
    app: Flask,
    client: FlaskClient,
    make: Any,
    redis_server: RedisServer,
    redis: Redis,
    twilio: FakeTwilio,
    launch: Launch,
) -> None:
    c = make.community()
    secretary = make.person(name="李书记")
    make.post(secretary, "secretary", community=c)
    client.set_cookie("linli_lang", "en")
    sign_in(client, secretary.phone)  # before any worker runs: it drains the queue in-process
    env = environment(redis_server.url, twilio)
    twilio.latency_seconds = 0.3
    people = add_people(400)
    first = launch("worker", env, replace=SHORT_TTL)
    wait_for_worker(redis_server.url, first)
    ids = _broadcast("broadcast:dead-worker", people, community_id=c.id)
    _handed_to_rq(app, ids)

    def on_the_wire() -> bool:
        with twilio.lock:
            return len(twilio.messages) >= 20 and twilio.requests_seen > len(twilio.messages)

    wait_until(on_the_wire, 60, "requests on the wire", interval=0.002)
    dead = {w.name for w in wait_for_worker(redis_server.url, first)}
    first.kill9()
    killed_at = time.monotonic()
    started_jobs = set(StartedJobRegistry(QUEUE, connection=redis).get_job_ids())
    assert started_jobs, "the worker died holding jobs"
    time.sleep(0.5)
    held = {d.id for d in _rows(ids) if d.state == DeliveryState.SENDING}
    assert held

    # Noticed: RQ drops the worker once its key expires, and /healthz turns unhealthy.
    def noticed() -> bool:
        listed = {w.name for w in Worker.all(connection=redis)}
        workers = client.get("/healthz").get_json()["checks"]["workers"]
        return not (listed & dead) and workers["ok"] is False

    wait_until(noticed, 100, "the dead worker to be noticed", interval=0.5)
    noticed_after = time.monotonic() - killed_at
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["checks"]["workers"]["count"] == 0

    # Recovered: the sweep, as when "sending" has gone stale, queues exactly what it held.
    recovered = _requeue_stale(redis_server.url, SENDING_STALE_SECONDS + 1)
    assert set(recovered) == held
    second = launch("worker", env, replace=SHORT_TTL)
    wait_for_worker(redis_server.url, second)

    # RQ's own bookkeeping: the new worker's maintenance puts the abandoned jobs back on the
    # queue (they carry retries), and the new worker runs them: what is still due goes.
    def run_again() -> bool:
        jobs = [Job.fetch(job_id, connection=redis) for job_id in started_jobs]
        return all(
            job.get_status() == JobStatus.FINISHED and job.retries_left == JOB_RETRIES - 1
            for job in jobs
        )

    wait_until(run_again, 30, "abandoned jobs to run again")
    failed_after = time.monotonic() - killed_at
    assert not set(FailedJobRegistry(QUEUE, connection=redis).get_job_ids()) & started_jobs
    _wait_all_sent(ids, 60, redis)
    assert client.get("/healthz").status_code == 200

    rows = _rows(ids)
    assert {d.id for d in rows if d.uncertain} == held
    assert _uncertain_on_outbox_page(client) == held, "uncertain deliveries are shown"
    received = per_phone(twilio.messages)
    assert set(received) == {p.phone for p in people}
    assert max(received.values()) <= 2
    held_phones = {d.address for d in rows if d.id in held}
    assert {p for p, n in received.items() if n == 2} <= held_phones
    print(
        f"\ndead worker (worker TTL 5 s, job monitoring 5 s, maintenance 5 s): gone from"
        f" Worker.all and /healthz 503 after {noticed_after:.1f} s; its jobs queued again and"
        f" run after {failed_after:.1f} s; {len(held)} deliveries it held recovered as"
        f" uncertain, {sum(1 for n in received.values() if n == 2)} of them received twice"
    )


def test_provider_500_429_and_timeouts_lose_nothing_and_send_nothing_twice(
    app: Flask,
    ctx: None,
    redis_server: RedisServer,
    redis: Redis,
    twilio: FakeTwilio,
    launch: Launch,
) -> None:
    from tasks.deliveries import sweep_outbox

    env = environment(redis_server.url, twilio, SEND_RETRY_BASE_SECONDS="0.5")
    people = add_people(200)
    phones = {p.phone for p in people}
    worker = launch("worker", env)
    wait_for_worker(redis_server.url, worker)

    def rejected(status: int) -> int:
        with twilio.lock:
            return sum(1 for r in twilio.rejections if r["status"] == status and r["injected"])

    def sweep_until(done: Callable[[], bool], timeout: float, what: str) -> None:
        # What the `rq cron` sweep does every 20 s, as often as the shortened backoff needs.
        def swept() -> bool:
            sweep_outbox()
            return done()

        wait_until(swept, timeout, what, interval=0.3)

    # First the provider fails with 500 for every request, then it throttles with 429.
    twilio.fail_for(120, 500)
    ids = _broadcast("broadcast:provider-trouble", people)
    _handed_to_rq(app, ids)
    wait_until(lambda: rejected(500) >= 200, 60, "every first try to get a 500")
    twilio.fail_for(120, 429)
    # One sweep once every retry is due, and no other: swept again while the 200 second tries
    # are still going, a delivery refused early (its backoff is 1 s here) would try a third time
    # under the 429s, and the sequence each delivery sees would depend on the machine's speed.
    wait_until(lambda: _all_due(ids), 30, "every first retry to be due", interval=0.2)
    sweep_outbox()
    wait_until(lambda: rejected(429) >= 200, 60, "every second try to get a 429")
    # Then it answers again, except three requests that it reads and never answers.
    twilio.fail_for(0)
    twilio.hang_next(3)
    sweep_until(lambda: _all_sent(ids), 90, "every delivery to be sent")

    received = per_phone(twilio.messages)
    assert set(received) == phones, "nothing lost"
    assert set(received.values()) == {1}, "nothing sent twice"
    assert rejected(500) == 200 and rejected(429) == 200
    with twilio.lock:
        assert twilio.requests_seen == 200 + 200 + 200 + 3  # two refusals, a send, 3 hangs
    rows = _rows(ids)
    assert {d.state for d in rows} == {DeliveryState.SENT}
    assert not any(d.uncertain for d in rows)
    retries = {d.id: [e.get("code") for e in d.history if e["event"] == "retry"] for d in rows}
    timed_out = [i for i, codes in retries.items() if "timeout" in codes]
    assert len(timed_out) == 3
    for d in rows:
        expected = ["20500", "20429", "timeout"] if d.id in timed_out else ["20500", "20429"]
        assert retries[d.id] == expected, d.history
        assert d.attempts == len(expected) + 1
        assert d.history[-1]["event"] == "sent"
    print(
        f"\nprovider trouble: 200 recipients, 200 answered 500, 200 answered 429, 3 timeouts;"
        f" {len(twilio.messages)} accepted, each phone once; every delivery sent"
    )
