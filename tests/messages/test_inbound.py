"""Inbound SMS: signed webhooks, one grammar in Chinese and English, no reply loops.

The webhook answers an empty TwiML response; the reply leaves through the outbox, so each
test runs the queued jobs and reads what reached the phone.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

import tasks.deliveries
from models import (
    Delivery,
    DeliveryState,
    DevInboxMessage,
    InboundMessage,
    InboxItem,
    SmsOptOut,
    db,
    utcnow,
)
from notify import Message, commands, send_later
from notify.commands import Command, Inbound, Reply
from notify.status import apply
from tests.fakes.twilio import FakeTwilio
from tests.support import run_jobs

TOKEN = "test-auth-token"
PUBLIC = "https://linli.example.org"
_sid = itertools.count(1)


@pytest.fixture
def twilio_app(app: Flask, ctx: None) -> Any:
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC)
    yield app
    app.config.update(TWILIO_AUTH_TOKEN=None, PUBLIC_BASE_URL="http://127.0.0.1:8000")


def _post(client: FlaskClient, path: str, form: dict[str, str], *, sign: bool = True) -> Any:
    headers = {}
    if sign:
        headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(
            PUBLIC + path, form
        )
    return client.post(path, data=form, headers=headers)


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def _received(phone: str) -> list[str]:
    """Return what reached this phone (the dev inbox is the SMS channel here), oldest first."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(DevInboxMessage.body)
            .where(DevInboxMessage.phone == phone)
            .order_by(DevInboxMessage.id)
        )
    )


def _sms(
    client: FlaskClient,
    phone: str,
    body: str,
    sid: str | None = None,
    to: str = "+15005550006",
) -> str | None:
    """Text the app from `phone` (to the number `to`); return the reply that reached the
    phone, or None."""
    form = {
        "MessageSid": sid or f"SM{next(_sid):032d}",
        "From": phone,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "AccountSid": "AC" + "0" * 32,
    }
    before = len(_received(phone))
    response = _post(client, "/webhooks/twilio/sms", form)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    # Answered at once and empty, built by the SDK: the reply goes through the outbox.
    assert response.get_data(as_text=True) == EMPTY_TWIML
    app = client.application
    run_jobs(app)
    replies = _received(phone)[before:]
    assert len(replies) <= 1, replies
    return replies[0] if replies else None


def test_forged_or_unsigned_webhooks_are_refused(twilio_app: Flask, client: FlaskClient) -> None:
    form = {"MessageSid": "SM1", "From": "+8613912345678", "Body": "STOP"}
    assert _post(client, "/webhooks/twilio/sms", form, sign=False).status_code == 403
    bad = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
    assert client.post("/webhooks/twilio/sms", data=form, headers=bad).status_code == 403
    assert client.post("/webhooks/twilio/status", data=form, headers=bad).status_code == 403
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 0
    assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_a_reply_is_an_urgent_delivery_with_an_inbox_copy(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    c = make.community(sms_signature="【新丰路社区】")
    person = make.person()
    make.post(person, "patroller", community=c)
    reply = _sms(client, person.phone, "帮助")
    [row] = db.session.scalars(select(InboundMessage)).all()
    [d] = db.session.scalars(select(Delivery)).all()
    assert d.batch_key == f"reply:in{row.id}" and d.kind == "help_reply"
    assert d.urgent is True and d.person_id == person.id and d.community_id == c.id
    assert d.channel == "sms" and d.address == person.phone
    assert d.state == DeliveryState.DELIVERED
    # Signed with the community's signature, the text the handler returned.
    assert reply == d.body == f"【新丰路社区】{row.reply}"
    [copy] = db.session.scalars(select(InboxItem).where(InboxItem.person_id == person.id)).all()
    assert copy.batch_key == d.batch_key and copy.body == row.reply


def test_stop_is_confirmed_though_the_phone_is_now_opted_out(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    person = make.person()
    confirmation = _sms(client, person.phone, "退订")
    assert confirmation == "【邻里】您已退订社区短信通知。回复“订阅”可恢复。"
    assert db.session.get(SmsOptOut, person.phone) is not None
    # Any other answer to the opted-out phone keeps the opt-out, like every other message.
    assert _sms(client, person.phone, "帮助") is None
    held = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert [(d.kind, d.state, d.error_code) for d in held] == [
        ("sms_opted_out", DeliveryState.DELIVERED, None),
        ("help_reply", DeliveryState.SUPPRESSED, "opted_out"),
    ]
    # START lifts it, and its confirmation arrives.
    assert "恢复" in (_sms(client, person.phone, "订阅") or "")


def test_a_reply_reaches_the_provider_through_the_worker(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    def forget_dispatcher() -> None:
        # The worker keeps its channels for the life of the process: this test has its own.
        if tasks.deliveries._dispatcher is not None:
            tasks.deliveries._dispatcher.pool.shutdown()
            tasks.deliveries._dispatcher = None

    person = make.person()
    with FakeTwilio(auth_token=TOKEN) as twilio:
        twilio.auto_status = ["sent", "delivered"]
        twilio.app_client = client
        twilio_app.config.update(
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_BASE_URL=twilio.base_url,
        )
        forget_dispatcher()
        try:
            answer = twilio.send_inbound_sms(
                PUBLIC + "/webhooks/twilio/sms", person.phone, "+15005550006", "HELP"
            )
            assert answer.status == 200 and answer.text == EMPTY_TWIML
            run_jobs(twilio_app)
            [sent] = twilio.wait_for(1)
            twilio.wait_for_callbacks(2)
        finally:
            twilio_app.config.update(
                TWILIO_ACCOUNT_SID=None, TWILIO_FROM_NUMBER=None, TWILIO_API_BASE_URL=None
            )
            forget_dispatcher()
    assert sent["to"] == person.phone and sent["body"].startswith("【邻里】回复")
    assert "“退订”停收短信" in sent["body"]
    db.session.expire_all()
    d = db.session.scalar(select(Delivery))
    assert d.provider_id == sent["sid"] and d.state == DeliveryState.DELIVERED


@pytest.mark.parametrize(
    "word", ["退订", "TD", "td", "ｔｄ", " stop ", "Stop!", "UNSUBSCRIBE", "退 订"]
)
def test_opt_out_in_any_form(twilio_app: Flask, client: FlaskClient, make: Any, word: str) -> None:
    person = make.person()
    reply = _sms(client, person.phone, word)
    if word == "退 订":
        assert db.session.get(SmsOptOut, person.phone) is None
        return
    assert db.session.get(SmsOptOut, person.phone) is not None
    # The confirmation reaches the phone although it has just opted out.
    assert reply is not None and "退订" in reply
    # And back in.
    _sms(client, person.phone, "订阅")
    db.session.expire_all()
    assert db.session.get(SmsOptOut, person.phone) is None


def test_opted_out_phone_gets_no_more_sms(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    person = make.person()
    _sms(client, person.phone, "STOP")
    send_later(Message("notice", {"text": "通知"}, batch_key="x:1", urgent=True), to=[person])
    db.session.commit()
    twilio_app.config.update(TWILIO_AUTH_TOKEN=None)  # send through the simulator
    run_jobs(twilio_app)
    d = db.session.scalar(select(Delivery).where(Delivery.batch_key == "x:1"))
    assert d.state == DeliveryState.SUPPRESSED and d.error_code == "opted_out"


def test_help_lists_commands(twilio_app: Flask, client: FlaskClient, make: Any) -> None:
    reply = _sms(client, make.person().phone, "帮助")
    assert reply is not None and "退订" in reply and "心愿" in reply
    # 订阅 is not among them: an opted-out phone gets no answer to 帮助; the opt-out's own
    # confirmation tells it how to come back.


def test_unknown_text_gets_one_reply_not_a_loop(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    phone = "+8613900009999"  # not anyone we know: kept for staff all the same
    first = _sms(client, phone, "你好，楼道灯坏了")
    assert first is not None and "帮助" in first
    second = _sms(client, phone, "在吗")
    assert second is None
    rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [r.text for r in rows] == ["你好，楼道灯坏了", "在吗"]
    assert all(r.person_id is None and r.outcome == "unknown" for r in rows)


def test_replies_to_a_number_are_limited(twilio_app: Flask, client: FlaskClient, make: Any) -> None:
    from notify.inbound import KNOWN_REPLIES_PER_HOUR, REPLIES_PER_HOUR

    stranger = "+8613955550000"  # on no roster
    replies = [_sms(client, stranger, "帮助") for _ in range(REPLIES_PER_HOUR + 2)]
    assert sum(r is not None for r in replies) == REPLIES_PER_HOUR
    # Someone on the roster working by SMS gets more answers, up to a cap of their own.
    phone = make.person().phone
    replies = [_sms(client, phone, "帮助") for _ in range(KNOWN_REPLIES_PER_HOUR + 2)]
    assert sum(r is not None for r in replies) == KNOWN_REPLIES_PER_HOUR


def test_the_same_message_twice_is_handled_once(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    person = make.person()
    first = _sms(client, person.phone, "STOP", sid="SM-same")
    again = _sms(client, person.phone, "STOP", sid="SM-same")
    assert first is not None and "退订" in first
    assert again is None, "a repeated MessageSid queues no second reply"
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 1
    assert db.session.scalar(select(func.count(Delivery.id))) == 1


def test_features_register_commands_with_reference_codes(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    seen: list[tuple[str | None, str]] = []

    def claim(message: Inbound) -> Reply | None:
        seen.append((message.ref, message.rest))
        return Reply("notice", {"text": f"已认领{message.ref}"})

    # Keywords of no real feature, so the features' own commands do not answer first.
    commands.register(Command("test_claim", ("试领", "TRYCLAIM"), claim, shape="ref"))
    try:
        phone = make.person().phone
        assert "已认领T34" in (_sms(client, phone, "试领 T34") or "")
        assert "已认领T34" in (_sms(client, phone, "ｔｒｙｃｌａｉｍ ｔ３４") or "")
        assert "已认领W12" in (_sms(client, phone, "试领W12 马上到") or "")
        assert "已认领" not in (_sms(client, phone, "试领") or "")  # no code: not this command
    finally:
        commands.REGISTRY[:] = [c for c in commands.REGISTRY if c.name != "test_claim"]
    assert seen == [("T34", ""), ("T34", ""), ("W12", "马上到")]


def test_status_callbacks_move_forward_only(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    person = make.person()
    [delivery_id] = send_later(
        Message("notice", {"text": "x"}, batch_key="s:1", urgent=True), to=[person]
    )
    d = db.session.get(Delivery, delivery_id)
    d.state, d.provider_id = DeliveryState.SENT, "SM" + "a" * 32
    db.session.commit()

    def status(value: str, code: str | None = None) -> None:
        form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": value, "To": person.phone}
        if code:
            form["ErrorCode"] = code
        assert _post(client, "/webhooks/twilio/status", form).status_code == 204

    status("delivered")
    status("sent")  # late, out of order
    status("sending")
    status("delivered")  # twice
    db.session.expire_all()
    d = db.session.get(Delivery, delivery_id)
    assert d.state == DeliveryState.DELIVERED
    # An unknown sid or status changes nothing.
    assert apply("SMnope", "delivered", None, utcnow()) is False
    assert apply("SM" + "a" * 32, "exploded", None, utcnow()) is False


def test_undelivered_status_carries_a_plain_reason(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    person = make.person()
    [delivery_id] = send_later(
        Message("notice", {"text": "x"}, batch_key="s:2", urgent=True), to=[person]
    )
    d = db.session.get(Delivery, delivery_id)
    d.state, d.provider_id = DeliveryState.SENT, "SM" + "b" * 32
    db.session.commit()
    form = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    _post(client, "/webhooks/twilio/status", form)
    db.session.expire_all()
    d = db.session.get(Delivery, delivery_id)
    assert d.state == DeliveryState.UNDELIVERED and "switched off" in d.error_reason


def test_a_status_report_before_the_worker_wrote_the_id_is_held_then_applied(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    from notify.status import replay
    from pwa.redis_conn import web_redis

    person = make.person()
    [delivery_id] = send_later(
        Message("notice", {"text": "x"}, batch_key="s:early", urgent=True), to=[person]
    )
    db.session.commit()
    sid = "SM" + "e" * 32
    form = {"MessageSid": sid, "MessageStatus": "delivered", "To": person.phone}
    # The provider reports delivery while the worker has not yet written the provider id.
    assert _post(client, "/webhooks/twilio/status", form).status_code == 204
    d = db.session.get(Delivery, delivery_id)
    assert d.state == DeliveryState.QUEUED
    # The worker writes its outcome ("sent") and then looks for reports held for it.
    d.state, d.provider_id = DeliveryState.SENT, sid
    db.session.commit()
    assert replay(web_redis(), [sid]) == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Delivery, delivery_id).state == DeliveryState.DELIVERED
    assert replay(web_redis(), [sid]) == 0, "a held report is applied once"


def test_reports_racing_the_worker_end_in_the_latest_state(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    """The fake provider reports "delivered" the moment it accepts, while the batch is sent."""
    from notify.dispatch import Dispatcher
    from pwa.redis_conn import web_redis
    from tests.fakes.twilio import FakeTwilio

    people = [make.person() for _ in range(30)]
    ids = send_later(Message("notice", {"text": "x"}, batch_key="s:race", urgent=True), to=people)
    db.session.commit()
    with FakeTwilio(auth_token=TOKEN) as twilio:
        twilio.auto_status = ["delivered"]
        twilio.auto_status_delay = 0.0
        twilio.app_client = client
        config = dict(twilio_app.config)
        config.update(
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_BASE_URL=twilio.base_url,
        )
        Dispatcher(config, web_redis()).deliver(ids)
        twilio.wait_for_callbacks(30, timeout=30)
    db.session.commit()
    db.session.expire_all()
    states = {db.session.get(Delivery, i).state for i in ids}
    assert states == {DeliveryState.DELIVERED}


def test_a_strangers_text_belongs_to_the_community_whose_number_it_was_sent_to(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    a = make.community(sms_signature="【新丰路社区】", sms_number="+861069990001")
    make.community(sms_signature="【西园社区】", sms_number="+861069990002")
    reply = _sms(client, "+8613900009999", "你好", to="010 6999 0001")
    [row] = db.session.scalars(select(InboundMessage)).all()
    assert row.person_id is None and row.community_id == a.id and row.outcome == "unknown"
    # Answered under that community's signature.
    assert reply is not None and reply.startswith("【新丰路社区】")
    # To no community's number, from nobody on a roster: it belongs to no community.
    _sms(client, "+8613900008888", "你好", to="+861069990009")
    [none] = db.session.scalars(
        select(InboundMessage).where(InboundMessage.from_address == "+8613900008888")
    ).all()
    assert none.community_id is None
