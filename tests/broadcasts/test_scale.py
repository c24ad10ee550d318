"""A mobilisation to 10,000 volunteers end to end: services.broadcasts → a preparing job →
outbox → Redis → two real `rq worker` processes (the Procfile's own command) → the Twilio
channel → a FakeTwilio.
Every one of the 10,000 gets exactly one SMS, and the delivery report agrees."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from models import Broadcast, Delivery, DeliveryState, Person, Post, db, utcnow
from services.broadcasts import operations as broadcasts
from services.broadcasts import queries
from services.work_orders.audiences import Audience
from tests.fakes.twilio import FakeTwilio
from tests.procfile import Launcher, environment, per_phone, wait_for_worker, wait_until
from tests.support import RedisServer

COUNT = 10_000
GRIDS = 5


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.stop_all()


def _volunteers(make: Any) -> tuple[Any, list[Any], Any]:
    """Add a community with 10,000 patrollers over 5 grids, inserted in bulk."""
    community = make.community(code="scale", name="万人社区")
    grids = [make.grid(community) for _ in range(GRIDS)]
    secretary = make.person(name="书记")
    make.post(secretary, "secretary", community=community)
    people = [{"name": f"志愿者{i}", "phone": f"+86137{i:08d}"} for i in range(COUNT)]
    db.session.execute(insert(Person), people)
    ids = list(
        db.session.scalars(
            select(Person.id).where(Person.phone.like("+86137%")).order_by(Person.id)
        )
    )
    db.session.execute(
        insert(Post),
        [
            {
                "person_id": pid,
                "role": "patroller",
                "community_id": community.id,
                "grid_id": grids[i % GRIDS].id,
                "duties": "",
                "starts_on": date(2020, 1, 1),
            }
            for i, pid in enumerate(ids)
        ],
    )
    db.session.commit()
    return community, grids, secretary


def test_mobilisation_to_10000_through_real_workers(
    app: Flask, make: Any, redis_server: RedisServer, twilio: FakeTwilio, launch: Launcher
) -> None:
    community, grids, secretary = _volunteers(make)
    env = environment(redis_server.url, twilio)
    workers = [launch("worker", env) for _ in range(2)]
    for worker in workers:
        wait_for_worker(redis_server.url, worker)
    now = utcnow()
    started = time.monotonic()
    broadcast = broadcasts.mobilise(
        community,
        text="需要20人07:00清扫积雪，回复1报名",
        title="清扫积雪",
        starts_at=now + timedelta(hours=10),
        ends_at=now + timedelta(hours=12),
        places_needed=20,
        audience=Audience(roles=("patroller",)),
        by=secretary,
        now=now,
        today=now.date(),
    )
    # The request only records it: a job of the workers prepares it.
    assert db.session.scalar(select(func.count(Delivery.id))) == 0
    batch_key = broadcast.batch_key
    broadcast_id = broadcast.id
    db.session.commit()
    recorded = time.monotonic() - started
    db.session.rollback()  # hold no lock while the workers write

    def finished() -> bool:
        db.session.rollback()  # a fresh snapshot; hold no lock while the workers write
        status = db.session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
        if status not in ("sending", "done"):
            db.session.rollback()
            return False
        left = db.session.scalar(
            select(func.count(Delivery.id)).where(
                Delivery.batch_key == batch_key,
                Delivery.state.in_(
                    [DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.DEFERRED]
                ),
            )
        )
        db.session.rollback()
        return left == 0

    wait_until(finished, 75, "every delivery of the broadcast to be sent", interval=0.5)
    elapsed = time.monotonic() - started
    for worker in workers:
        assert worker.alive(), worker.output()

    received = per_phone(m for m in twilio.messages if "清扫积雪" in m["body"])
    assert len(received) == COUNT, "every volunteer received it"
    assert set(received.values()) == {1}, "nobody received it twice"
    assert all(phone.startswith("+86137") for phone in received)

    db.session.rollback()
    report = queries.report(db.session.get(Broadcast, broadcast_id))
    assert report.overall.total == COUNT
    assert report.overall.reached == COUNT
    assert report.overall.states["sent"] + report.overall.states["delivered"] == COUNT
    assert sorted(t.total for t in report.by_grid) == [COUNT // GRIDS] * GRIDS
    assert {t.label for t in report.by_grid} == {g.name for g in grids}
    assert sum(t.reached for t in report.by_grid) == COUNT
    states = queries.counts_by_state(db.session.get(Broadcast, broadcast_id))
    assert sum(states.values()) == COUNT
    print(
        f"\nmobilisation to {COUNT}: recorded in {recorded:.1f} s, all sent after "
        f"{elapsed:.1f} s by 2 workers; {len(twilio.messages)} SMS at the provider"
    )
