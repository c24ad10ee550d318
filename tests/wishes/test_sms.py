"""Wishes by SMS and Telegram: post, claim, done, hand back; rate "评分 W12 5" or a bare digit."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import Delivery, Person, TelegramLink, Wish, WishStatus, db, utcnow
from notify import inbound, replies
from notify.commands import Inbound, Reply
from notify.replies import Question
from services.wishes import operations as wishes
from services.wishes import queries
from tests.wishes.test_wishes import World, build_world

_ids = itertools.count(1)


@pytest.fixture
def w(make: Any) -> World:
    return build_world(make)  # the same small community as tests/wishes/test_wishes.py


def _sms(phone: str, text: str, **kw: Any) -> str | None:
    handled = inbound.handle(
        channel="sms",
        provider_id=f"SM{next(_ids)}",
        address=phone,
        phone=phone,
        text=text,
        now=kw.pop("now", utcnow()),
    )
    db.session.commit()
    return handled.reply


def _wishes() -> list[Wish]:
    return list(db.session.scalars(select(Wish).order_by(Wish.id)))


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("心愿 厨房水龙头漏水", "repair"),
        ("心愿：下周二想去医院复查", "escort"),
        ("微心愿 帮我填一下高龄补贴的表", "paperwork"),
        ("wish please buy some rice for me", "errand"),
        ("ＷＩＳＨ someone to chat with", "other"),
    ],
)
def test_a_resident_posts_a_wish_by_sms(w: World, text: str, category: str) -> None:
    reply = _sms(w.resident.phone, text)
    [wish] = _wishes()
    assert wish.via == "sms" and wish.category == category
    assert wish.resident_id == w.resident.id
    assert reply is not None and wish.ref in reply and "问题墙" in reply
    assert not wish.text.upper().startswith(("心愿", "WISH", "微心愿"))


def test_a_household_contact_posts_for_a_resident_without_a_phone(w: World, make: Any) -> None:
    h = make.household(w.building, room="602", contact_phone="+8613900000002")
    granny = make.resident(h, name="李奶奶", phone=None)
    _sms("+8613900000002", "心愿 李奶奶想请人帮忙换灯泡")
    [wish] = _wishes()
    assert wish.resident_id == granny.id


def test_bad_sms_wishes_get_a_clear_answer_and_store_nothing(w: World) -> None:
    assert "没有登记" in (_sms("+8613700000009", "心愿 修水管") or "")
    assert "不能为空" in (_sms(w.resident.phone, "心愿") or "")
    assert "不能为空" in (_sms(w.resident.phone, "心愿 " + "水" * 5000) or "")
    assert _wishes() == []


def test_claim_done_and_rate_by_sms_with_exactly_one_claimer(w: World) -> None:
    wish = wishes.post_wish(
        resident=w.resident, category="repair", text="水龙头漏水", by=None, via="sms"
    )
    db.session.commit()
    reply = _sms(w.volunteer.phone, f"认领 {wish.ref}")
    # The claimer gets the resident's details, which only the claimer may see.
    assert reply is not None and "王奶奶" in reply and "13800000001" in reply and "501" in reply
    late = _sms(w.other_volunteer.phone, f"认领 {wish.ref.lower()}")
    assert late is not None and "已被他人认领" in late
    assert "王奶奶" not in late
    db.session.refresh(wish)
    assert wish.claimer_id == w.volunteer.id and wish.via == "sms"

    assert "不是由您认领" in (_sms(w.other_volunteer.phone, f"完成 {wish.ref} 好了") or "")
    assert "请写明" in (_sms(w.volunteer.phone, f"完成 {wish.ref}") or "")
    assert "已记录" in (_sms(w.volunteer.phone, f"完成{wish.ref} 换了新的水龙头") or "")
    db.session.refresh(wish)
    assert wish.status == WishStatus.FULFILLED and wish.fulfilled_note == "换了新的水龙头"
    # Someone else's rating is not taken.
    assert "找不到" in (_sms(w.volunteer.phone, f"评分 {wish.ref} 5") or "")
    assert "1到5" in (_sms(w.resident.phone, f"评分 {wish.ref} 9") or "")
    reply = _sms(w.resident.phone, f"评分 {wish.ref} ５")  # a full-width digit
    assert reply is not None and "5分" in reply
    db.session.refresh(wish)
    assert wish.rating == 5 and wish.status == WishStatus.CONFIRMED
    events = [(e.action, e.via) for e in queries.history(wish)]
    assert events == [
        ("posted", "sms"),
        ("claimed", "sms"),
        ("fulfilled", "sms"),
        ("rated", "sms"),
    ]


def test_hand_back_by_sms(w: World) -> None:
    wish = wishes.post_wish(resident=w.resident, category="repair", text="修灯", by=None, via="sms")
    db.session.commit()
    _sms(w.volunteer.phone, f"认领 {wish.ref}")
    assert "已退回" in (_sms(w.volunteer.phone, f"退回 {wish.ref} 这周出差") or "")
    db.session.refresh(wish)
    assert wish.status == WishStatus.OPEN and wish.claimer_id is None


def test_other_codes_are_left_to_other_features(w: World) -> None:
    # "认领 T34" is a work order's code: the wish command says "not mine".
    reply = _sms(w.volunteer.phone, "认领 T34")
    assert reply is None or "心愿" not in reply


def _fulfilled(w: World, text: str, at: Any) -> Wish:
    wish = wishes.post_wish(resident=w.resident, category="other", text=text, by=None, via="sms")
    wishes.claim(wish, by=w.volunteer, now=at)
    wishes.fulfil(wish, by=w.volunteer, note="好了", now=at)
    db.session.commit()
    return wish


def test_a_bare_digit_rates_the_latest_fulfilled_wish(w: World) -> None:
    now = utcnow()
    older = _fulfilled(w, "第一件", now - timedelta(hours=5))
    newer = _fulfilled(w, "第二件", now - timedelta(hours=1))
    reply = _sms(w.resident.phone, "4")
    assert reply is not None and newer.ref in reply
    db.session.refresh(newer)
    db.session.refresh(older)
    assert newer.rating == 4 and older.rating is None
    assert "1到5" in (_sms(w.resident.phone, "8") or "")
    _sms(w.resident.phone, "2")
    db.session.refresh(older)
    assert older.rating == 2
    # Nothing left to rate: a digit is not taken as a rating (and tells nobody of one; the
    # answer to the digit itself is a delivery of its own).
    notices = select(func.count(Delivery.id)).where(~Delivery.batch_key.startswith("reply:"))
    before = db.session.scalar(notices)
    reply = _sms(w.resident.phone, "3")
    assert reply is None or "分" not in reply
    assert db.session.scalar(notices) == before


def test_a_later_question_from_another_feature_gets_the_digit(w: World) -> None:
    wish = _fulfilled(w, "一件", utcnow() - timedelta(hours=2))
    answered: list[int] = []

    def mobilisation(message: Inbound) -> Question | None:
        def answer(inbound_message: Inbound, value: int) -> Reply:
            answered.append(value)
            return Reply("wish_rated_thanks", {"ref": "X", "rating": value})

        return Question(asked_at=utcnow() - timedelta(minutes=5), answer=answer)

    replies.register_answerer("test_later_question", mobilisation)
    try:
        _sms(w.resident.phone, "1")
    finally:
        replies.ANSWERERS.pop("test_later_question", None)
    db.session.refresh(wish)
    assert answered == [1] and wish.rating is None
    _sms(w.resident.phone, "5")
    db.session.refresh(wish)
    assert wish.rating == 5


def test_telegram_rating_buttons_send_the_command_back(w: World) -> None:
    from pwa import telegram_bot

    chat = 8_100_200_300
    db.session.add(TelegramLink(person_id=w.resident_person.id, chat_id=chat, linked_at=utcnow()))
    db.session.commit()
    wish = _fulfilled(w, "修门锁", utcnow())
    delivery = db.session.scalar(select(Delivery).where(Delivery.kind == "wish_fulfilled"))
    assert delivery is not None and delivery.channel == "telegram"
    buttons = delivery.params["_actions"]
    assert buttons[4] == ["5★", f"评分 {wish.ref} 5"]
    update = {
        "update_id": 555001,
        "callback_query": {
            "id": "cb1",
            "from": {"id": chat},
            "message": {"chat": {"id": chat, "type": "private"}},
            "data": buttons[4][1],
        },
    }
    answer = telegram_bot.handle(update, 555001, now=utcnow())
    db.session.commit()
    assert answer is not None and answer.text is not None and "5分" in answer.text
    db.session.refresh(wish)
    assert wish.rating == 5


def test_a_volunteer_claims_from_telegram(w: World) -> None:
    from pwa import telegram_bot

    chat = 8_100_200_301
    db.session.add(TelegramLink(person_id=w.volunteer.id, chat_id=chat, linked_at=utcnow()))
    wish = wishes.post_wish(
        resident=w.resident, category="care", text="陪我聊聊天", by=None, via="sms"
    )
    db.session.commit()
    update = {
        "update_id": 555002,
        "message": {"chat": {"id": chat, "type": "private"}, "text": f"认领 {wish.ref}"},
    }
    answer = telegram_bot.handle(update, 555002, now=utcnow())
    db.session.commit()
    assert answer is not None and "王奶奶" in (answer.text or "")
    db.session.refresh(wish)
    assert wish.claimer_id == w.volunteer.id
    assert [e.via for e in queries.history(wish)] == ["sms", "telegram"]
    assert isinstance(db.session.get(Person, w.volunteer.id), Person)


def test_a_resident_posts_a_wish_from_telegram(w: World) -> None:
    from pwa import telegram_bot

    chat = 8_100_200_302
    db.session.add(TelegramLink(person_id=w.resident_person.id, chat_id=chat, linked_at=utcnow()))
    db.session.commit()
    update = {
        "update_id": 555003,
        "message": {"chat": {"id": chat, "type": "private"}, "text": "心愿 想请人帮忙修一下门锁"},
    }
    answer = telegram_bot.handle(update, 555003, now=utcnow())
    db.session.commit()
    [wish] = _wishes()
    assert wish.via == "telegram" and wish.text == "想请人帮忙修一下门锁"
    assert wish.posted_by_id == w.resident_person.id and wish.category == "repair"
    assert answer is not None and wish.ref in (answer.text or "")
