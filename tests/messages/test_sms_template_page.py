"""The secretary's SMS template page: each kind in Alibaba's ${name} form, codes recorded."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Community, SmsTemplate, db
from tests.support import sign_in

URL = "/secretary/outbox/templates"


@pytest.fixture
def world(client: FlaskClient, make: Any) -> SimpleNamespace:
    c = make.community(sms_signature="【新丰路社区】")
    secretary = make.person(name="李书记")
    make.post(secretary, "secretary", community=c)
    sign_in(client, secretary.phone)
    return SimpleNamespace(c=c, secretary=secretary)


def _codes(community_id: int) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.scalars(select(SmsTemplate).where(SmsTemplate.community_id == community_id))
    return {r.kind: r.code for r in rows}


def test_each_kind_is_shown_in_the_providers_form_with_the_sign_name(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    page = client.get(URL).get_data(as_text=True)
    assert "您的登录验证码是${code}，${minutes}分钟内有效。请勿告诉他人。" in page
    assert (
        "新丰路社区" in page
        and "【新丰路社区】" not in page.split("<main", 1)[-1].split("sms-body")[0]
    )
    assert page.count('id="kind-') >= 8
    assert "阿里云短信" in page  # Chinese on a Chinese screen


def test_an_approved_code_is_recorded_and_replaced(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    saved = client.post(URL, data={"kind": "notice", "code": " SMS_123456789 "})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#kind-notice")
    assert _codes(world.c.id) == {"notice": "SMS_123456789"}
    client.post(URL, data={"kind": "notice", "code": "SMS_987654321"})
    assert _codes(world.c.id) == {"notice": "SMS_987654321"}
    assert "SMS_987654321" in client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"kind": "no_such_kind", "code": "SMS_123456789"}, "no_such_kind"),
        ({"kind": "notice", "code": "  "}, "SMS_"),
        ({"kind": "notice", "code": "12345"}, "12345"),
        ({"kind": "notice", "code": "SMS_12<b>"}, "SMS_12&lt;b&gt;"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_keeps_what_was_typed(
    client: FlaskClient, world: SimpleNamespace, data: dict[str, str], words: str
) -> None:
    client.set_cookie("linli_lang", "en")
    answer = client.post(URL, data=data)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'role="alert"' in page and words in page
    assert _codes(world.c.id) == {}


def test_the_community_chooses_its_provider(client: FlaskClient, world: SimpleNamespace) -> None:
    assert (
        client.post("/secretary/outbox/provider", data={"provider": "alibaba"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Community, world.c.id).sms_provider == "alibaba"
    refused = client.post("/secretary/outbox/provider", data={"provider": "carrier-pigeon"})
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(Community, world.c.id).sms_provider == "alibaba"


def test_a_building_head_has_no_template_page(client: FlaskClient, make: Any) -> None:
    c = make.community()
    head = make.person()
    make.post(head, "building_head", community=c, building=make.building(make.grid(c)))
    sign_in(client, head.phone)
    assert client.get(URL).status_code == 404
    assert client.post(URL, data={"kind": "notice", "code": "SMS_123456789"}).status_code == 404
    assert _codes(c.id) == {}


def test_tencent_templates_are_shown_numbered_and_take_numeric_codes(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    page = client.get(URL, query_string={"provider": "tencent"}).get_data(as_text=True)
    assert "您的登录验证码是{1}，{2}分钟内有效。请勿告诉他人。" in page
    assert "腾讯云短信" in page
    saved = client.post(URL, data={"kind": "notice", "code": "1234567", "provider": "tencent"})
    assert saved.status_code == 302
    rows = db.session.scalars(select(SmsTemplate).where(SmsTemplate.community_id == world.c.id))
    assert [(r.provider, r.kind, r.code) for r in rows] == [("tencent", "notice", "1234567")]
    refused = client.post(
        URL, data={"kind": "notice", "code": "SMS_123456789", "provider": "tencent"}
    )
    assert refused.status_code == 422


def test_each_kinds_relayed_form_is_shown_and_takes_its_own_code(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    page = client.get(URL).get_data(as_text=True)
    assert 'id="kind-relay:notice"' in page
    assert "请转告${relay_for}：${text}" in page
    assert "通知（转告：请转告…）" in page  # its title, in Chinese
    assert 'id="kind-relay:sign_in_code"' not in page  # a secret is never relayed
    saved = client.post(URL, data={"kind": "relay:notice", "code": "SMS_123456780"})
    assert saved.status_code == 302
    assert _codes(world.c.id) == {"relay:notice": "SMS_123456780"}
    refused = client.post(URL, data={"kind": "relay:sign_in_code", "code": "SMS_123456781"})
    assert refused.status_code == 422
    assert _codes(world.c.id) == {"relay:notice": "SMS_123456780"}
