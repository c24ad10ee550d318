"""Withdrawing a wish that is no longer needed: by the resident (app, SMS) or a head for them."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Delivery, Wish, WishEvent, WishStatus, clock, db, utcnow
from notify import inbound
from pwa.views.needs import NEED_CONVERSIONS
from services.wishes import escalation, queries
from services.wishes import operations as wishes
from services.wishes.operations import WishError
from tests.support import sign_in
from tests.wishes.test_wishes import World, build_world

pytestmark = pytest.mark.usefixtures("english")

_ids = itertools.count(1)


@pytest.fixture
def w(make: Any) -> World:
    return build_world(make)


def _post(w: World, **kw: Any) -> Wish:
    wish = wishes.post_wish(
        resident=w.resident,
        category="repair",
        text=kw.pop("text", "厨房水龙头漏水"),
        by=kw.pop("by", w.resident_person),
        via="app",
        **kw,
    )
    db.session.commit()
    return wish


def _told(kind: str) -> list[int | None]:
    return list(
        db.session.scalars(
            select(Delivery.person_id).where(Delivery.kind == kind).order_by(Delivery.id)
        )
    )


def _events(wish: Wish) -> list[str]:
    return [e.action for e in queries.history(wish)]


def _sms(phone: str, text: str) -> str:
    handled = inbound.handle(
        channel="sms",
        provider_id=f"SMW{next(_ids)}",
        address=phone,
        phone=phone,
        text=text,
        now=utcnow(),
    )
    db.session.commit()
    return handled.reply or ""


def test_the_resident_withdraws_a_claimed_wish_and_the_claimer_is_told(w: World) -> None:
    wish = _post(w)
    wishes.claim(wish, by=w.volunteer)
    db.session.commit()
    wishes.withdraw(wish, by=w.resident_person, for_resident=True, reason="  儿子  已经修好了 ")
    db.session.commit()
    assert wish.status == WishStatus.WITHDRAWN
    assert _told("wish_withdrawn_claimer") == [w.volunteer.id]
    assert _told("wish_withdrawn") == []  # she did it herself: nothing to tell her
    [event] = [e for e in queries.history(wish) if e.action == "withdrawn"]
    assert event.actor_id == w.resident_person.id and event.detail["reason"] == "儿子 已经修好了"
    # Off the wall, off the claimer's list, out of escalation; still counted in the figures.
    wall = queries.wall_of(w.volunteer, clock.today_of(utcnow()))
    assert queries.open_wall(wall) == []
    assert escalation.escalate_due(utcnow().replace(year=utcnow().year + 1)) == []
    assert queries.stats(w.community.id, utcnow()).by_status == {"withdrawn": 1}


def test_steps_after_a_withdrawal_say_why_they_are_refused(w: World) -> None:
    open_one = _post(w)
    claimed = _post(w, text="帮忙取快递")
    wishes.claim(claimed, by=w.volunteer)
    db.session.commit()
    for wish in (open_one, claimed):
        wishes.withdraw(wish, by=w.resident_person, for_resident=True)
    db.session.commit()
    attempts = [
        lambda: wishes.claim(open_one, by=w.other_volunteer),
        lambda: wishes.fulfil(claimed, by=w.volunteer, note="好了"),
        lambda: wishes.hand_back(claimed, by=w.volunteer),
        lambda: wishes.withdraw(open_one, by=w.resident_person, for_resident=True),
    ]
    for attempt in attempts:
        with pytest.raises(WishError) as refused:
            attempt()
        assert refused.value.code == "withdrawn" and "withdrawn" in refused.value.message
        db.session.rollback()
    assert {w_.status for w_ in (open_one, claimed)} == {WishStatus.WITHDRAWN}
    assert _told("wish_withdrawn_claimer") == [w.volunteer.id]  # once, for the claimed one


def test_a_done_wish_cannot_be_withdrawn_and_strangers_cannot_withdraw(w: World) -> None:
    wish = _post(w)
    with pytest.raises(WishError, match="Only the resident or a head"):
        wishes.withdraw(wish, by=w.far_volunteer, for_resident=False)
    with pytest.raises(WishError, match="Only the resident or a head"):
        wishes.withdraw(wish, by=w.volunteer, for_resident=False)  # a volunteer of her grid
    db.session.rollback()
    wishes.claim(wish, by=w.volunteer)
    wishes.fulfil(wish, by=w.volunteer, note="修好了")
    db.session.commit()
    with pytest.raises(WishError, match="done and can no longer"):
        wishes.withdraw(wish, by=w.resident_person, for_resident=True)
    db.session.rollback()
    assert wish.status == WishStatus.FULFILLED and "withdrawn" not in _events(wish)


def test_a_head_withdraws_for_the_resident_who_is_told(w: World) -> None:
    wish = _post(w, by=w.head)
    wishes.withdraw(wish, by=w.head, for_resident=False, reason="她已住院，暂不需要")
    db.session.commit()
    assert wish.status == WishStatus.WITHDRAWN
    assert _told("wish_withdrawn") == [w.resident_person.id]
    assert _told("wish_withdrawn_claimer") == []


def test_a_long_reason_is_refused_and_nothing_changes(w: World) -> None:
    wish = _post(w)
    with pytest.raises(WishError, match="at most 200 characters") as refused:
        wishes.withdraw(wish, by=w.resident_person, for_resident=True, reason="太" * 201)
    assert refused.value.code == "reason"
    db.session.rollback()
    db.session.refresh(wish)
    assert wish.status == WishStatus.OPEN
    assert (
        db.session.scalar(select(func.count(WishEvent.id)).where(WishEvent.action == "withdrawn"))
        == 0
    )


def test_a_need_turned_into_a_wish_gets_its_answer_when_the_wish_is_withdrawn(w: World) -> None:
    needs = pytest.importorskip("services.needs.operations")
    now = utcnow()
    need = needs.raise_need(
        community_id=w.community.id,
        household=w.household,
        source="visit",
        by=w.head,
        category="repairs",
        text="厨房水龙头漏水",
        now=now,
        resident_id=w.resident.id,
    )
    needs.decide(
        need,
        by=w.leader,
        decision="wish",
        today=clock.today_of(now),
        now=now,
        conversions=NEED_CONVERSIONS,
    )
    db.session.commit()
    wish = db.session.scalar(select(Wish).where(Wish.need_id == need.id))
    assert wish is not None
    wishes.withdraw(wish, by=w.resident_person, for_resident=True, reason="已自己修好")
    db.session.commit()
    db.session.refresh(need)
    assert need.status == "answered" and "已自己修好" in (need.answer or "")


def test_withdraw_through_the_pages(w: World, client: FlaskClient) -> None:
    mine = _post(w)
    other = _post(w, text="帮忙取快递")
    sign_in(client, w.resident_person.phone)
    page = client.get("/me/wishes").get_data(as_text=True)
    assert f"Withdraw wish {mine.ref}" in page
    response = client.post(f"/me/wishes/{mine.id}/withdraw", data={"reason": "x" * 201})
    assert response.status_code == 400 and "at most 200 characters" in response.get_data(
        as_text=True
    )
    assert client.post(f"/me/wishes/{mine.id}/withdraw", data={"reason": "好了"}).status_code == 302
    page = client.get("/me/wishes").get_data(as_text=True)
    assert "Withdrawn" in page and f"Withdraw wish {mine.ref}" not in page
    response = client.post(f"/me/wishes/{mine.id}/withdraw")
    assert response.status_code == 400 and "was withdrawn" in response.get_data(as_text=True)
    client.post("/sign-out")

    # Someone else's wish does not exist for a resident; a volunteer sees no withdraw button.
    sign_in(client, w.volunteer.phone)
    assert client.post(f"/me/wishes/{other.id}/withdraw").status_code == 404
    assert "Withdraw" not in client.get(f"/wall/{other.id}").get_data(as_text=True)
    assert client.post(f"/wall/{other.id}/withdraw").status_code == 409
    client.post("/sign-out")

    sign_in(client, w.head.phone)
    assert f"Withdraw wish {other.ref}" in client.get(f"/wall/{other.id}").get_data(as_text=True)
    assert client.post(f"/wall/{other.id}/withdraw", data={"reason": "住院"}).status_code == 302
    page = client.get(f"/wall/{other.id}").get_data(as_text=True)
    assert "Withdrawn" in page and f"Withdraw wish {other.ref}" not in page
    db.session.expire_all()
    assert {x.status for x in db.session.scalars(select(Wish))} == {WishStatus.WITHDRAWN}


def test_withdraw_by_sms_from_the_resident_or_a_head(w: World) -> None:
    wish = _post(w)
    second = _post(w, text="帮忙取快递")
    assert f"心愿{wish.ref}已撤回。" in _sms(w.resident.phone, f"撤回 {wish.ref} 已修好")
    db.session.refresh(wish)
    assert wish.status == WishStatus.WITHDRAWN
    # Again: a clear answer. A stranger, or a volunteer of her grid: not theirs to take back.
    assert "不用再办" in _sms(w.resident.phone, f"撤回 {wish.ref}")
    assert "找不到" in _sms("+8613700000009", f"撤回 {second.ref}")
    assert "找不到" in _sms(w.volunteer.phone, f"WITHDRAW {second.ref}")
    assert "200字" in _sms(w.resident.phone, f"撤回 {second.ref} " + "因" * 300)
    db.session.refresh(second)
    assert second.status == WishStatus.OPEN
    assert f"心愿{second.ref}已撤回。" in _sms(
        w.head.phone, f"withdraw {second.ref.lower()} 住院了"
    )
    db.session.refresh(second)
    assert second.status == WishStatus.WITHDRAWN
    assert _told("wish_withdrawn") == [w.resident_person.id]
    assert [e.via for e in queries.history(second) if e.action == "withdrawn"] == ["sms"]
