"""The people SMS is for: a resident with no account works by text as an account holder does,
and 帮助 answers each sender with what they can send, a resident's in one SMS."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Community, InboundMessage, Need, Wish, db, utcnow
from notify import segments, templates
from notify.commands import RESIDENT, help_lines, join_help
from notify.inbound import KNOWN_REPLIES_PER_HOUR, REPLIES_PER_HOUR
from services.messages import help as sms_help
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
    grandpa = make.resident(home, name="李爷爷", phone=None)
    answers = _work_by_text(client, "+8613933334444")
    assert all(a is not None for a in answers), answers
    rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [r.outcome for r in rows] == ["handled"] * 8
    # The need the contact passed on is the resident's, as a wish is.
    need = db.session.scalars(select(Need)).one()
    assert need.resident_id == grandpa.id and need.household_id == home.id


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


# -- 帮助 -------------------------------------------------------------------------------------

RESIDENT_CAN = ("心愿 内容", "需求 内容", "撤回 W12", "评分 W12 5", "退订")
WORKERS_ONLY = ("认领", "完成", "退出", "任务", "走访", "3-2-501")


def _one_sms(text: str) -> bool:
    """Whether the text takes one SMS as the provider counts it (UCS-2: 70 units)."""
    found = segments.count(text)
    return found.count == 1 and (found.encoding != "UCS-2" or found.units <= 70)


def test_a_residents_help_fits_one_sms_and_lists_only_what_a_resident_can_send(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    grandma = make.resident(_home(make), name="王奶奶", phone="+8613911112222")
    reply = _sms(client, grandma.phone, "帮助")
    assert reply is not None and reply.startswith("【新丰路社区】")
    assert _one_sms(reply), (len(reply), reply)
    assert all(words in reply for words in RESIDENT_CAN), reply
    assert not any(words in reply for words in WORKERS_ONLY), reply
    # A resident with an account and no post is told the same.
    person = make.person()
    make.resident(_home(make), person_id=person.id, phone=person.phone)
    assert _sms(client, person.phone, "HELP") == reply


def test_a_residents_help_drops_its_last_lines_before_it_takes_two_sms(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    c = make.community(sms_signature="【华州区杏林街道新丰路社区居民委员会】")
    home = make.household(make.building(make.grid(c)))
    phone = make.resident(home, phone="+8613911112222").phone
    reply = _sms(client, phone, "帮助")
    assert reply is not None and reply.startswith("【华州区杏林街道新丰路社区居民委员会】")
    assert _one_sms(reply), (len(reply), reply)
    # The first lines (posting a wish or a need) and how to stop stay.
    assert "心愿 内容" in reply and "需求 内容" in reply and "退订" in reply


def test_a_residents_help_in_english_fits_one_sms(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    person = make.person(language="en")
    reply = _sms(client, person.phone, "HELP")
    assert reply is not None and _one_sms(reply), reply
    assert "WISH" in reply and "STOP" in reply and "CLAIM" not in reply


@pytest.mark.parametrize(
    ("role", "has", "lacks"),
    [
        # A patroller claims and reports; visiting is not a patroller's duty.
        ("patroller", ("认领 T34", "完成 T34", "退出 T34", "任务", "W12"), ("走访", "心愿 内容")),
        ("observer", ("认领 T34", "W12", "走访 3-2-501", "需求 3-2-501"), ("心愿 内容",)),
        ("building_head", ("认领 T34", "W12", "走访 3-2-501", "需求 3-2-501"), ("评分",)),
        # A grid leader's own duties fill two SMS: the commands every post has are behind
        # "帮助 全部" (test below).
        ("grid_leader", ("W12", "走访 3-2-501", "需求 3-2-501", "帮助 全部"), ("评分",)),
        ("secretary", ("认领 T34", "任务", "W12", "走访 3-2-501", "需求 3-2-501"), ("撤回",)),
    ],
)
def test_volunteers_heads_and_staff_get_their_own_help(
    twilio_app: Flask,
    client: FlaskClient,
    make: Any,
    role: str,
    has: tuple[str, ...],
    lacks: tuple[str, ...],
) -> None:
    home = _home(make)
    building = home.building
    c = db.session.get(Community, building.community_id)
    person = make.person()
    if role == "building_head":
        make.post(person, role, community=c, building=building)
    elif role in ("grid_leader", "observer", "patroller"):
        make.post(person, role, community=c, grid=building.grid)
    else:
        make.post(person, role, community=c)
    reply = _sms(client, person.phone, "帮助")
    assert reply is not None
    assert all(words in reply for words in has), reply
    assert not any(words in reply for words in lacks), reply
    assert "退订" in reply
    # Longer than a resident's, but concise: two SMS at most, signature included.
    assert segments.count(reply).count <= 2, (len(reply), reply)


def test_a_volunteers_help_in_telegram_lists_their_commands(app: Flask, make: Any) -> None:
    c = make.community()
    person = make.person()
    make.post(person, "patroller", community=c)
    today = date(2026, 11, 25)
    lines = sms_help.commands_for(person, today, "zh")
    assert "认领 T34" in lines and "走访" not in lines
    # A post that has ended leaves the person a resident.
    ended = make.person()
    make.post(ended, "patroller", community=c, ends_on=date(2026, 1, 1))
    assert "认领" not in sms_help.commands_for(ended, today, "zh")
    assert "心愿 内容" in sms_help.commands_for(ended, today, "zh")


def test_the_help_kinds_example_is_a_residents_real_answer(app: Flask) -> None:
    # The message-kind page and the snapshot show what a resident really gets.
    example = templates.get("help_reply").example["commands"]
    assert example == join_help(help_lines(RESIDENT), "zh")


def test_a_long_help_names_the_rest_and_help_all_gives_it(
    twilio_app: Flask, client: FlaskClient, make: Any
) -> None:
    home = _home(make)
    c = db.session.get(Community, home.building.community_id)
    person = make.person()
    # A grid leader's posts allow nearly every command: more than two SMS of them.
    make.post(person, "grid_leader", community=c, grid=home.building.grid)
    short = _sms(client, person.phone, "帮助")
    assert short is not None and segments.count(short).count <= 2, short
    assert "“帮助 全部”看全部" in short and "退订" in short
    whole = _sms(client, person.phone, "帮助 全部")
    assert whole is not None and "帮助 全部" not in whole and "退订" in whole
    assert len(whole) > len(short)
    # Patrolling is a patroller's and a grid leader's duty: a building head is not told of it.
    assert "巡逻 开始" in whole
    head = make.person()
    make.post(head, "building_head", community=c, building=home.building)
    told = _sms(client, head.phone, "帮助 全部")
    assert told is not None and "巡逻" not in told
