"""Pledges' pages: writing (bad input kept), approving, the notice board (its cache follows),
a resident's rating card at home, the office's figures and round, and the rectification
pages walked by the secretary and the grid leader."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Pledge, PledgeRating, RectificationPlan, db, utcnow
from models.base import writing
from pwa import auth
from services.pledges import operations
from services.report_in.quarters import Quarter
from services.sign_in import sessions
from tests.pledges.world import World


@pytest.fixture
def w(make: Any) -> World:
    return World(make)


def _client(app: Flask, person: Any) -> FlaskClient:
    # A fresh IMMEDIATE transaction: the worker of an earlier test in this process may be
    # sending the round's invitations, and a read-begun transaction could not then write.
    db.session.commit()
    with writing():
        token = sessions.start(person, now=utcnow())
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie[auth.SESSION_KEY] = token
        cookie.permanent = True
    return client


def _last_quarter() -> Quarter:
    return Quarter.of(auth.today()).previous


def _open(w: World) -> None:
    operations.open_round(
        w.community, _last_quarter(), by=w.secretary, now=utcnow(), today=auth.today()
    )
    db.session.commit()


def test_write_approve_and_the_board(app: Flask, w: World) -> None:
    board = app.test_client()
    url = f"/c/{w.community.code}/board"
    assert "每月走访" not in board.get(url).get_data(as_text=True)  # kept by the cache now
    head = _client(app, w.head1)
    page = head.get("/pledges")
    assert page.status_code == 200 and "我的承诺" in page.get_data(as_text=True)
    year = str(auth.today().year)
    bad = head.post(
        "/pledges/write",
        data={"post_id": w.head1_post.id, "period": "year", "code": "26", "text": "每月走访"},
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "四位数字" in body and "每月走访" in body
    good = head.post(
        "/pledges/write",
        data={"post_id": w.head1_post.id, "period": "year", "code": year, "text": "每月走访"},
    )
    assert good.status_code == 302
    # Someone else's post: refused as if it did not exist.
    other = head.post(
        "/pledges/write",
        data={"post_id": w.head3_post.id, "period": "year", "code": year, "text": "替写"},
    )
    assert other.status_code == 422 and "自己的岗位" in other.get_data(as_text=True)
    assert "每月走访" not in board.get(url).get_data(as_text=True)  # waits for approval
    secretary = _client(app, w.secretary)
    listing = secretary.get(f"/pledges?community={w.community.id}").get_data(as_text=True)
    assert "每月走访" in listing and "待审核" in listing
    pledge = db.session.scalar(select(Pledge))
    assert pledge is not None
    assert head.post(f"/pledges/{pledge.id}/approve").status_code == 404  # not the office
    assert secretary.post(f"/pledges/{pledge.id}/approve").status_code == 302
    shown = board.get(url).get_data(as_text=True)
    assert "每月走访" in shown and "承诺" in shown


def test_a_resident_rates_from_home(app: Flask, w: World, make: Any) -> None:
    person = make.person(name="赵大妈", phone="+8613900001011")
    w.r1.person_id = person.id
    db.session.commit()
    resident = _client(app, person)
    assert "为楼栋长、网格长的承诺打分" not in resident.get("/me").get_data(as_text=True)
    _open(w)
    home = resident.get("/me").get_data(as_text=True)
    assert "张秀兰" in home and "李建国" in home and "王桂芳" not in home
    mine = w.rating(w.h1, w.head1_post)
    theirs = w.rating(w.h4, w.head3_post)
    answer = resident.post("/my/pledges/rate", data={"rating_id": mine.id, "value": "4"})
    assert answer.status_code == 302
    db.session.expire_all()
    mine = w.rating(w.h1, w.head1_post)
    assert mine.value == 4 and mine.rated_via == "app" and mine.rated_by_id == person.id
    # Out of range, or another household's row: refused, nothing changed.
    resident.post("/my/pledges/rate", data={"rating_id": mine.id, "value": "9"})
    resident.post("/my/pledges/rate", data={"rating_id": theirs.id, "value": "1"})
    db.session.expire_all()
    assert w.rating(w.h1, w.head1_post).value == 4
    assert w.rating(w.h4, w.head3_post).value is None
    page = resident.get("/me").get_data(as_text=True)
    assert "您打了4分" in page
    # A second rating replaces the first.
    resident.post("/my/pledges/rate", data={"rating_id": mine.id, "value": "2"})
    db.session.expire_all()
    assert w.rating(w.h1, w.head1_post).value == 2
    count = db.session.scalar(select(func.count()).select_from(PledgeRating))
    assert count == 8


def test_the_office_sees_figures_and_the_secretary_opens_a_round(app: Flask, w: World) -> None:
    quarter = _last_quarter()
    staff = _client(app, w.staff)
    page = staff.get(f"/pledges/ratings?quarter={quarter.code}").get_data(as_text=True)
    assert "尚未开始" in page
    refused = staff.post("/pledges/rounds", data={"quarter": quarter.code})
    assert refused.status_code == 422 and "由书记" in refused.get_data(as_text=True)
    secretary = _client(app, w.secretary)
    assert secretary.post("/pledges/rounds", data={"quarter": "2026-9"}).status_code == 422
    assert secretary.post("/pledges/rounds", data={"quarter": quarter.code}).status_code == 302
    operations.rate(
        w.rating(w.h1, w.head1_post), 4, by=None, via="app", now=utcnow(), today=auth.today()
    )
    db.session.commit()
    page = secretary.get(f"/pledges/ratings?quarter={quarter.code}").get_data(as_text=True)
    assert "张秀兰" in page and "4.0" in page and "第一网格" in page
    assert _client(app, w.leader1).get("/pledges/ratings").status_code == 404


def test_rectification_pages(app: Flask, w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RECTIFICATION_MIN_RATINGS", 2)
    _open(w)
    today = auth.today()
    for household, post in ((w.h1, w.head1_post), (w.h2, w.head1_post)):
        operations.rate(w.rating(household, post), 2, by=None, via="app", now=utcnow(), today=today)
    db.session.commit()
    quarter = _last_quarter()
    secretary = _client(app, w.secretary)
    listing = secretary.get(f"/rectification?quarter={quarter.code}").get_data(as_text=True)
    assert "第一网格" in listing and "第二网格" not in listing
    new = f"/rectification/new?community={w.community.id}&grid={w.g1.id}&quarter={quarter.code}"
    assert secretary.get(new).status_code == 200
    assert secretary.get(new.replace(f"grid={w.g1.id}", f"grid={w.g2.id}")).status_code == 404
    due = (today + timedelta(days=7)).isoformat()
    recheck = (today + timedelta(days=20)).isoformat()
    form = {"grid": w.g1.id, "quarter": quarter.code, "recheck_on": recheck, "text_1": "每周走访"}
    bad = secretary.post(f"/rectification/new?community={w.community.id}", data=form)
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "负责人" in body and "每周走访" in body
    form |= {"holder_1": str(w.head1.id), "due_1": due}
    done = secretary.post(f"/rectification/new?community={w.community.id}", data=form)
    assert done.status_code == 302
    plan = db.session.scalar(select(RectificationPlan))
    assert plan is not None
    leader = _client(app, w.leader1)
    page = leader.get(f"/rectification/{plan.id}").get_data(as_text=True)
    assert "每周走访" in page and "标记完成" in page and "记录复查结果" not in page
    action = plan.actions[0].id
    empty = leader.post(f"/rectification/{plan.id}/actions/{action}/done", data={"note": " "})
    assert empty.status_code == 422
    marked = leader.post(f"/rectification/{plan.id}/actions/{action}/done", data={"note": "已走访"})
    assert marked.status_code == 302
    assert "已走访" in leader.get(f"/rectification/{plan.id}").get_data(as_text=True)
    assert _client(app, w.leader2).get(f"/rectification/{plan.id}").status_code == 404
    assert _client(app, w.head1).get(f"/rectification/{plan.id}").status_code == 404
    early = secretary.post(
        f"/rectification/{plan.id}/result", data={"result": "passed", "comment": "好"}
    )
    assert early.status_code == 422 and "复查日期为" in early.get_data(as_text=True)
