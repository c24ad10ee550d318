"""The people SMS is for: a resident with no account works by text as an account holder does,
and 帮助 answers each sender with what they can send, a resident's in one SMS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import InboundMessage, Wish, db, utcnow
from notify.inbound import KNOWN_REPLIES_PER_HOUR, REPLIES_PER_HOUR
from tests.messages.test_inbound import PUBLIC, TOKEN, _sms


@pytest.fixture
def twilio_app(app: Flask, ctx: None) -> Any:
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC)
    yield app
    app.config.update(TWILIO_AUTH_TOKEN=None, PUBLIC_BASE_URL="http://127.0.0.1:8000")


def _home(make: Any, **household: Any) -> Any:
    c = make.community(sms_signature="【新丰路社区】")
    return make.household(make.building(make.grid(c)), **household)


def _work_by_text(client: FlaskClient, phone: str) -> list[str | None]:
    """Eight texts in an hour, as a resident works: wishes, a need, help, a withdrawal."""
    answers = [
        _sms(client, phone, "帮助"),
        _sms(client, phone, "心愿 帮我换一下楼道灯泡"),
        _sms(client, phone, "需求 小区门口路灯不亮"),
        _sms(client, phone, "心愿 周三陪我去医院复查"),
    ]
    first = db.session.scalars(select(Wish).order_by(Wish.id)).first()
    assert first is not None
    answers += [
        _sms(client, phone, f"撤回 {first.ref}"),
        _sms(client, phone, "HELP"),
        _sms(client, phone, "心愿 帮我填一下高龄补贴的表"),
        _sms(client, phone, "帮助"),
    ]
    return answers


def test_a_resident_without_an_account_gets_every_answer(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    grandma = make.resident(_home(make), name="王奶奶", phone="+8613911112222")
    assert grandma.person_id is None
    answers = _work_by_text(client, grandma.phone)
    assert all(a is not None for a in answers), answers
    assert len(answers) == 8 > REPLIES_PER_HOUR
    rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [r.outcome for r in rows] == ["handled"] * 8
    assert "已撤回" in (answers[4] or "")


def test_a_household_contact_texting_for_a_resident_gets_every_answer(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    home = _home(make, contact_name="儿子", contact_phone="+8613933334444")
    make.resident(home, name="李爷爷", phone=None)
    answers = _work_by_text(client, "+8613933334444")
    assert all(a is not None for a in answers), answers


def test_a_number_on_no_roster_is_still_limited(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    make.resident(_home(make), phone="+8613911112222")
    stranger = "+8613955550000"
    answers = [_sms(client, stranger, "帮助") for _ in range(8)]
    assert sum(a is not None for a in answers) == REPLIES_PER_HOUR
    limited = db.session.scalars(
        select(InboundMessage.outcome).where(InboundMessage.from_address == stranger)
    ).all()
    assert limited.count("handled:reply_limited") == 8 - REPLIES_PER_HOUR


def test_a_roster_phone_that_loops_is_stopped_at_the_known_cap(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    phone = make.resident(_home(make), phone="+8613911112222").phone
    # As if an auto-responder had already had its answers this hour.
    now = utcnow()
    for n in range(KNOWN_REPLIES_PER_HOUR):
        db.session.add(
            InboundMessage(
                channel="sms",
                provider_id=f"SMloop{n}",
                from_address=phone,
                text="自动回复",
                outcome="handled",
                reply="……",
                received_at=now - timedelta(minutes=30),
            )
        )
    db.session.commit()
    assert _sms(client, phone, "帮助") is None
    last = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
    assert last is not None and last.outcome == "handled:reply_limited"
