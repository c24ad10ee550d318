"""A need referred to a partner unit: its contact gets the need by SMS (through the fake
Twilio) and answers by an SMS reply or on the page its link opens; the answer reaches the
resident and shows on the need. Bad input, other phones and spent links are refused."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import tasks.deliveries
from models import (
    AuditEntry,
    Delivery,
    Need,
    NeedEvent,
    NeedReferral,
    NeedStatus,
    PartnerUnit,
    db,
    utcnow,
)
from notify import inbound
from pwa import auth
from services.errors import InvalidInput
from services.needs import operations as needs
from services.needs import referrals
from tests.fakes.twilio import FakeTwilio
from tests.support import run_jobs
from tests.visits.test_visits import Place, build_place, sign_in_en

CONTACT = "+8613900007777"
FROM = "+15005550006"
TOKEN = "test-auth-token"
PUBLIC = "https://linli.example.org"
_ids = itertools.count(1)


@pytest.fixture
def place(make: Any) -> Place:
    built = build_place(make)
    # No quiet hours: what is sent must not wait for the morning, whenever the test runs.
    built.community.quiet_from = built.community.quiet_until = time(0, 0)
    db.session.commit()
    return built


@pytest.fixture
def unit(place: Place) -> PartnerUnit:
    found = PartnerUnit(
        community_id=place.community.id,
        name="区供电局",
        contact_name="李工",
        contact_phone=CONTACT,
    )
    db.session.add(found)
    db.session.commit()
    return found


@pytest.fixture
def resident(make: Any, place: Place) -> Any:
    return make.resident(place.h601, name="周叔", phone=make.phone(), sms_consent=True)


@pytest.fixture
def twilio(app: Flask) -> Iterator[FakeTwilio]:
    """Send through the fake Twilio, as production does through the real one."""

    def forget_dispatcher() -> None:
        if tasks.deliveries._dispatcher is not None:
            tasks.deliveries._dispatcher.pool.shutdown()
            tasks.deliveries._dispatcher = None

    with FakeTwilio(auth_token=TOKEN) as fake:
        app.config.update(
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=TOKEN,
            TWILIO_FROM_NUMBER=FROM,
            TWILIO_API_BASE_URL=fake.base_url,
            PUBLIC_BASE_URL=PUBLIC,
        )
        forget_dispatcher()
        try:
            yield fake
        finally:
            app.config.update(
                TWILIO_ACCOUNT_SID=None,
                TWILIO_AUTH_TOKEN=None,
                TWILIO_FROM_NUMBER=None,
                TWILIO_API_BASE_URL=None,
                PUBLIC_BASE_URL="http://127.0.0.1:8000",
            )
            forget_dispatcher()


def _need(place: Place, resident: Any, text: str = "楼道电表箱冒烟") -> Need:
    need = needs.raise_need(
        community_id=place.community.id,
        household=place.h601,
        source="resident",
        by=None,
        category="safety",
        text=text,
        resident_id=resident.id,
        now=utcnow(),
    )
    db.session.commit()
    return need


def _refer(place: Place, need: Need, unit: PartnerUnit) -> None:
    needs.decide(
        need,
        by=place.leader,
        decision="referred",
        partner_unit_id=unit.id,
        answer="已联系供电局",
        today=auth.today(),
        now=utcnow(),
    )
    db.session.commit()


def _sms(phone: str, text: str) -> str:
    handled = inbound.handle(
        channel="sms",
        provider_id=f"REF{next(_ids)}",
        address=phone,
        phone=phone,
        text=text,
        now=utcnow(),
    )
    db.session.commit()
    return handled.reply or ""


def _token(need: Need) -> str:
    """Make a fresh link for the need's referral, as the SMS carries (the stored hash only)."""
    referral = referrals.latest(need)
    assert referral is not None
    token = f"test-{referral.id}-token-0123456789"
    referral.token_hash = referrals.digest(token)
    db.session.commit()
    return token


def test_the_contact_gets_a_link_and_answers_by_sms_through_twilio(
    app: Flask, client: FlaskClient, place: Place, unit: PartnerUnit, resident: Any, twilio: Any
) -> None:
    twilio.app_client = client
    need = _need(place, resident)
    _refer(place, need, unit)
    db.session.refresh(need)
    assert need.status == NeedStatus.IN_HAND and need.partner_unit_id == unit.id
    run_jobs(app)
    sent = twilio.wait_for(2)
    to_contact = next(m for m in sent if m["to"] == CONTACT)
    assert f"社区转办需求{need.ref}" in to_contact["body"]
    assert f"答复 {need.ref}" in to_contact["body"] and "3号楼 2单元601" in to_contact["body"]
    link = re.search(r"https://linli\.example\.org/p/([A-Za-z0-9_-]{20,})", to_contact["body"])
    assert link is not None
    # Only the token's hash is kept; the sent text is wiped once it has gone (it holds the key).
    referral = db.session.scalar(select(NeedReferral))
    assert referral is not None and referral.token_hash == referrals.digest(link.group(1))
    db.session.expire_all()
    wiped = db.session.scalar(select(Delivery).where(Delivery.kind == "need_to_partner"))
    assert wiped is not None and wiped.params == {} and wiped.body == ""
    assert any(m["to"] == resident.phone and "区供电局" in m["body"] for m in sent)

    # The contact replies by SMS, through the provider's webhook.
    answer = twilio.send_inbound_sms(
        PUBLIC + "/webhooks/twilio/sms", CONTACT, FROM, f"答复 {need.ref} 已安排明早检修"
    )
    assert answer.status == 200
    run_jobs(app)
    more = twilio.wait_for(4)[2:]
    assert any(m["to"] == CONTACT and "已转告居民" in m["body"] for m in more)
    told = next(m for m in more if m["to"] == resident.phone)
    assert "区供电局答复：已安排明早检修" in told["body"]
    db.session.expire_all()
    need = db.session.get(Need, need.id)
    assert need.status == NeedStatus.ANSWERED and need.answer == "已安排明早检修"
    referral = db.session.scalar(select(NeedReferral))
    assert referral.answered_via == "sms" and referral.answered_at is not None
    actions = [e.action for e in db.session.scalars(select(NeedEvent).order_by(NeedEvent.id))]
    assert actions == ["raised", "referred", "partner_answered", "answered"]


def test_sms_answers_from_another_phone_twice_or_empty(
    client: FlaskClient, place: Place, unit: PartnerUnit, resident: Any, make: Any
) -> None:
    need = _need(place, resident)
    _refer(place, need, unit)
    sign_in_en(client, place.leader.phone)
    waiting = client.get("/needs?status=in_hand").get_data(as_text=True)
    assert "区供电局 · waiting for its answer" in waiting
    stranger = make.phone()
    assert "未找到转给您的需求" in _sms(stranger, f"答复 {need.ref} 已修好")
    assert "未找到转给您的需求" in _sms(CONTACT, "答复 N999999 已修好")
    assert "请在编号后写上办理情况" in _sms(CONTACT, f"答复 {need.ref}")
    db.session.refresh(need)
    assert need.status == NeedStatus.IN_HAND and need.answer == ""
    # Full-width and English forms work; the answer is kept as typed (not upper-cased).
    assert "已转告居民" in _sms(CONTACT, f"ＡＮＳＷＥＲ　{need.ref} Fixed the fuse box")
    db.session.refresh(need)
    assert need.status == NeedStatus.ANSWERED and need.answer == "Fixed the fuse box"
    assert "已经答复过了" in _sms(CONTACT, f"答复 {need.ref} 再说一次")
    db.session.refresh(need)
    assert need.answer == "Fixed the fuse box"
    told = db.session.scalars(select(Delivery).where(Delivery.kind == "need_partner_answer")).all()
    assert len(told) == 1 and told[0].resident_id == resident.id
    # The answer shows on the need.
    page = client.get("/needs?status=answered").get_data(as_text=True)
    assert "Fixed the fuse box" in page


def test_the_contact_answers_on_the_page_of_the_link(
    app: Flask, place: Place, unit: PartnerUnit, resident: Any
) -> None:
    need = _need(place, resident)
    _refer(place, need, unit)
    token = _token(need)
    visitor = app.test_client()  # nobody signed in
    visitor.set_cookie("linli_lang", "en")
    page = visitor.get(f"/p/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "楼道电表箱冒烟" in html
    assert resident.phone in html and "周叔" in html  # whom to call
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # The read of the resident's details is on the audit trail, as the link's.
    db.session.expire_all()
    read = db.session.scalar(select(AuditEntry).where(AuditEntry.role == "link"))
    assert read is not None and read.actor_id is None
    assert f" resident:{resident.id} " in read.records
    assert "区供电局" in read.detail

    empty = visitor.post(f"/p/{token}", data={"answer": "  "})
    assert empty.status_code == 422 and "Write what was done" in empty.get_data(as_text=True)
    long = visitor.post(f"/p/{token}", data={"answer": "长" * 400})
    assert long.status_code == 422 and "under 300" in long.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Need, need.id).status == NeedStatus.IN_HAND

    done = visitor.post(f"/p/{token}", data={"answer": "已更换电表箱"})
    assert done.status_code == 302
    after = visitor.get(done.headers["Location"]).get_data(as_text=True)
    assert "your answer is passed to the resident" in after and "已更换电表箱" in after
    assert 'name="answer"' not in after  # answered once
    again = visitor.post(f"/p/{token}", data={"answer": "又来"})
    assert again.status_code == 422 and "already been answered" in again.get_data(as_text=True)
    db.session.expire_all()
    need = db.session.get(Need, need.id)
    assert need.status == NeedStatus.ANSWERED and need.answer == "已更换电表箱"
    told = db.session.scalars(select(Delivery).where(Delivery.kind == "need_partner_answer")).all()
    assert len(told) == 1 and told[0].params["answer"] == "已更换电表箱"


def test_unknown_or_expired_links_open_nothing(
    app: Flask, place: Place, unit: PartnerUnit, resident: Any
) -> None:
    need = _need(place, resident)
    _refer(place, need, unit)
    token = _token(need)
    visitor = app.test_client()
    assert visitor.get("/p/not-a-token-at-all").status_code == 404
    assert visitor.post("/p/not-a-token-at-all", data={"answer": "x"}).status_code == 404
    assert visitor.get("/p/" + "x" * 300).status_code == 404
    referral = referrals.latest(need)
    assert referral is not None
    # The link's life is a setting (14 days unless changed).
    assert referral.expires_at - referral.sent_at == timedelta(days=referrals.DEFAULT_LINK_DAYS)
    referral.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert visitor.get(f"/p/{token}").status_code == 404
    assert visitor.post(f"/p/{token}", data={"answer": "已修好"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Need, need.id).status == NeedStatus.IN_HAND


def test_a_unit_without_a_contact_phone_is_refused(
    client: FlaskClient, place: Place, resident: Any
) -> None:
    silent = PartnerUnit(community_id=place.community.id, name="某物业公司")
    db.session.add(silent)
    db.session.commit()
    need = _need(place, resident)
    with pytest.raises(InvalidInput):
        needs.decide(
            need,
            by=place.leader,
            decision="referred",
            partner_unit_id=silent.id,
            today=auth.today(),
            now=utcnow(),
        )
    db.session.rollback()
    sign_in_en(client, place.leader.phone)
    response = client.post(
        f"/needs/{need.id}/decide",
        data={"decision": "referred", "partner_unit_id": str(silent.id)},
    )
    assert response.status_code == 422
    assert "has no contact phone" in response.get_data(as_text=True)
    db.session.rollback()
    need = db.session.get(Need, need.id)
    assert need.status == NeedStatus.OPEN and need.decision is None
    assert db.session.scalar(select(func.count(NeedReferral.id))) == 0
    sent = select(func.count(Delivery.id)).where(Delivery.kind.startswith("need_"))
    assert db.session.scalar(sent) == 0


def test_deciding_says_what_happened(
    client: FlaskClient, place: Place, unit: PartnerUnit, resident: Any
) -> None:
    need = _need(place, resident)
    sign_in_en(client, place.leader.phone)
    response = client.post(
        f"/needs/{need.id}/decide",
        data={"decision": "referred", "partner_unit_id": str(unit.id)},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{need.ref} referred: its partner unit" in page
