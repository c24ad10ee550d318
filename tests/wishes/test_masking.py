"""Public and volunteer-facing pages mask phone and ID-card numbers in a wish's text; heads who
may see the resident read it as typed; a resident's first wish by SMS is told what is shown."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Delivery, Wish, db, utcnow
from notify import inbound
from services.wishes import operations as wishes
from tests.support import sign_in
from tests.wishes.test_wishes import World, build_world

TEXT = "请打我女儿电话139 1234 5678，身份证610502194501011234"
AS_TYPED = ("139 1234 5678", "610502194501011234")
MASKED = ("139****5678", "610*************34")
_ids = itertools.count(1)


@pytest.fixture
def w(make: Any) -> World:
    return build_world(make)


def _post(w: World, text: str = TEXT) -> Wish:
    wish = wishes.post_wish(
        resident=w.resident, category="other", text=text, by=w.resident_person, via="app"
    )
    db.session.commit()
    return wish


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _masked(page: str) -> bool:
    return all(m in page for m in MASKED) and not any(t in page for t in AS_TYPED)


def test_the_wall_and_a_volunteers_wish_page_mask_numbers(w: World, client: FlaskClient) -> None:
    wish = _post(w)
    sign_in(client, w.other_volunteer.phone)
    assert _masked(_page(client, "/wall"))
    assert _masked(_page(client, f"/wall/{wish.id}"))


def test_the_grid_leader_reads_the_wish_as_typed(w: World, client: FlaskClient) -> None:
    wish = _post(w)
    sign_in(client, w.leader.phone)
    page = _page(client, f"/wall/{wish.id}")
    assert all(t in page for t in AS_TYPED) and not any(m in page for m in MASKED)
    # The wall is the volunteers' page: masked there too, whoever reads it.
    assert _masked(_page(client, "/wall"))


def test_the_echo_wall_masks_numbers_in_the_wish_and_the_answer(
    w: World, client: FlaskClient
) -> None:
    wish = _post(w)
    wishes.claim(wish, by=w.volunteer)
    wishes.fulfil(wish, by=w.volunteer, note="已联系，女儿电话13987654321")
    db.session.commit()
    page = _page(client, f"/c/{w.community.code}/echo")  # signed out
    assert _masked(page)
    assert "139****4321" in page and "13987654321" not in page


def test_the_notice_board_masks_numbers_in_duties(w: World, client: FlaskClient, make: Any) -> None:
    helper = make.person(name="孙师傅")
    make.post(
        helper,
        "patroller",
        community=w.community,
        grid=w.grid,
        duties="夜间巡逻，有事打13912345678",
    )
    page = _page(client, f"/c/{w.community.code}/board")
    assert "夜间巡逻" in page and "139****5678" in page and "13912345678" not in page


def _sms(phone: str, text: str) -> str:
    handled = inbound.handle(
        channel="sms",
        provider_id=f"SMMASK{next(_ids)}",
        address=phone,
        phone=phone,
        text=text,
        now=utcnow(),
    )
    db.session.commit()
    return handled.reply or ""


def test_the_first_wish_by_sms_is_told_what_the_wall_shows_once(w: World) -> None:
    first = _sms(w.resident.phone, "心愿 " + TEXT)
    second = _sms(w.resident.phone, "心愿 厨房水龙头漏水")
    assert "不显示您的姓名和门牌" in first and "问题墙" in first
    assert "不显示您的姓名和门牌" not in second and "问题墙" in second
    kinds = list(
        db.session.scalars(
            select(Delivery.kind)
            .where(Delivery.kind.like("wish_posted_reply%"))
            .order_by(Delivery.id)
        )
    )
    assert kinds == ["wish_posted_reply_first", "wish_posted_reply"]


def test_a_wish_posted_in_the_app_first_does_not_count_as_told(w: World) -> None:
    _post(w, "帮忙取快递")
    assert "不显示您的姓名和门牌" in _sms(w.resident.phone, "心愿 帮忙换灯泡")
