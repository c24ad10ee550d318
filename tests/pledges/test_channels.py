"""The quarter's rating by SMS alone, through the fake Twilio (the provider's webhook both
ways), and once on Telegram through the fake Bot API."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    Delivery,
    DeliveryState,
    PledgeEvent,
    PledgeRating,
    SmsOptOut,
    db,
    utcnow,
)
from pwa import auth
from services.pledges import operations, queries
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.messages.test_telegram import _link, _send, fake  # noqa: F401
from tests.needs.test_referrals import FROM, PUBLIC, twilio  # noqa: F401
from tests.pledges.world import Q3, World
from tests.support import run_jobs

WEBHOOK = PUBLIC + "/webhooks/twilio/sms"


def _open(w: World) -> None:
    operations.open_round(w.community, Q3, by=w.secretary, now=utcnow(), today=auth.today())
    db.session.commit()


def test_invite_reply_four_counted_by_sms_through_twilio(
    app: Flask,
    client: FlaskClient,
    make: Any,
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    twilio.app_client = client
    w = World(make)
    _open(w)
    run_jobs(app)
    sent = twilio.wait_for(3)
    asked = {m["to"]: m["body"] for m in sent}
    assert set(asked) == {"+8613900001010", "+8613900001020", "+8613900003010"}
    question = asked["+8613900001010"]
    assert "楼栋长张秀兰" in question and "2026年3季度" in question and "回复数字1-5" in question
    assert len(question) <= 70

    def text(phone: str, body: str, count: int) -> str:
        assert twilio.send_inbound_sms(WEBHOOK, phone, FROM, body).status == 200
        run_jobs(app)
        got = twilio.wait_for(count)
        return str(next(m["body"] for m in reversed(got) if m["to"] == phone))

    answer = text("+8613900001010", "4", 4)
    assert "谢谢（4分）" in answer and "网格长李建国" in answer
    answer = text("+8613900001010", "9", 5)
    assert "1到5" in answer
    answer = text("+8613900001010", "5", 6)
    assert "谢谢您的评分（5分）" in answer
    db.session.expire_all()
    figures = queries.ratings(w.community.id, Q3.first, Q3.next.first)
    assert (figures.posts[w.head1_post.id].average, figures.posts[w.head1_post.id].count) == (
        4.0,
        1,
    )
    assert figures.posts[w.leader1_post.id].count == 1
    vias = {e.via for e in db.session.scalars(select(PledgeEvent)) if e.action == "rated"}
    assert vias == {"sms"}


def test_rating_on_telegram(fake: FakeTelegram, make: Any) -> None:  # noqa: F811
    w = World(make)
    # The resident of 102 uses the app and Telegram: the question reaches them there.
    person = make.person(name="钱大爷", phone="+8613900001020")
    w.r2.person_id = person.id
    db.session.commit()
    _link(fake, person, 8802)
    _open(w)
    run_jobs(fake.app_client.application)  # type: ignore[union-attr]
    question = fake.wait_for(2, chat_id=8802)[-1]["text"]
    assert "楼栋长张秀兰" in question
    _send(fake, fake.text_update(8802, 8802, "3"))
    answer = fake.wait_for(3, chat_id=8802)[-1]["text"]
    assert "谢谢（3分）" in answer
    db.session.expire_all()
    rating = db.session.scalar(
        select(PledgeRating).where(
            PledgeRating.household_id == w.h2.id, PledgeRating.post_id == w.head1_post.id
        )
    )
    assert rating is not None and rating.value == 3 and rating.rated_via == "telegram"
    assert rating.rated_by_id == person.id


def test_a_phone_that_opted_out_is_not_texted(
    app: Flask,
    client: FlaskClient,
    make: Any,
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    twilio.app_client = client
    w = World(make)
    db.session.add(SmsOptOut(phone="+8613900003010"))
    db.session.commit()
    _open(w)
    run_jobs(app)
    sent = twilio.wait_for(2)
    db.session.expire_all()
    kept = db.session.scalar(select(Delivery).where(Delivery.address == "+8613900003010"))
    assert kept is not None and kept.state == DeliveryState.SUPPRESSED
    assert "+8613900003010" not in {m["to"] for m in sent}
    # The household can still rate in the app: its rows are there.
    assert w.rating(w.h4, w.head3_post).asked_at is not None
