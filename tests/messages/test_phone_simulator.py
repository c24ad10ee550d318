"""The phone simulator: each phone's conversation, and texts from any phone to the app."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Delivery, DevInboxMessage, InboundMessage, SmsOptOut, SmsTemplate, db
from notify import Message, send_later
from pwa import create_app
from tests.support import RedisServer, run_jobs

PHONE = "+8613912345678"


@pytest.fixture
def en(client: FlaskClient, ctx: None) -> FlaskClient:
    client.set_cookie("linli_lang", "en")
    return client


def _bodies(html: str) -> list[str]:
    return re.findall(r'<span class="sms-body">(.*?)</span>', html, re.S)


def _count(model: Any) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_conversation_shows_both_directions_in_time_order(
    app: Flask, en: FlaskClient, make: Any
) -> None:
    send_later(Message("notice", {"text": "周六义诊"}, batch_key="sim:1", urgent=True), to=[PHONE])
    db.session.commit()
    run_jobs(app)

    listing = en.get("/dev/phones").get_data(as_text=True)
    assert f'data-phone="{PHONE}"' in listing and "周六义诊" in listing

    response = en.post(f"/dev/phones/{PHONE}", data={"text": "你好，楼道灯坏了"})
    assert response.status_code == 302 and response.headers["Location"].endswith(PHONE)
    # The reply leaves through the outbox like any SMS: the worker puts it in the phone.
    assert "没有看懂" not in en.get(f"/dev/phones/{PHONE}").get_data(as_text=True)
    run_jobs(app)
    html = en.get(f"/dev/phones/{PHONE}").get_data(as_text=True)
    bodies = _bodies(html)
    assert bodies[0] == "【邻里】周六义诊"
    assert bodies[1] == "你好，楼道灯坏了"
    # An unknown number gets one helpful reply, signed, shown after the text it answers.
    assert bodies[2].startswith("【邻里】没有看懂您的短信")
    assert len(bodies) == 3
    assert html.index("chat-to-phone") < html.index("chat-from-phone")
    # The text went through the real inbound handling: kept for staff like any other.
    row = db.session.scalar(select(InboundMessage))
    assert row.channel == "sms" and row.from_address == PHONE and row.provider_id.startswith("DEV")
    assert row.outcome == "unknown"
    # The phone list now shows the reply as the newest message.
    listing = en.get("/dev/phones").get_data(as_text=True)
    assert "没有看懂" in listing


def test_stop_from_the_simulator_opts_out_and_shows_the_reply(
    app: Flask, en: FlaskClient, make: Any
) -> None:
    c = make.community(sms_signature="【新丰路社区】")
    person = make.person()
    make.post(person, "patroller", community=c)
    en.post(f"/dev/phones/{person.phone}", data={"text": "ｓｔｏｐ"})
    run_jobs(app)
    db.session.expire_all()
    assert db.session.get(SmsOptOut, person.phone) is not None
    html = en.get(f"/dev/phones/{person.phone}").get_data(as_text=True)
    assert _bodies(html) == ["ｓｔｏｐ", "【新丰路社区】您已退订社区短信通知。回复“订阅”可恢复。"]
    # What Linli made of the text, in words, never its codes ("stop · handled").
    assert "Understood and answered" in html and "handled" not in html
    zh = app.test_client().get(f"/dev/phones/{person.phone}", headers={"Accept-Language": "zh"})
    assert "· 已识别并答复" in zh.get_data(as_text=True)
    en.post(f"/dev/phones/{person.phone}", data={"text": "订阅"})
    db.session.expire_all()
    assert db.session.get(SmsOptOut, person.phone) is None


def test_the_simulator_shows_the_provider_and_template_that_carried_each_message(
    app: Flask, en: FlaskClient, make: Any
) -> None:
    # A community on Alibaba Cloud with no account configured (development): the simulator
    # stands in for it, and only kinds with an approved template reach the phone.
    c = make.community(sms_signature="【新丰路社区】", sms_provider="alibaba")
    db.session.add(
        SmsTemplate(community_id=c.id, provider="alibaba", kind="notice", code="SMS_100001")
    )
    db.session.commit()
    send_later(
        Message("notice", {"text": "周六义诊"}, batch_key="sim:a", urgent=True, community_id=c.id),
        to=[PHONE],
    )
    send_later(
        Message("urgent_notice", {"text": "停水"}, batch_key="sim:b", community_id=c.id), to=[PHONE]
    )
    db.session.commit()
    run_jobs(app)
    html = en.get(f"/dev/phones/{PHONE}").get_data(as_text=True)
    # What reached the phone, and what was refused before sending, saying why (by its title).
    assert sorted(_bodies(html)) == [
        "No approved template for “Urgent notice”: enter its code on the SMS templates page.",
        "【新丰路社区】周六义诊",
    ]
    assert "Alibaba Cloud SMS, template SMS_100001" in html
    assert "not sent" in html and "urgent_notice" not in html
    refused = db.session.scalar(select(Delivery).where(Delivery.kind == "urgent_notice"))
    assert (
        refused.state == "failed"
        and refused.error_reason == "no approved template for urgent_notice"
    )


def test_a_phone_typed_in_any_form_is_normalised(app: Flask, en: FlaskClient) -> None:
    response = en.get("/dev/phones", query_string={"phone": "139 1234 5678"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{PHONE}")
    response = en.get("/dev/phones/13912345678")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{PHONE}")
    en.post("/dev/phones/１３９１２３４５６７８", data={"text": "帮助"})
    run_jobs(app)
    row = db.session.scalar(select(InboundMessage))
    assert row.from_address == PHONE
    assert db.session.scalar(select(DevInboxMessage.phone)) == PHONE


def test_bad_input_is_refused_and_changes_nothing(en: FlaskClient) -> None:
    for bad in ("abc", "12345"):
        response = en.get(f"/dev/phones/{bad}")
        assert response.status_code == 400
        assert 'role="alert"' in response.get_data(as_text=True)
        response = en.post(f"/dev/phones/{bad}", data={"text": "帮助"})
        assert response.status_code == 400 and "phone number" in response.get_data(as_text=True)
    response = en.get("/dev/phones", query_string={"phone": "not a phone"})
    assert response.status_code == 400 and "is not a phone number" in response.get_data(
        as_text=True
    )
    for text in ("", "   \n "):
        response = en.post(f"/dev/phones/{PHONE}", data={"text": text})
        assert response.status_code == 422
        assert "Please write a text to send." in response.get_data(as_text=True)
    response = en.post(f"/dev/phones/{PHONE}", data={"text": "中" * 1601})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "too long: at most 1600 characters" in html
    # What was typed stays in the box, to be shortened.
    assert "中" * 1601 in html
    assert _count(InboundMessage) == 0 and _count(DevInboxMessage) == 0
    # The longest allowed text goes through.
    assert en.post(f"/dev/phones/{PHONE}", data={"text": "中" * 1600}).status_code == 302
    assert _count(InboundMessage) == 1


def test_a_missing_or_blank_text_is_refused_in_the_chosen_language(
    client: FlaskClient, ctx: None
) -> None:
    response = client.post(f"/dev/phones/{PHONE}", data={})
    assert response.status_code == 422 and "请填写要发送的内容。" in response.get_data(as_text=True)
    # A full-width space (a Chinese keyboard's) is blank too.
    response = client.post(f"/dev/phones/{PHONE}", data={"text": "\u3000"})
    assert response.status_code == 422 and 'role="alert"' in response.get_data(as_text=True)
    assert _count(InboundMessage) == 0 and _count(DevInboxMessage) == 0


def test_live_segment_count_under_the_message_box(en: FlaskClient) -> None:
    html = en.get(f"/dev/phones/{PHONE}").get_data(as_text=True)
    assert 'hx-get="/dev/segments"' in html and 'hx-trigger="input changed delay:200ms"' in html
    assert 'hx-target="#sim-count"' in html and 'id="sim-count"' in html
    assert "0 characters · 0 SMS (GSM-7)" in html
    response = en.get("/dev/segments", query_string={"text": "中" * 71})
    assert response.get_data(as_text=True).strip() == "71 characters · 2 SMS (UCS-2) · ¥0.09"
    response = en.get("/dev/segments", query_string={"text": "STOP"})
    assert response.get_data(as_text=True).strip() == "4 characters · 1 SMS (GSM-7) · ¥0.045"


def test_the_inbox_still_lists_and_filters(app: Flask, en: FlaskClient) -> None:
    other = "+8613800001111"
    send_later(
        Message("notice", {"text": "验证一下"}, batch_key="sim:2", urgent=True), to=[PHONE, other]
    )
    db.session.commit()
    run_jobs(app)
    html = en.get("/dev/inbox", query_string={"phone": "13912345678"}).get_data(as_text=True)
    assert _bodies(html) == ["【邻里】验证一下"]
    assert f'href="/dev/phones/{PHONE}"' in html
    assert len(_bodies(en.get("/dev/inbox").get_data(as_text=True))) == 2


@pytest.fixture
def production_app(app: Flask, redis_server: RedisServer) -> Flask:
    prod = create_app(
        {
            "LINLI_ENV": "production",
            "SECRET_KEY": "a-production-secret",
            "PUBLIC_BASE_URL": "https://linli.example.cn",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": redis_server.url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    prod.config["TESTING"] = True
    return prod


def test_never_reachable_in_production(production_app: Flask, ctx: None) -> None:
    client = production_app.test_client()
    for url in ("/dev/inbox", "/dev/phones", f"/dev/phones/{PHONE}", "/dev/segments?text=x"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/dev/phones/{PHONE}", data={"text": "STOP"}).status_code == 404
    assert _count(InboundMessage) == 0 and _count(SmsOptOut) == 0
