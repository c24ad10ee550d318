"""A Redis pause (or a database hiccup) in the middle of a broadcast sends nobody anything twice.

Issue 10: with Redis stopped for 20 s in a 1,000-phone broadcast, and a delivery job that hit
"database is locked" while recording its outcomes, 173 residents got the message twice: the
rows it had sent stayed "sending", and the sweep took them for a dead worker's.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from models import Delivery, DeliveryState, DevInboxMessage, db, utcnow
from models.base import writing
from notify import Message, dispatch, send_later
from notify.dispatch import Dispatcher
from notify.queueing import enqueue_now, enqueuer
from notify.ratelimit import SendRate
from notify.sweep import sweep
from tests.fakes.twilio import FakeTwilio
from tests.procfile import Launcher, add_people, environment, per_phone, wait_for_worker, wait_until
from tests.support import RedisServer, free_port

SENT_STATES = (DeliveryState.SENT, DeliveryState.DELIVERED)


def _notice(batch: str) -> Message:
    return Message("urgent_notice", {"text": "今晚大雪，明早7点需要20人清扫积雪。"}, batch)


def test_outcomes_the_database_refused_once_are_written_again_not_sent_again(
    app: Flask, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [make.person() for _ in range(3)]
    ids = send_later(_notice("broadcast:db-hiccup"), to=people)
    db.session.commit()
    real_commit = dispatch._commit_keeping_rows
    calls = {"n": 0}

    def locked_once() -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the first commit of outcomes, after the messages went out
            raise OperationalError("COMMIT", {}, Exception("database is locked"))
        real_commit()

    monkeypatch.setattr(dispatch, "_commit_keeping_rows", locked_once)
    Dispatcher({"SEND_CONCURRENCY": 2}, None).deliver(ids)
    db.session.expire_all()
    rows = list(db.session.scalars(select(Delivery).where(Delivery.id.in_(ids))))
    assert [d.state for d in rows] == [DeliveryState.DELIVERED] * 3
    assert not any(d.uncertain for d in rows)
    assert all([e["event"] for e in d.history].count("sent") == 1 for d in rows), rows[0].history
    # Nothing is left for the sweep to send again, even long after.
    assert sweep(now=utcnow() + timedelta(hours=1)) == []
    for person in people:
        got = db.session.scalar(
            select(func.count(DevInboxMessage.id)).where(DevInboxMessage.phone == person.phone)
        )
        assert got == 1


def test_the_shared_send_rate_paces_alone_while_redis_is_away() -> None:
    redis = Redis.from_url(
        f"redis://127.0.0.1:{free_port()}/0", socket_timeout=1, socket_connect_timeout=1
    )
    rate = SendRate(redis, "linli:rate:test", per_second=20)
    started = time.monotonic()
    for _ in range(6):
        rate.acquire()  # never raises: a send is not refused because Redis is down
    took = time.monotonic() - started
    assert 0.2 <= took < 2.0, took  # five intervals of 50 ms, at this process's own pace
    assert rate.redis_failures == 1  # tried once, then left alone for a few seconds


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.stop_all()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        os.kill(server.proc.pid, signal.SIGCONT)
    server.stop()


def _rows(ids: list[int]) -> list[Delivery]:
    db.session.rollback()
    rows = list(db.session.scalars(select(Delivery).where(Delivery.id.in_(ids))))
    for row in rows:
        db.session.expunge(row)
    db.session.rollback()
    return rows


def _sent(ids: list[int]) -> int:
    return sum(d.state in SENT_STATES for d in _rows(ids))


def test_a_redis_pause_mid_broadcast_sends_nobody_anything_twice(
    app: Flask, own_redis: RedisServer, twilio: FakeTwilio, launch: Launcher
) -> None:
    """Redis hung (SIGSTOP) and then stopped (its queued jobs lost) while a paced broadcast
    goes out through the Procfile's worker and cron: every phone gets it, and only once."""
    count = 150
    twilio.latency_seconds = 0.05
    env = environment(own_redis.url, twilio, SMS_RATE_PER_SECOND="25")
    with app.app_context():
        people = add_people(count, prefix="+86137")
        phones = {p.phone for p in people}
        worker = launch("worker", env)
        launch("cron", env)
        wait_for_worker(own_redis.url, worker)
        db.session.rollback()
        with writing():  # BEGIN IMMEDIATE, as a request that writes: the worker writes too
            ids = send_later(_notice("broadcast:redis-pause"), to=people)
            db.session.commit()
        assert enqueuer(app).wait(30)  # (to the tests' shared Redis: this test has its own)
        enqueue_now(ids, redis=Redis.from_url(own_redis.url), queue_name="linli")

        wait_until(lambda: _sent(ids) >= count // 5, 60, "a fifth to be sent", interval=0.05)
        assert own_redis.proc is not None
        os.kill(own_redis.proc.pid, signal.SIGSTOP)  # hung: accepts, never answers
        time.sleep(4)
        os.kill(own_redis.proc.pid, signal.SIGCONT)
        hung_sent = _sent(ids)

        wait_until(lambda: _sent(ids) >= hung_sent + 10, 60, "sending to go on", interval=0.05)
        own_redis.stop()  # down: connections refused, and the queued jobs are lost with it
        time.sleep(4)
        own_redis.start()

        def finished() -> bool:
            rows = _rows(ids)
            if all(d.state in SENT_STATES for d in rows):
                return True
            # Jobs lost with Redis: the sweep queues their rows again after LOST_JOB_SECONDS
            # (ten minutes). Stand in for it now (a job twice is harmless: the claim guards).
            lost = [d.id for d in rows if d.state == DeliveryState.QUEUED]
            if lost:
                enqueue_now(lost, redis=Redis.from_url(own_redis.url), queue_name="linli")
            return False

        wait_until(finished, 120, "every phone to get the broadcast", interval=1.0)
        rows = _rows(ids)
    assert worker.alive(), worker.output()
    received = per_phone(twilio.messages)
    twice = {phone for phone, n in received.items() if n > 1}
    uncertain = [d for d in rows if d.uncertain]
    print(
        f"\nRedis paused 4 s and stopped 4 s mid-broadcast: {count} recipients, "
        f"{len(set(received) & phones)} reached, {len(twice)} twice, {len(uncertain)} uncertain"
    )
    assert set(received) >= phones
    assert not twice, sorted(twice)[:10]
    assert not uncertain


def test_rows_redis_would_not_take_are_left_for_the_sweep_to_queue_soon(
    app: Flask, make: Any
) -> None:
    """A job queueing rows again (the sweep's, a fallback's) while Redis is away marks them
    never queued: the next sweep takes them after 10 s, not ten minutes after the old hand-over."""
    people = [make.person() for _ in range(2)]
    ids = send_later(_notice("broadcast:requeue-in-outage"), to=people)
    db.session.commit()
    enqueuer(app).wait(10)
    long_ago = utcnow() - timedelta(minutes=2)
    for row in db.session.scalars(select(Delivery).where(Delivery.id.in_(ids))):
        row.enqueued_at, row.created_at = long_ago, long_ago
    db.session.commit()
    down = Redis.from_url(
        f"redis://127.0.0.1:{free_port()}/0", socket_timeout=1, socket_connect_timeout=1
    )
    with pytest.raises(RedisError):
        enqueue_now(ids, redis=down, queue_name="linli")
    db.session.expire_all()
    assert [
        d.enqueued_at for d in db.session.scalars(select(Delivery).where(Delivery.id.in_(ids)))
    ] == [None, None]
    assert sorted(sweep()) == sorted(ids)
