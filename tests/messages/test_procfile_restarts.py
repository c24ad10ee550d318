"""Each Procfile process killed with `kill -9` and started again, as a Procfile host does.

`make run` restarts its processes itself (tests/test_launcher.py); a Procfile host restarts
them by their Procfile command (docs/operations.md). Here cron and web are killed and
started again by that command, beside a worker, on the tests' database and redis-server:
afterwards the periodic work and the web's messages move again within a minute.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select, update

from models import Delivery, DeliveryState, db, utcnow
from notify import Message, send_later
from notify.queueing import enqueuer
from tests.fakes.twilio import FakeTwilio
from tests.procfile import Launcher, add_people, environment, wait_for_worker, wait_until
from tests.support import RedisServer, free_port

SENT_STATES = (DeliveryState.SENT, DeliveryState.DELIVERED)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.stop_all()


def _state(delivery_id: int) -> str:
    db.session.rollback()
    return str(db.session.scalar(select(Delivery.state).where(Delivery.id == delivery_id)))


def test_cron_killed_and_started_again_takes_up_the_periodic_work(
    app: Flask, redis_server: RedisServer, twilio: FakeTwilio, launch: Launcher
) -> None:
    env = environment(redis_server.url, twilio)
    with app.app_context():
        [person] = add_people(1, prefix="+86135")
        phone = person.phone
        worker = launch("worker", env)
        wait_for_worker(redis_server.url, worker)
        first = launch("cron", env)
        time.sleep(3)  # it has registered and run its first round
        first.kill9()
        launch("cron", env)
        restarted = time.monotonic()

        # A message the web could not hand to Redis (it was down): only the sweep, a
        # periodic job of cron, queues it. (Handed to a queue no worker reads, then marked
        # never queued, as the web marks what Redis refused.)
        app.config["RQ_QUEUE"] = "nobody-reads-this"
        try:
            [delivery_id] = send_later(
                Message("notice", {"text": "停水通知"}, batch_key="cron:restart", urgent=True),
                to=[person],
            )
            db.session.commit()
            assert enqueuer(app).wait(30)
        finally:
            app.config["RQ_QUEUE"] = "linli"
        db.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(enqueued_at=None, created_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
        wait_until(
            lambda: _state(delivery_id) in SENT_STATES, 60, "the sweep of the new cron to send it"
        )
    took = time.monotonic() - restarted
    print(f"\ncron: killed, started again; the swept message sent {took:.1f} s on")
    assert [m["to"] for m in twilio.messages] == [phone]
    assert worker.alive(), worker.output()


def test_web_killed_and_started_again_answers_and_its_messages_are_sent(
    app: Flask, redis_server: RedisServer, twilio: FakeTwilio, launch: Launcher
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = environment(
        redis_server.url, twilio, BIND="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1"
    )
    with app.app_context():
        [person] = add_people(1, prefix="+86136")
        phone = person.phone
        worker = launch("worker", env)
        wait_for_worker(redis_server.url, worker)
        launch("cron", env)
        web = launch("web", env)
        wait_until(lambda: _answers(base), 60, "gunicorn to answer")
        web.kill9()
        assert not _answers(base)
        killed = time.monotonic()
        launch("web", env)
        wait_until(lambda: _answers(base), 60, "the new gunicorn to answer")
        answering = time.monotonic() - killed

        session = requests.Session()
        page = session.get(f"{base}/sign-in", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        response = session.post(
            f"{base}/sign-in",
            data={"phone": phone, "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.text
        wait_until(lambda: bool(twilio.messages), 60, "the sign-in code to be sent")
    print(f"\nweb: killed, started again; answering {answering:.1f} s on, its code sent")
    assert [m["to"] for m in twilio.messages] == [phone]
    assert worker.alive(), worker.output()


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code in (200, 503)
    except requests.RequestException:
        return False
