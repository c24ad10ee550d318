"""Tencent Cloud SMS through the official SDK against the fake: signing, codes, callbacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import (
    Delivery,
    DeliveryState,
    InboundMessage,
    SmsOptOut,
    SmsTemplate,
    Wish,
    clock,
    db,
    utcnow,
)
from notify import mainland, templates
from notify.channels import Outgoing, PermanentFailure, Sent, TransientFailure
from notify.channels.base import TemplateSms
from notify.channels.tencent.sending import TencentSettings, TencentSms
from notify.dispatch import Dispatcher
from notify.message import Message
from notify.outbox import send_later
from pwa import config
from pwa.config import ConfigError
from tests.fakes.tencent import FakeTencent
from tests.messages.template_providers import (
    empty_balance_stops_the_community,
    report_is_pushed_again_until_accepted,
    rows_of,
    send_notice,
)

TEMPLATE = TemplateSms("notice", "1234567", "邻里", {"text": "明天停水"})


@pytest.fixture
def fake() -> Iterator[FakeTencent]:
    with FakeTencent() as server:
        server.register("邻里", {"1234567": "{1}"})
        yield server


def _channel(fake: FakeTencent, secret: str | None = None) -> TencentSms:
    return TencentSms(
        TencentSettings(
            fake.secret_id, secret or fake.secret_key, fake.app_id, endpoint=fake.base_url
        )
    )


def _out(n: int, template: TemplateSms = TEMPLATE, **kw: object) -> Outgoing:
    return Outgoing(n, f"+86139000000{n:02d}", "", 600, template=template, **kw)  # type: ignore[arg-type]


def test_one_text_to_many_numbers_is_one_signed_call(fake: FakeTencent) -> None:
    results = _channel(fake).send_many([_out(1), _out(2), _out(3)])
    assert all(isinstance(r, Sent) for r in results)
    assert fake.calls == ["SendSms"]
    assert [m.text for m in fake.messages] == ["【邻里】明天停水"] * 3
    assert {m.session_context for m in fake.messages} == {"1-3"}
    # The provider id kept is each number's SerialNo: the status callback's "sid".
    assert isinstance(results[0], Sent)
    assert results[0].provider_id == fake.messages[0].serial_no


def test_a_wrong_secret_is_refused_by_the_signature_check(fake: FakeTencent) -> None:
    (result,) = _channel(fake, "not-the-key").send_many([_out(1)])
    assert isinstance(result, PermanentFailure) and result.code == "AuthFailure.SignatureFailure"
    assert fake.messages == []


def test_each_numbers_code_is_mapped(fake: FakeTencent) -> None:
    fake.invalid_numbers.add("+8613900000002")
    fake.daily_limited.add("+8613900000003")
    ok, bad, limited = _channel(fake).send_many([_out(1), _out(2), _out(3)])
    assert isinstance(ok, Sent)
    assert (
        isinstance(bad, PermanentFailure)
        and bad.code == "InvalidParameterValue.IncorrectPhoneNumber"
    )
    assert isinstance(limited, TransientFailure) and limited.hold and limited.retry_after
    fake.balance_empty = True
    (empty,) = _channel(fake).send_many([_out(4)])
    assert isinstance(empty, TransientFailure) and empty.stop_provider and empty.hold


def test_unknown_template_and_sign_are_refused(fake: FakeTencent) -> None:
    (result,) = _channel(fake).send_many(
        [_out(1, TemplateSms("notice", "7654321", "邻里", {"text": "x"}))]
    )
    assert isinstance(result, PermanentFailure)
    assert result.code == "FailedOperation.TemplateIncorrectOrUnapproved"


def test_an_unanswered_send_is_looked_up_before_it_goes_again(fake: FakeTencent) -> None:
    channel = _channel(fake)
    channel.timeout = 1
    fake.lose_answer_next()
    (lost,) = channel.send_many([_out(7)])
    assert isinstance(lost, TransientFailure) and lost.uncertain
    channel._local.client = None  # type: ignore[attr-defined]
    (found,) = channel.send_many([_out(7, check_first=True)])
    assert isinstance(found, Sent)
    assert fake.calls[-1] == "PullSmsSendStatusByPhoneNumber"
    assert len(fake.messages) == 1
    (again,) = channel.send_many([_out(8, check_first=True)])  # never sent: it goes now
    assert isinstance(again, Sent) and len(fake.messages) == 2


def test_a_community_on_tencent_sends_through_it(make: Any, fake: FakeTencent) -> None:
    community = make.community(sms_provider="tencent")
    db.session.add(
        SmsTemplate(community_id=community.id, provider="tencent", kind="notice", code="1234567")
    )
    db.session.commit()
    person = make.person()
    ids = send_later(
        Message(
            "notice", {"text": "明天停水"}, batch_key="t:1", urgent=True, community_id=community.id
        ),
        [person],
    )
    db.session.commit()
    Dispatcher(
        {
            "TENCENT_SECRET_ID": fake.secret_id,
            "TENCENT_SECRET_KEY": fake.secret_key,
            "TENCENT_SMS_APP_ID": fake.app_id,
            "TENCENT_SMS_ENDPOINT": fake.base_url,
        },
        None,
    ).deliver(ids)
    db.session.expire_all()
    row = db.session.get(Delivery, ids[0])
    assert row is not None and row.state == DeliveryState.SENT
    assert [m.phone for m in fake.messages] == [person.phone]
    assert fake.messages[0].text == "【邻里】明天停水"


# -- through the dispatcher: error codes, callbacks ------------------------------------------

SECRET = "t" * 40


def _dispatcher(fake: FakeTencent) -> Dispatcher:
    return Dispatcher(
        {
            "TENCENT_SECRET_ID": fake.secret_id,
            "TENCENT_SECRET_KEY": fake.secret_key,
            "TENCENT_SMS_APP_ID": fake.app_id,
            "TENCENT_SMS_ENDPOINT": fake.base_url,
            "SEND_CONCURRENCY": 2,
            "MESSAGES_PER_DAY": 50,
        },
        None,
    )


def _community(make: Any) -> Any:
    community = make.community(sms_provider="tencent")
    for kind, code in (("notice", "1234567"), ("sms_opted_out", "1234568")):
        db.session.add(
            SmsTemplate(community_id=community.id, provider="tencent", kind=kind, code=code)
        )
    db.session.commit()
    return community


@pytest.fixture
def callbacks(app: Flask, fake: FakeTencent, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app's test client, with the fake's callback URLs pointing at it."""
    fake.register("邻里", {"1234568": "您已退订社区短信通知。回复“订阅”可恢复。"})
    monkeypatch.setitem(app.config, "TENCENT_PUSH_SECRET", SECRET)
    fake.report_url = f"http://localhost/webhooks/tencent/{SECRET}/report"
    fake.reply_url = f"http://localhost/webhooks/tencent/{SECRET}/reply"
    return app.test_client()


def test_an_incorrect_number_fails_for_good_and_the_others_go(make: Any, fake: FakeTencent) -> None:
    community = _community(make)
    good, bad = make.person(), make.person()
    fake.invalid_numbers.add(bad.phone)
    ids = send_notice(community, [good, bad], "停水")
    _dispatcher(fake).deliver(ids)
    first, second = rows_of(ids)
    assert first.state == DeliveryState.SENT
    assert (second.state, second.error_code) == (
        DeliveryState.FAILED,
        "InvalidParameterValue.IncorrectPhoneNumber",
    )
    assert second.error_reason == "The phone number is not valid."


def test_a_daily_limit_holds_the_message_until_tomorrow_morning(
    make: Any, fake: FakeTencent
) -> None:
    community = _community(make)
    person = make.person()
    fake.daily_limited.add(person.phone)
    ids = send_notice(community, [person], "停水")
    before = utcnow()
    _dispatcher(fake).deliver(ids)
    (row,) = rows_of(ids)
    assert (row.state, row.error_code) == (
        DeliveryState.DEFERRED,
        "LimitExceeded.PhoneNumberDailyLimit",
    )
    assert row.attempts == 0  # holding is not a try
    assert row.not_before is not None
    assert timedelta(0) < row.not_before - before <= timedelta(days=1, hours=8, seconds=10)
    assert clock.local(row.not_before).hour == 8  # 08:00 China time, as Alibaba's 天级


def test_an_empty_package_stops_the_community_and_tells_staff_once(
    make: Any, fake: FakeTencent
) -> None:
    community = _community(make)
    empty_balance_stops_the_community(
        make,
        fake,
        _dispatcher(fake),
        community,
        "tencent",
        "FailedOperation.InsufficientBalanceInSmsPackage",
    )


def test_reports_set_states_by_sid_and_repeats_change_nothing(
    make: Any, fake: FakeTencent, callbacks: Any
) -> None:
    community = _community(make)
    person, failed = make.person(), make.person()
    ids = send_notice(community, [person, failed], "停水")
    _dispatcher(fake).deliver(ids)
    fake.fail_report(failed.phone)
    answer = fake.push_reports(callbacks)
    assert answer is not None and answer.status == 200
    assert answer.json() == {"result": 0, "errmsg": "OK"}
    assert fake.pending_reports() == 0
    first, second = rows_of(ids)
    assert first.state == DeliveryState.DELIVERED
    assert (second.state, second.error_code) == (DeliveryState.UNDELIVERED, "MK:0001")
    # Tencent calls again when it missed our answer: the same reports change nothing.
    body = json.dumps(
        [
            {"sid": first.provider_id, "report_status": "FAIL", "errmsg": "MK:0005",
             "nationcode": "86", "mobile": person.phone[3:], "description": "",
             "user_receive_time": ""},
        ]
    )  # fmt: skip
    again = callbacks.post(f"/webhooks/tencent/{SECRET}/report", data=body)
    assert again.status_code == 200 and again.get_json() == {"result": 0, "errmsg": "OK"}
    assert rows_of(ids)[0].state == DeliveryState.DELIVERED  # reports only move forward


def test_a_report_not_answered_result_0_is_pushed_again(
    app: Flask, make: Any, fake: FakeTencent, callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    community = _community(make)
    ids = send_notice(community, [make.person()], "停水")
    _dispatcher(fake).deliver(ids)
    monkeypatch.setitem(app.config, "TENCENT_PUSH_SECRET", None)  # not configured yet
    report_is_pushed_again_until_accepted(
        fake,
        callbacks,
        ids,
        lambda: monkeypatch.setitem(app.config, "TENCENT_PUSH_SECRET", SECRET),
        {"result": 0, "errmsg": "OK"},
    )


def test_a_reply_goes_through_the_grammar_once_however_often_it_comes(
    make: Any, fake: FakeTencent, callbacks: Any
) -> None:
    community = _community(make)
    person = make.person()
    _dispatcher(fake).deliver(send_notice(community, [person], "停水"))
    answer = fake.reply(person.phone, "退订", callbacks, at=1_700_000_000)
    assert answer.json() == {"result": 0, "errmsg": "OK"}
    again = fake.reply(person.phone, "退订", callbacks, at=1_700_000_000)  # a retry
    assert again.json() == {"result": 0, "errmsg": "OK"}
    db.session.expire_all()
    assert db.session.get(SmsOptOut, person.phone) is not None
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 1
    (answer_row,) = db.session.scalars(select(Delivery).where(Delivery.batch_key.like("reply:%")))
    assert answer_row.kind == "sms_opted_out" and answer_row.address == person.phone


def test_a_wish_by_reply_is_answered_through_the_outbox_with_its_template(
    make: Any, fake: FakeTencent, callbacks: Any
) -> None:
    community = _community(make)
    kind = templates.get("wish_posted_reply_first")
    fake.register("邻里", {"2000001": mainland.provider_text(kind, "tencent")})
    db.session.add(
        SmsTemplate(community_id=community.id, provider="tencent", kind=kind.name, code="2000001")
    )
    db.session.commit()
    household = make.household(make.building(make.grid(community)))
    resident = make.resident(household, phone="+8613912340000")
    answer = fake.reply("+8613912340000", "心愿 帮忙修一下水龙头", callbacks, sign="邻里")
    assert answer.json() == {"result": 0, "errmsg": "OK"}
    db.session.expire_all()
    wish = db.session.scalar(select(Wish))
    assert wish is not None and wish.resident_id == resident.id
    reply = db.session.scalar(select(Delivery).where(Delivery.kind == kind.name))
    assert reply is not None and reply.address == resident.phone
    _dispatcher(fake).deliver([reply.id])
    sent = fake.messages[-1]
    assert (sent.phone, sent.template_id, sent.params) == ("+8613912340000", "2000001", [wish.ref])
    assert sent.text == "【邻里】" + kind.zh.format(ref=wish.ref)


def test_a_callback_without_the_secret_or_from_elsewhere_is_refused(
    app: Flask, callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(
        {"extend": "", "mobile": "13900000000", "nationcode": "86", "sign": "邻里",
         "text": "帮助", "time": 1}
    )  # fmt: skip
    wrong = callbacks.post("/webhooks/tencent/" + "x" * 40 + "/reply", data=body)
    assert wrong.status_code == 404
    short = "short-secret"
    monkeypatch.setitem(app.config, "TENCENT_PUSH_SECRET", short)  # too short: nobody gets in
    assert callbacks.post(f"/webhooks/tencent/{short}/reply", data=body).status_code == 404
    monkeypatch.setitem(app.config, "TENCENT_PUSH_SECRET", SECRET)
    monkeypatch.setitem(app.config, "TENCENT_PUSH_ALLOWED_IPS", "203.0.113.0/24")
    elsewhere = callbacks.post(f"/webhooks/tencent/{SECRET}/reply", data=body)
    assert elsewhere.status_code == 403
    inside = {"REMOTE_ADDR": "203.0.113.9"}
    allowed = callbacks.post(f"/webhooks/tencent/{SECRET}/reply", data=body, environ_base=inside)
    assert allowed.status_code == 200 and allowed.get_json() == {"result": 0, "errmsg": "OK"}
    for bad in (b"{not json", b"[1, 2]", "\xff".encode("latin-1")):
        answer = callbacks.post(f"/webhooks/tencent/{SECRET}/report", data=bad, environ_base=inside)
        assert answer.status_code == 400


def test_a_bad_allowed_addresses_setting_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TENCENT_PUSH_ALLOWED_IPS"):
        config.load(
            tmp_path, {"LINLI_ENV": "development", "TENCENT_PUSH_ALLOWED_IPS": "10.0.0.0/8, x"}
        )


def test_a_message_relayed_through_a_household_contact_goes_by_its_own_template(
    make: Any, fake: FakeTencent
) -> None:
    community = _community(make)
    relayed = mainland.relayed(templates.get("notice"))
    assert mainland.provider_text(relayed, "tencent") == "请转告{1}：{2}"
    fake.register("邻里", {"2000009": mainland.provider_text(relayed, "tencent")})
    household = make.household(
        make.building(make.grid(community)), contact_name="儿子", contact_phone="+8613977778888"
    )
    grandma = make.resident(household, name="王秀英", phone=None)
    first = send_notice(community, [grandma], "明天上午9点停水", "n:r1")
    _dispatcher(fake).deliver(first)
    (refused,) = rows_of(first)
    assert (refused.state, refused.error_code) == (DeliveryState.FAILED, "relay_template")
    assert fake.messages == []
    db.session.add(
        SmsTemplate(
            community_id=community.id, provider="tencent", kind=relayed.name, code="2000009"
        )
    )
    db.session.commit()
    ids = send_notice(community, [grandma], "明天上午9点停水", "n:r2")
    _dispatcher(fake).deliver(ids)
    (row,) = rows_of(ids)
    assert row.state == DeliveryState.SENT
    (sent,) = fake.messages
    assert (sent.phone, sent.template_id) == ("+8613977778888", "2000009")
    assert sent.params == ["王秀英", "明天上午9点停水"]
    assert sent.text == "【邻里】请转告王秀英：明天上午9点停水" == row.body
