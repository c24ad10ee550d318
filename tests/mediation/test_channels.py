"""Mediation by SMS alone, through the fake Twilio (the provider's webhook both ways), and the
same grammar on Telegram through the fake Bot API."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import CaseStatus, MediationCase, MediationEvent, MediationParty, db, utcnow
from pwa import auth
from services.mediation import operations, queries
from services.mediation.operations import PartyChoice
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.mediation.test_mediation import World
from tests.messages.test_telegram import _link, _send, fake  # noqa: F401
from tests.needs.test_referrals import FROM, PUBLIC, twilio  # noqa: F401
from tests.support import run_jobs

WEBHOOK = PUBLIC + "/webhooks/twilio/sms"


def _case(w: World) -> MediationCase:
    case = operations.open_case(
        queries.reach_of(w.mediator, auth.today()),
        by=w.mediator,
        parties=[PartyChoice(w.h501.id, w.wang.id), PartyChoice(w.h601.id, w.li.id)],
        category="neighbour",
        source="visit",
        summary="两家因楼道堆物争吵",
        now=utcnow(),
    )
    db.session.commit()
    return case


def test_the_whole_path_by_sms_through_twilio(
    app: Flask,
    client: FlaskClient,
    make: Any,
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    twilio.app_client = client
    w = World(make)
    case = _case(w)

    def text(phone: str, body: str, count: int) -> str:
        """Send an SMS through the provider's webhook; return the answer it got by SMS."""
        assert twilio.send_inbound_sms(WEBHOOK, phone, FROM, body).status == 200
        run_jobs(app)
        sent = twilio.wait_for(count)
        return str(next(m["body"] for m in reversed(sent) if m["to"] == phone))

    listing = text(w.mediator.phone, "调解", 1)
    assert f"{case.ref} 王/李 邻里纠纷 待调解" in listing and "建国" not in listing
    refused = text(w.mediator.phone, f"调解 {case.ref} 已达成", 2)
    assert "请填写协议内容" in refused
    done = text(w.mediator.phone, f"调解 {case.ref} 已达成 楼道杂物本周清走", 5)
    assert f"已记录：调解{case.ref}已达成协议" in done
    # Both parties were asked, and the question names nothing of the dispute.
    sent = twilio.wait_for(5)
    asked = {m["to"]: m["body"] for m in sent if "回复数字1-5" in m["body"]}
    assert set(asked) == {w.wang.phone, w.h601.contact_phone}
    assert all("楼道" not in body and "王" not in body for body in asked.values())
    thanks = text(w.wang.phone, "5", 6)
    assert "谢谢您的回复（5分）" in thanks
    db.session.expire_all()
    case = db.session.get(MediationCase, case.id)
    assert case is not None and case.status == CaseStatus.CONCLUDED
    wang = db.session.scalar(select(MediationParty).where(MediationParty.resident_id == w.wang.id))
    assert wang is not None and wang.rating == 5
    vias = {
        e.action: e.via
        for e in db.session.scalars(select(MediationEvent).where(MediationEvent.case_id == case.id))
    }
    assert vias["outcome"] == "sms" and vias["rated"] == "sms"
    # A case that does not exist, or is not theirs, gets the same answer.
    assert "没有找到" in text(w.other_mediator.phone, f"调解 {case.ref} 结案", 7)


def test_the_same_grammar_on_telegram(fake: FakeTelegram, make: Any) -> None:  # noqa: F811
    w = World(make)
    case = _case(w)
    _link(fake, w.mediator, 8801)
    _send(fake, fake.text_update(8801, 8801, "调解"))
    listing = fake.wait_for(2, chat_id=8801)[-1]["text"]
    assert f"{case.ref} 王/李 邻里纠纷 待调解" in listing
    _send(fake, fake.text_update(8801, 8801, f"调解 {case.ref} 转派出所"))
    answer = fake.wait_for(3, chat_id=8801)[-1]["text"]
    assert f"调解{case.ref}已转派出所" in answer
    db.session.expire_all()
    found = db.session.get(MediationCase, case.id)
    assert found is not None and found.outcome == "police"
    event = db.session.scalar(select(MediationEvent).where(MediationEvent.action == "outcome"))
    assert event is not None and event.via == "telegram" and event.person_id == w.mediator.id
