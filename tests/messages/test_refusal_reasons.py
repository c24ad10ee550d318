"""Refusals before sending, read in Chinese: the kind by its title on every screen."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Delivery, DeliveryState, SmsTemplate, db
from notify import Message, send_later
from notify.dispatch import Dispatcher
from services.messages import reasons
from tests.support import sign_in


@pytest.fixture
def zh(client: FlaskClient) -> FlaskClient:
    client.set_cookie("linli_lang", "zh")
    return client


def _refused(make: Any, kind: str, params: dict[str, Any], **resident: Any) -> Any:
    """Send one message of `kind` in a community on Alibaba Cloud; return the refused row."""
    community = make.community(sms_provider="alibaba", sms_signature="【新丰路社区】")
    household = make.household(
        make.building(make.grid(community)), contact_name="儿子", contact_phone="+8613977778888"
    )
    to = make.resident(household, **resident)
    ids = send_later(
        Message(kind, params, batch_key=f"r:{kind}", urgent=True, community_id=community.id), [to]
    )
    db.session.commit()
    # No Alibaba account on this server: the template check refuses before any provider.
    Dispatcher({"SEND_CONCURRENCY": 1}, None).deliver(ids)
    db.session.expire_all()
    row = db.session.get(Delivery, ids[0])
    assert row is not None and row.state == DeliveryState.FAILED
    return community, row


def _outbox(client: FlaskClient, make: Any, community: Any) -> str:
    secretary = make.person()
    make.post(secretary, "secretary", community=community)
    sign_in(client, secretary.phone)
    page = client.get(f"/secretary/outbox?community={community.id}&state=failed")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_a_kind_without_a_template_is_named_by_its_chinese_title(
    zh: FlaskClient, make: Any
) -> None:
    community, row = _refused(
        make, "need_solved", {"need": "楼道灯不亮", "answer": "已修好"}, phone="+8613911110000"
    )
    assert row.error_code == "no_template"
    html = _outbox(zh, make, community)
    assert "“需求已解决”没有审核通过的模板：请在短信模板页填写其模板编号。" in html
    assert "need_solved" not in html and "no approved template" not in html
    simulator = zh.get("/dev/phones/+8613911110000").get_data(as_text=True)
    assert "“需求已解决”没有审核通过的模板" in simulator and "未发送" in simulator
    assert "need_solved" not in simulator


def test_a_relayed_message_without_its_template_says_so_in_chinese(
    zh: FlaskClient, make: Any
) -> None:
    community, row = _refused(make, "notice", {"text": "明天停水"}, name="王奶奶", phone=None)
    assert (row.error_code, row.address) == ("relay_template", "+8613977778888")
    html = _outbox(zh, make, community)
    assert "经家庭联系人转告的“通知”（请转告…）没有审核通过的模板" in html
    assert "relay_template" not in html and "notice" not in html.split("<main", 1)[-1]


def test_a_parameter_refused_names_the_kind_not_the_parameter(zh: FlaskClient, make: Any) -> None:
    community = make.community(sms_provider="alibaba")
    db.session.add(
        SmsTemplate(community_id=community.id, provider="alibaba", kind="notice", code="SMS_100001")
    )
    db.session.commit()
    person = make.person()
    ids = send_later(
        Message(
            "notice", {"text": "很" * 36}, batch_key="p:1", urgent=True, community_id=community.id
        ),
        [person],
    )
    db.session.commit()
    Dispatcher({"SEND_CONCURRENCY": 1}, None).deliver(ids)
    db.session.expire_all()
    row = db.session.scalar(select(Delivery).where(Delivery.id == ids[0]))
    assert row is not None and row.error_code == "param_too_long"
    html = _outbox(zh, make, community)
    assert "“通知”：有一个变量超过短信服务商允许的35个字。" in html


def test_other_reasons_are_translated_as_stored(app: Any) -> None:
    with app.test_request_context(headers={"Cookie": "linli_lang=zh"}):
        shown = reasons.shown("isv.MOBILE_NUMBER_ILLEGAL", "The phone number is not valid.", "x")
        assert shown != "The phone number is not valid." and shown
        template = reasons.shown("FailedOperation.TemplateIncorrectOrUnapproved", "", "notice")
        assert template.startswith("“通知”：")
