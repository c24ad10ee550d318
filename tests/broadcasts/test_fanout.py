"""Broadcasts fan out in a job: the request records a queued broadcast and answers at once,
the job prepares it in committed chunks (resumable, no duplicates), the report page shows
queued → preparing → sending → done."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis.exceptions import RedisError
from sqlalchemy import func, insert, select, text

from models import Broadcast, BroadcastRecipient, Delivery, Person, Post, db, utcnow
from models.base import refresh_statistics
from services.broadcasts import fanout
from services.broadcasts import operations as broadcasts
from services.work_orders.audiences import Audience
from tasks import broadcasts as broadcast_jobs
from tests.broadcasts.test_broadcasts import prepare
from tests.support import run_jobs, sign_in
from tests.work_orders.test_work_orders import World

pytestmark = pytest.mark.usefixtures("english")

TEXT = "需要20人07:00清扫积雪，回复1报名"


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _patrollers(world: World, count: int) -> None:
    """Add count patrollers in grid 1, inserted in bulk."""
    db.session.execute(
        insert(Person), [{"name": f"志愿者{i}", "phone": f"+86136{i:08d}"} for i in range(count)]
    )
    ids = db.session.scalars(select(Person.id).where(Person.phone.like("+86136%")))
    db.session.execute(
        insert(Post),
        [
            {
                "person_id": pid,
                "role": "patroller",
                "community_id": world.community.id,
                "grid_id": world.grid1.id,
                "duties": "",
                "starts_on": date(2020, 1, 1),
            }
            for pid in ids
        ],
    )
    db.session.commit()


def _form(**extra: Any) -> dict[str, Any]:
    day = utcnow() + timedelta(days=400)
    return {
        "text": TEXT,
        "title": "扫雪",
        "starts_at": day.strftime("%Y-%m-%dT07:00"),
        "ends_at": day.strftime("%Y-%m-%dT09:00"),
        "places_needed": "20",
        "roles": ["patroller"],
        **extra,
    }


def _mobilise(world: World) -> int:
    now = utcnow()
    broadcast = broadcasts.mobilise(
        world.community,
        text=TEXT,
        title="扫雪",
        starts_at=now + timedelta(hours=10),
        ends_at=now + timedelta(hours=12),
        places_needed=20,
        audience=Audience(roles=("patroller",)),
        by=world.secretary,
        now=now,
        today=now.date(),
    )
    db.session.commit()
    return broadcast.id


def test_the_request_only_queues_a_10000_recipient_mobilisation(
    make: Any, client: FlaskClient
) -> None:
    world = World(make, volunteers=0)
    _patrollers(world, 10_000)
    if db.engine.dialect.name == "postgresql":
        # 10,000 rows just written to tables the planner last saw nearly empty: without fresh
        # statistics one count took 14 s in a CI run (a production table is analysed by
        # autovacuum long before it is this size).
        db.session.execute(text("ANALYZE person, post"))
        db.session.commit()
    sign_in(client, world.secretary.phone)
    # The first submit counts whom it reaches, to be confirmed; the second records the
    # broadcast and nothing per recipient. How long each takes is measured by bench.fanout at
    # 100,000 (docs/performance.md), not here.
    asked = client.post("/broadcasts/mobilise", data=_form())
    assert 'name="confirmed" value="10000"' in asked.get_data(as_text=True)
    response = client.post("/broadcasts/mobilise", data=_form(confirmed="10000"))
    assert response.status_code == 302, response.get_data(as_text=True)
    broadcast = db.session.scalar(select(Broadcast))
    assert broadcast is not None and broadcast.status == "queued"
    assert _count(Delivery, Delivery.batch_key == broadcast.batch_key) == 0
    assert _count(BroadcastRecipient) == 0
    broadcast_id = broadcast.id

    assert prepare(broadcast_id) == "sending"
    db.session.rollback()
    broadcast = db.session.get(Broadcast, broadcast_id)
    assert broadcast is not None
    assert _count(BroadcastRecipient, BroadcastRecipient.broadcast_id == broadcast_id) == 10_000
    keys = db.session.execute(
        select(func.count(Delivery.id), func.count(func.distinct(Delivery.recipient_key))).where(
            Delivery.batch_key == broadcast.batch_key
        )
    ).one()
    assert tuple(keys) == (10_000, 10_000), "every recipient exactly one delivery"
    assert broadcast.recipient_count == 10_000


def test_a_rerun_after_a_crash_mid_preparation_sends_nobody_twice(
    make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(make, volunteers=25)
    broadcast_id = _mobilise(world)
    monkeypatch.setattr(fanout, "CHUNK", 10)
    real_send_later = fanout.send_later
    calls = 0

    def dies_on_the_second_chunk(*args: Any, **kwargs: Any) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the worker died")
        return real_send_later(*args, **kwargs)

    monkeypatch.setattr(fanout, "send_later", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        prepare(broadcast_id)
    db.session.rollback()
    half = db.session.get(Broadcast, broadcast_id)
    assert half is not None and half.status == "preparing" and half.prepared_through > 0
    assert _count(BroadcastRecipient) == 10 and _count(Delivery) == 10  # the first chunk only

    monkeypatch.setattr(fanout, "send_later", real_send_later)
    assert prepare(broadcast_id) == "sending"
    assert prepare(broadcast_id) == "sending"  # once more: nothing new
    db.session.rollback()
    assert _count(BroadcastRecipient) == 25
    people = db.session.scalars(select(Delivery.person_id).where(Delivery.kind == "mobilisation"))
    assert sorted(people) == sorted(v.id for v in world.volunteers), "each exactly once"


def _planner_rows(table: str) -> float:
    return float(
        db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table})
    )


def test_a_prepared_broadcast_of_a_chunk_or_more_is_known_to_the_planner(
    make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a broadcast of a chunk or more is planned with the rows as they are: its
    start analyses the roster the chunks read (just imported, it would look empty), and its
    last step the recipients and deliveries the report page joins as soon as it is sending.
    SQLite keeps no statistics: nothing to check there."""
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:  # as a fresh deployment's planner sees the roster before its import
        db.session.execute(text("ANALYZE person, post"))
        db.session.commit()
    world = World(make, volunteers=25)
    broadcast_id = _mobilise(world)
    monkeypatch.setattr(fanout, "CHUNK", 10)
    if postgresql:
        db.session.execute(text("ANALYZE delivery, broadcast_recipient"))  # empty, as seen
        db.session.commit()
        assert _planner_rows("broadcast_recipient") <= 0
        assert _planner_rows("post") < 25
    assert prepare(broadcast_id) == "sending"
    db.session.rollback()
    assert _count(BroadcastRecipient) == 25
    if postgresql:
        assert _planner_rows("post") >= 25 and _planner_rows("person") >= 25
        assert _planner_rows("broadcast_recipient") == 25
        assert _planner_rows("delivery") >= 25
    with pytest.raises(ValueError, match="no such tables"):
        refresh_statistics("delivery; DROP TABLE person")


def test_the_sweep_takes_up_what_redis_missed_or_a_dead_job_left(
    app: Flask, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def redis_down(*_args: Any, **_kwargs: Any) -> None:
        raise RedisError("Redis was down when it was committed")

    monkeypatch.setattr(fanout, "enqueue_now", redis_down)
    world = World(make, volunteers=3)
    broadcast_id = _mobilise(world)
    fanout.wait_enqueued(app)  # the enqueuer tried, failed, and left enqueued_at empty
    db.session.rollback()
    broadcast = db.session.get(Broadcast, broadcast_id)
    assert broadcast is not None and broadcast.enqueued_at is None
    created = broadcast.created_at
    assert fanout.due(created + timedelta(seconds=1)) == []  # its own enqueuer may be on its way
    later = created + timedelta(seconds=fanout.NEVER_QUEUED_SECONDS + 1)
    assert fanout.due(later) == [broadcast.id]
    now = utcnow()
    broadcast.status, broadcast.touched_at = "preparing", now
    db.session.commit()
    assert fanout.due(now) == []
    assert fanout.due(now + timedelta(seconds=fanout.STALE_SECONDS + 1)) == [broadcast.id]


def test_the_report_page_shows_the_status_as_it_goes(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    world = World(make, volunteers=3)
    sign_in(client, world.secretary.phone)
    response = client.post("/broadcasts/mobilise", data=_form(confirmed="3"))
    assert response.status_code == 302
    page = response.headers["Location"]

    def status() -> str:
        html = client.get(page).get_data(as_text=True)
        return html.split('data-status="', 1)[1].split('"', 1)[0]

    assert status() == "queued"
    assert "Queued" in client.get(page).get_data(as_text=True)
    db.session.rollback()  # end the page's read: the job below writes
    broadcast = db.session.scalar(select(Broadcast))
    assert broadcast is not None
    assert fanout.prepare_step(broadcast.id, utcnow()).status == "preparing"
    db.session.commit()
    assert status() == "preparing"
    db.session.commit()
    run_jobs(app)  # the queued job prepares it; the workers send every delivery
    assert status() == "sending"
    db.session.commit()
    broadcast_jobs.sweep()  # every delivery is final now
    assert status() == "done"
    assert 'data-status="done"' in client.get("/broadcasts").get_data(as_text=True)
