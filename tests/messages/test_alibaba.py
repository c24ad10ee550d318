"""Alibaba Cloud SMS through the official SDK against the fake: templates, errors, pushes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525 import models as sms_models
from flask import Flask
from sqlalchemy import select

from models import (
    Delivery,
    DeliveryState,
    SmsOptOut,
    SmsTemplate,
    Wish,
    db,
    utcnow,
)
from notify import mainland, templates
from notify.channels import Outgoing, Sent, TransientFailure
from notify.channels.alibaba import sending
from notify.channels.alibaba.sending import AlibabaSettings, AlibabaSms
from notify.channels.base import TemplateSms
from notify.dispatch import Dispatcher
from pwa import config
from pwa.config import ConfigError
from tests.fakes.alibaba import FakeAlibaba
from tests.messages.template_providers import (
    empty_balance_stops_the_community,
    report_is_pushed_again_until_accepted,
    rows_of,
    send_notice,
)

SECRET = "s" * 40


@pytest.fixture
def fake() -> Iterator[FakeAlibaba]:
    with FakeAlibaba() as server:
        server.register(
            "邻里",
            {"SMS_100001": "${text}", "SMS_100002": "您已退订社区短信通知。回复“订阅”可恢复。"},
        )
        yield server


def _dispatcher(fake: FakeAlibaba) -> Dispatcher:
    return Dispatcher(
        {
            "ALIBABA_ACCESS_KEY_ID": fake.access_key_id,
            "ALIBABA_ACCESS_KEY_SECRET": fake.access_key_secret,
            "ALIBABA_SMS_ENDPOINT": fake.base_url,
            "SEND_CONCURRENCY": 2,
            "MESSAGES_PER_DAY": 50,
        },
        None,
    )


def _community(make: Any, with_template: bool = True) -> Any:
    community = make.community(sms_provider="alibaba")
    if with_template:
        db.session.add(
            SmsTemplate(
                community_id=community.id, provider="alibaba", kind="notice", code="SMS_100001"
            )
        )
        db.session.add(
            SmsTemplate(
                community_id=community.id,
                provider="alibaba",
                kind="sms_opted_out",
                code="SMS_100002",
            )
        )
        db.session.commit()
    return community


def test_one_text_to_many_numbers_is_one_signed_sendsms_call(make: Any, fake: FakeAlibaba) -> None:
    community = _community(make)
    people = [make.person() for _ in range(3)]
    ids = send_notice(community, people, "明天上午9点停水")
    _dispatcher(fake).deliver(ids)
    rows = rows_of(ids)
    assert fake.crashes == []
    assert [r.state for r in rows] == [DeliveryState.SENT] * 3
    assert fake.calls == ["SendSms"]
    assert {m.phone for m in fake.messages} == {p.phone[3:] for p in people}
    assert fake.messages[0].text == "【邻里】明天上午9点停水"
    assert fake.messages[0].out_id == f"{min(ids)}-{max(ids)}"
    assert rows[0].provider_id == f"{min(ids)}-{max(ids)}@{people[0].phone[3:]}"


def test_each_persons_own_text_goes_by_sendbatchsms(make: Any, fake: FakeAlibaba) -> None:
    community = _community(make)
    a, b = make.person(), make.person()
    ids = send_notice(community, [a], "甲的通知", "n:a") + send_notice(
        community, [b], "乙的通知", "n:b"
    )
    _dispatcher(fake).deliver(ids)
    assert [r.state for r in rows_of(ids)] == [DeliveryState.SENT] * 2
    assert fake.calls == ["SendBatchSms"]
    assert {m.text for m in fake.messages} == {"【邻里】甲的通知", "【邻里】乙的通知"}


def test_a_kind_without_an_approved_template_is_refused_never_sent(
    make: Any, fake: FakeAlibaba
) -> None:
    community = _community(make, with_template=False)
    ids = send_notice(community, [make.person()], "停水")
    _dispatcher(fake).deliver(ids)
    (row,) = rows_of(ids)
    assert row.state == DeliveryState.FAILED
    assert row.error_reason == "no approved template for notice"
    assert fake.requests_seen == 0


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("很" * 36, "param_too_long"),
        ("详情见 https://example.com/x", "param_link"),
        ("", "param_empty"),
    ],
)
def test_parameters_are_checked_before_sending(
    make: Any, fake: FakeAlibaba, text: str, code: str
) -> None:
    community = _community(make)
    ids = send_notice(community, [make.person()], text)
    _dispatcher(fake).deliver(ids)
    (row,) = rows_of(ids)
    assert (row.state, row.error_code) == (DeliveryState.FAILED, code)
    assert row.error_reason
    assert fake.requests_seen == 0


def test_an_invalid_number_fails_for_good_and_the_others_go(make: Any, fake: FakeAlibaba) -> None:
    community = _community(make)
    good, bad = make.person(), make.person()
    fake.invalid_numbers.add(bad.phone[3:])
    ids = send_notice(community, [good, bad], "停水")
    _dispatcher(fake).deliver(ids)
    first, second = rows_of(ids)
    assert first.state == DeliveryState.SENT
    assert (second.state, second.error_code) == (DeliveryState.FAILED, "isv.MOBILE_NUMBER_ILLEGAL")
    assert second.error_reason == "The phone number is not valid."


def test_flow_control_holds_the_message_until_the_limit_frees(make: Any, fake: FakeAlibaba) -> None:
    community = _community(make)
    person = make.person()
    fake.flow_limited[person.phone[3:]] = "触发小时级流控Permits:5"
    ids = send_notice(community, [person], "停水")
    before = utcnow()
    _dispatcher(fake).deliver(ids)
    (row,) = rows_of(ids)
    assert (row.state, row.error_code) == (DeliveryState.DEFERRED, "isv.BUSINESS_LIMIT_CONTROL")
    assert row.attempts == 0  # holding is not a try
    assert row.not_before is not None
    assert timedelta(0) < row.not_before - before <= timedelta(hours=1, seconds=10)


def test_an_empty_balance_stops_the_community_and_tells_staff_once(
    make: Any, fake: FakeAlibaba
) -> None:
    community = _community(make)
    empty_balance_stops_the_community(
        make, fake, _dispatcher(fake), community, "alibaba", "isv.AMOUNT_NOT_ENOUGH"
    )


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sending, "TIMEOUT_MS", 1500)


@pytest.mark.usefixtures("short_timeout")
def test_an_unanswered_send_is_checked_before_it_goes_again(make: Any, fake: FakeAlibaba) -> None:
    community = _community(make)
    ids = send_notice(community, [make.person()], "停水")
    dispatcher = _dispatcher(fake)
    fake.lose_answer_next()  # accepted and sent, but the answer never comes
    dispatcher.deliver(ids)
    (row,) = rows_of(ids)
    assert row.state == DeliveryState.DEFERRED and row.uncertain
    assert len(fake.messages) == 1
    dispatcher.deliver(ids, now=utcnow() + timedelta(minutes=10))
    (row,) = rows_of(ids)
    assert row.state == DeliveryState.SENT
    assert fake.calls[-1] == "QuerySendDetails"
    assert len(fake.messages) == 1  # found at the provider: not sent twice


@pytest.mark.usefixtures("short_timeout")
def test_an_unanswered_send_the_provider_never_saw_is_sent_again(
    make: Any, fake: FakeAlibaba
) -> None:
    community = _community(make)
    ids = send_notice(community, [make.person()], "停水")
    dispatcher = _dispatcher(fake)
    fake.hang_next()  # read and never answered: nothing reached the provider
    dispatcher.deliver(ids)
    assert rows_of(ids)[0].uncertain
    dispatcher.deliver(ids, now=utcnow() + timedelta(minutes=10))
    assert rows_of(ids)[0].state == DeliveryState.SENT
    assert fake.calls[-3:] == ["QuerySendDetails", "QuerySendDetails", "SendSms"]
    assert len(fake.messages) == 1


def test_reports_set_states_and_replies_go_through_the_grammar(
    app: Flask, make: Any, fake: FakeAlibaba, monkeypatch: pytest.MonkeyPatch
) -> None:
    community = _community(make)
    person, failed = make.person(), make.person()
    ids = send_notice(community, [person, failed], "停水")
    _dispatcher(fake).deliver(ids)
    monkeypatch.setitem(app.config, "ALIBABA_PUSH_SECRET", SECRET)
    client = app.test_client()
    fake.report_url = f"http://localhost/webhooks/alibaba/{SECRET}/report"
    fake.up_url = f"http://localhost/webhooks/alibaba/{SECRET}/up"
    fake.fail_report(failed.phone[3:])
    answer = fake.push_reports(client)
    assert (
        answer is not None and answer.status == 200 and answer.json() == {"code": 0, "msg": "成功"}
    )
    assert fake.pending_reports() == 0
    first, second = rows_of(ids)
    assert first.state == DeliveryState.DELIVERED
    assert (second.state, second.error_code) == (DeliveryState.UNDELIVERED, "MK:0001")
    reply = fake.reply(person.phone[3:], "退订", client)
    assert reply.json() == {"code": 0, "msg": "成功"}
    db.session.expire_all()
    assert db.session.get(SmsOptOut, person.phone) is not None
    answer_row = db.session.scalar(select(Delivery).where(Delivery.batch_key.like("reply:%")))
    assert answer_row is not None and answer_row.kind == "sms_opted_out"
    assert answer_row.address == person.phone


def test_a_report_push_not_answered_code_0_is_pushed_again(
    app: Flask, make: Any, fake: FakeAlibaba, monkeypatch: pytest.MonkeyPatch
) -> None:
    community = _community(make)
    ids = send_notice(community, [make.person()], "停水")
    _dispatcher(fake).deliver(ids)
    fake.report_url = f"http://localhost/webhooks/alibaba/{SECRET}/report"
    # The secret is not configured yet: refused, so the service keeps the report.
    report_is_pushed_again_until_accepted(
        fake,
        app.test_client(),
        ids,
        lambda: monkeypatch.setitem(app.config, "ALIBABA_PUSH_SECRET", SECRET),
        {"code": 0, "msg": "成功"},
    )


def test_a_wish_by_reply_is_answered_through_the_outbox_with_its_template(
    app: Flask, make: Any, fake: FakeAlibaba, monkeypatch: pytest.MonkeyPatch
) -> None:
    community = _community(make)
    kind = templates.get("wish_posted_reply_first")
    fake.register("邻里", {"SMS_100003": mainland.provider_text(kind)})
    db.session.add(
        SmsTemplate(
            community_id=community.id, provider="alibaba", kind=kind.name, code="SMS_100003"
        )
    )
    db.session.commit()
    household = make.household(make.building(make.grid(community)))
    resident = make.resident(household, phone="+8613912340000")
    monkeypatch.setitem(app.config, "ALIBABA_PUSH_SECRET", SECRET)
    fake.up_url = f"http://localhost/webhooks/alibaba/{SECRET}/up"
    answer = fake.reply("13912340000", "心愿 帮忙修一下水龙头", app.test_client())
    assert answer.json() == {"code": 0, "msg": "成功"}
    db.session.expire_all()
    wish = db.session.scalar(select(Wish))
    assert wish is not None and wish.resident_id == resident.id
    reply = db.session.scalar(select(Delivery).where(Delivery.kind == kind.name))
    assert reply is not None and reply.address == resident.phone
    _dispatcher(fake).deliver([reply.id])
    (sent,) = fake.sent_to("13912340000")
    assert sent.template_code == "SMS_100003"
    assert sent.params == {"ref": wish.ref}
    assert sent.text == "【邻里】" + kind.zh.format(ref=wish.ref)


def test_the_fake_refuses_calls_beyond_the_account_rate(fake: FakeAlibaba) -> None:
    channel = AlibabaSms(AlibabaSettings(fake.access_key_id, fake.access_key_secret, fake.base_url))
    fake.rate_per_second = 1
    template = TemplateSms("notice", "SMS_100001", "邻里", {"text": "停水"})
    first, second = (
        channel.send_many([Outgoing(n, f"+861390000000{n}", "", 60, template=template)])[0]
        for n in (1, 2)
    )
    assert isinstance(first, Sent)
    assert isinstance(second, TransientFailure) and second.code == "Throttling.User"
    assert not second.uncertain


def test_a_push_without_the_secret_or_from_elsewhere_is_refused(
    app: Flask, make: Any, fake: FakeAlibaba, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "ALIBABA_PUSH_SECRET", SECRET)
    client = app.test_client()
    fake.report_url = "http://localhost/webhooks/alibaba/" + "x" * 40 + "/report"
    assert fake.push_reports(client) is None  # nothing pending yet
    body = b'[{"phone_number":"13900000000","content":"1","sequence_id":1}]'
    wrong = client.post("/webhooks/alibaba/" + "x" * 40 + "/up", data=body)
    assert wrong.status_code == 404
    monkeypatch.setitem(app.config, "ALIBABA_PUSH_ALLOWED_IPS", "203.0.113.0/24")
    elsewhere = client.post(f"/webhooks/alibaba/{SECRET}/up", data=body)
    assert elsewhere.status_code == 403
    allowed = client.post(
        f"/webhooks/alibaba/{SECRET}/up", data=body, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert allowed.status_code == 200
    bad = client.post(
        f"/webhooks/alibaba/{SECRET}/report",
        data=b"{not json",
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert bad.status_code == 400


def test_the_fake_refuses_a_wrong_signature(fake: FakeAlibaba) -> None:
    channel = AlibabaSms(AlibabaSettings("LTAI-test-key", "not-the-secret", fake.base_url))
    with pytest.raises(Exception, match="SignatureDoesNotMatch"):
        channel.client().send_sms(
            sms_models.SendSmsRequest(
                phone_numbers="13900000000", sign_name="邻里", template_code="SMS_100001"
            )
        )
    assert fake.messages == []


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ({"SMS_PROVIDER": "carrier-pigeon"}, "SMS_PROVIDER='carrier-pigeon' is not known"),
        ({"ALIBABA_PUSH_ALLOWED_IPS": "106.11.0.0/16, not-an-address"}, "ALIBABA_PUSH_ALLOWED_IPS"),
    ],
)
def test_bad_provider_settings_stop_the_start_with_a_reason(
    tmp_path: Path, setting: dict[str, str], words: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        config.load(tmp_path, {"LINLI_ENV": "development", **setting})


def test_a_community_on_a_provider_this_server_has_no_account_for_waits(make: Any) -> None:
    community = _community(make)
    ids = send_notice(community, [make.person()], "停水")
    Dispatcher({"SEND_CONCURRENCY": 1}, None).deliver(ids)
    (row,) = rows_of(ids)
    assert (row.state, row.error_code) == (DeliveryState.DEFERRED, "provider_unconfigured")
    assert row.error_reason == "The community's SMS provider is not set up on the server."


def test_a_message_relayed_through_a_household_contact_goes_by_its_own_template(
    make: Any, fake: FakeAlibaba
) -> None:
    community = _community(make)
    relayed = mainland.relayed(templates.get("notice"))
    assert mainland.provider_text(relayed) == "请转告${relay_for}：${text}"
    fake.register("邻里", {"SMS_100009": mainland.provider_text(relayed)})
    household = make.household(
        make.building(make.grid(community)), contact_name="儿子", contact_phone="+8613977778888"
    )
    grandma = make.resident(household, name="王秀英", phone=None)
    first = send_notice(community, [grandma], "明天上午9点停水", "n:r1")
    _dispatcher(fake).deliver(first)
    (refused,) = rows_of(first)  # its relayed form has no code yet: refused, never free text
    assert (refused.state, refused.error_code) == (DeliveryState.FAILED, "relay_template")
    assert fake.requests_seen == 0
    db.session.add(
        SmsTemplate(
            community_id=community.id, provider="alibaba", kind=relayed.name, code="SMS_100009"
        )
    )
    db.session.commit()
    ids = send_notice(community, [grandma], "明天上午9点停水", "n:r2")
    _dispatcher(fake).deliver(ids)
    (row,) = rows_of(ids)
    assert row.state == DeliveryState.SENT
    (sent,) = fake.sent_to("13977778888")
    assert sent.template_code == "SMS_100009"
    assert sent.params == {"relay_for": "王秀英", "text": "明天上午9点停水"}
    assert sent.text == "【邻里】请转告王秀英：明天上午9点停水" == row.body
