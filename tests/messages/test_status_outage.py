"""A status callback that cannot be recorded answers 503, so that the provider sends it again.

Before, a report that arrived while Redis or the database was unavailable was answered 204
and lost: its delivery stayed "sent" for good.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.exc import OperationalError
from twilio.request_validator import RequestValidator

from models import Delivery, DeliveryState, db
from notify import Message, send_later
from notify.channels import Outgoing
from notify.channels.twilio.sending import TwilioSms
from notify.status import replay
from pwa import config
from pwa.config import ConfigError
from tests.fakes.twilio import FakeTwilio
from tests.support import RedisServer

TOKEN = "test-auth-token"
PUBLIC = "https://linli.example.org"
PATH = "/webhooks/twilio/status"


@pytest.fixture
def twilio_app(app: Flask, ctx: None) -> Any:
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC)
    yield app
    app.config.update(TWILIO_AUTH_TOKEN=None, PUBLIC_BASE_URL="http://127.0.0.1:8000")


def _report(client: FlaskClient, sid: str, value: str) -> Any:
    form = {"MessageSid": sid, "MessageStatus": value}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + PATH, form)
    return client.post(PATH, data=form, headers={"X-Twilio-Signature": signature})


def _delivery(make: Any, key: str, sid: str | None) -> int:
    [delivery_id] = send_later(
        Message("notice", {"text": "x"}, batch_key=key, urgent=True), to=[make.person()]
    )
    if sid is not None:
        d = db.session.get(Delivery, delivery_id)
        d.state, d.provider_id = DeliveryState.SENT, sid
    db.session.commit()
    return int(delivery_id)


def _state(delivery_id: int) -> str:
    db.session.expire_all()
    return str(db.session.get(Delivery, delivery_id).state)


def test_a_report_the_database_cannot_record_answers_503_and_its_retry_is_applied(
    twilio_app: Flask, client: FlaskClient, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = "SM" + "d" * 32
    delivery_id = _delivery(make, "s:db-down", sid)

    def locked(self: object) -> None:
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    monkeypatch.setattr(type(db.session), "commit", locked)
    answer = _report(client, sid, "delivered")
    monkeypatch.undo()
    assert answer.status_code == 503
    assert answer.headers["Retry-After"].isdigit()
    assert _state(delivery_id) == DeliveryState.SENT, "rolled back, not half-recorded"

    # The provider calls again once the database is back: the report is applied.
    assert _report(client, sid, "delivered").status_code == 204
    assert _state(delivery_id) == DeliveryState.DELIVERED


def test_an_early_report_redis_cannot_hold_answers_503_and_its_retry_is_applied(
    twilio_app: Flask,
    client: FlaskClient,
    make: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    own = RedisServer(tmp_path / "redis")
    own.start()
    try:
        fast = Redis.from_url(
            own.url, socket_timeout=0.25, socket_connect_timeout=0.25, retry=Retry(NoBackoff(), 0)
        )
        # The web path's client (pwa.redis_conn.web_redis), pointed at a Redis this test stops.
        monkeypatch.setitem(twilio_app.extensions, "linli_redis", fast)
        early_sid, known_sid = "SM" + "e" * 32, "SM" + "k" * 32
        early = _delivery(make, "s:early", None)  # the worker has not written its id yet
        known = _delivery(make, "s:known", known_sid)
        assert _report(client, early_sid, "sent").status_code == 204  # held while Redis is up

        own.stop()
        # Not written down yet and Redis cannot hold it: not recorded, the provider must retry.
        answer = _report(client, early_sid, "delivered")
        assert answer.status_code == 503
        assert answer.headers["Retry-After"].isdigit()
        # A report about a message written down needs only the database: recorded.
        assert _report(client, known_sid, "delivered").status_code == 204
        assert _state(known) == DeliveryState.DELIVERED

        own.start()  # the same port
        assert _report(client, early_sid, "delivered").status_code == 204
        assert _state(early) == DeliveryState.QUEUED
        # The worker writes its outcome and takes the reports held for it.
        d = db.session.get(Delivery, early)
        d.state, d.provider_id = DeliveryState.SENT, early_sid
        db.session.commit()
        assert replay(fast, [early_sid]) == 1  # "sent" held first moves nothing
        db.session.commit()
        assert _state(early) == DeliveryState.DELIVERED
    finally:
        own.stop()


def test_twilio_is_asked_to_retry_a_report_answered_503_and_the_retry_is_applied(
    app: Flask, ctx: None, client: FlaskClient, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status callback URL carries Twilio's connection overrides (rc, rp): a report the
    database could not record is answered 503 and Twilio, as asked, sends it again."""
    with FakeTwilio() as twilio:
        twilio.app_client = client
        config = dict(
            app.config,
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_AUTH_TOKEN=twilio.auth_token,
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_BASE_URL=twilio.base_url,
            PUBLIC_BASE_URL=PUBLIC,
        )
        channel = TwilioSms.from_config(config)
        assert channel.settings.status_callback == f"{PUBLIC}{PATH}#rc=3&rp=5xx,ct,rt"
        delivery_id = _delivery(make, "s:retried", None)
        sent = channel.send(Outgoing(delivery_id, "+8613900000009", "明天停水", 3600))
        [message] = twilio.wait_for(1)
        assert message["status_callback"].endswith("#rc=3&rp=5xx,ct,rt")
        row = db.session.get(Delivery, delivery_id)
        row.state, row.provider_id = DeliveryState.SENT, sent.provider_id
        db.session.commit()

        app.config.update(TWILIO_AUTH_TOKEN=twilio.auth_token, PUBLIC_BASE_URL=PUBLIC)
        real_commit = type(db.session).commit
        failures = iter([True])
        # Only the webhook's commit (this thread's: the test client) fails, never a commit
        # of the enqueuer's thread, which may still be recording what it queued.
        webhook_thread = threading.get_ident()

        def commit_failing_once(self: object) -> None:
            if threading.get_ident() == webhook_thread and next(failures, False):
                raise OperationalError("COMMIT", {}, Exception("database is locked"))
            real_commit(self)  # type: ignore[arg-type]

        monkeypatch.setattr(type(db.session), "commit", commit_failing_once)
        try:
            answer = twilio.send_status(sent.provider_id, "delivered")
        finally:
            monkeypatch.undo()
            app.config.update(TWILIO_AUTH_TOKEN=None, PUBLIC_BASE_URL="http://127.0.0.1:8000")
        # Twilio called the URL without the fragment (it is never sent), signed as such.
        seen = [(c["url"], c["status"], c["response"].text[:200]) for c in twilio.callbacks]
        assert [c["url"] for c in twilio.callbacks] == [PUBLIC + PATH] * 2, seen
        assert [c["status"] for c in twilio.callbacks] == [503, 204]
        assert answer.status == 204
        assert _state(delivery_id) == DeliveryState.DELIVERED


def test_a_wrong_retry_setting_is_refused_with_what_to_set(tmp_path: Path) -> None:
    for wrong, says in (("rc=9", "rc=0..5"), ("rc=2&rp=6xx", "unknown retry policy 6xx")):
        with pytest.raises(ConfigError, match=says):
            config.load(tmp_path, {"LINLI_ENV": "development", "TWILIO_STATUS_RETRY": wrong})
    loaded = config.load(tmp_path, {"LINLI_ENV": "development", "TWILIO_STATUS_RETRY": ""})
    assert loaded["TWILIO_STATUS_RETRY"] == ""
