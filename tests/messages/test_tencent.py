"""Tencent Cloud SMS through the official SDK against the fake: TC3 signing, codes, checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from models import Delivery, DeliveryState, SmsTemplate, db
from notify.channels import Outgoing, PermanentFailure, Sent, TransientFailure
from notify.channels.base import TemplateSms
from notify.channels.tencent.sending import TencentSettings, TencentSms
from notify.dispatch import Dispatcher
from notify.message import Message
from notify.outbox import send_later
from tests.fakes.tencent import FakeTencent

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
    assert isinstance(results[0], Sent) and results[0].provider_id == "1-3@+8613900000001"


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
