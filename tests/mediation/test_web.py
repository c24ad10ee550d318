"""Mediation's pages: who may open them (404 for everyone else, the parties included), every
read audited, opening a case through the roster search, bad input kept, sessions and outcome."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import (
    AuditEntry,
    CaseStatus,
    Delivery,
    MediationCase,
    MediationSession,
    db,
    utcnow,
)
from pwa import auth
from services.mediation import operations, queries
from services.mediation.operations import PartyChoice
from services.sign_in import sessions
from tests.mediation.test_mediation import World


@pytest.fixture
def w(make: Any) -> World:
    return World(make)


def _client(app: Flask, person: Any) -> FlaskClient:
    """A client signed in as the person (a server-side session, no SMS round trip)."""
    token = sessions.start(person, now=utcnow())
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie[auth.SESSION_KEY] = token
        cookie.permanent = True
    return client


def _case(w: World) -> MediationCase:
    case = operations.open_case(
        queries.reach_of(w.mediator, auth.today()),
        by=w.mediator,
        parties=[PartyChoice(w.h501.id, w.wang.id), PartyChoice(w.h601.id, w.li.id)],
        category="noise",
        source="resident",
        summary="夜里楼上拖椅子声音大",
        now=utcnow(),
    )
    db.session.commit()
    return case


def _reads() -> list[AuditEntry]:
    db.session.rollback()  # the reads were written by their own transaction
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "view").order_by(AuditEntry.id)
        )
    )


def _pages(case: MediationCase) -> list[tuple[str, str]]:
    base = f"/mediation/{case.id}"
    return [
        ("GET", "/mediation"),
        ("GET", "/mediation/new"),
        ("GET", base),
        ("POST", "/mediation/new"),
        ("POST", f"{base}/parties"),
        ("POST", f"{base}/sessions"),
        ("POST", f"{base}/outcome"),
        ("POST", f"{base}/follow-up"),
    ]


def test_only_the_grid_s_mediators_leader_and_secretary_see_cases(
    app: Flask, w: World, make: Any
) -> None:
    case = _case(w)
    head = make.person(name="楼栋长")
    make.post(head, "building_head", community=w.community, building=w.building)
    volunteer = make.person(name="巡逻员")
    make.post(volunteer, "patroller", community=w.community, grid=w.grid)
    # 王建国, a party, signs in as a resident.
    party = make.person(name="王建国", phone=w.wang.phone)
    w.wang.person_id = party.id
    db.session.commit()
    for person in (head, volunteer, w.other_mediator, party, w.staff):
        client = _client(app, person)
        for method, url in _pages(case):
            if url in ("/mediation", "/mediation/new"):
                continue  # their own grid's list and form: below
            status = client.open(url, method=method, data={}).status_code
            assert status == 404, (person.name, method, url, status)
        if person is not w.other_mediator:
            assert client.get("/mediation").status_code == 404
            assert client.get("/mediation/new").status_code == 404
    for person in (w.mediator, w.leader, w.secretary):
        client = _client(app, person)
        page = client.get(f"/mediation/{case.id}").get_data(as_text=True)
        assert "夜里楼上拖椅子声音大" in page and "王建国" in page, person.name
        listed = client.get("/mediation").get_data(as_text=True)
        assert case.ref in listed and "噪音扰民" in listed and "王建国" in listed
    # Never on a wall or the public board.
    outside = _client(app, w.secretary)
    board = outside.get(f"/c/{w.community.code}/board").get_data(as_text=True)
    assert "拖椅子" not in board and not _shows(board, case.ref)
    assert "拖椅子" not in outside.get("/wall").get_data(as_text=True)
    # The other grid's mediator sees an empty list, without the case.
    other = _client(app, w.other_mediator)
    assert other.get("/mediation").status_code == 200
    assert not _shows(other.get("/mediation").get_data(as_text=True), case.ref)


def test_every_read_of_a_case_is_audited(app: Flask, w: World) -> None:
    case = _case(w)
    client = _client(app, w.leader)
    assert client.get(f"/mediation/{case.id}").status_code == 200
    [read] = _reads()
    assert read.subject_type == "mediation" and read.subject_id == case.id
    assert read.actor_id == w.leader.id and read.role == "grid_leader"
    assert f" resident:{w.wang.id} " in read.records and f" household:{w.h601.id} " in read.records
    assert client.get("/mediation?status=open").status_code == 200
    listing = _reads()[-1]
    assert listing.subject_type == "mediation" and "status=open" in listing.detail
    assert f" resident:{w.li.id} " in listing.records
    # An empty list and a search are reads too.
    assert client.get("/mediation?status=done").status_code == 200
    assert "status=done" in _reads()[-1].detail
    found = client.post("/mediation/new", data={"find": "1", "q": "王"})
    assert found.status_code == 200 and "王建国" in found.get_data(as_text=True)
    assert "q=王" in _reads()[-1].detail
    assert f" resident:{w.wang.id} " in _reads()[-1].records


def test_open_a_case_through_the_search_and_bad_input_keeps_what_was_typed(
    app: Flask, w: World
) -> None:
    client = _client(app, w.mediator)
    page = client.post("/mediation/new", data={"find": "1", "q": "3号楼"}).get_data(as_text=True)
    assert f'value="h{w.h501.id}"' in page and f'value="h{w.h601.id}"' in page
    assert "赵大爷" not in page  # another grid's resident is not offered
    # A search again keeps the ticked party.
    again = client.post(
        "/mediation/new",
        data={"find": "1", "q": "李", "party": f"r{w.wang.id}:{w.h501.id}", "summary": "吵架"},
    ).get_data(as_text=True)
    assert f'value="r{w.wang.id}:{w.h501.id}" checked' in again and "吵架" in again
    assert f'value="r{w.li.id}:{w.h601.id}"' in again
    # Missing category: refused in Chinese, the text kept, nothing saved.
    data = {
        "party": [f"r{w.wang.id}:{w.h501.id}", f"r{w.li.id}:{w.h601.id}"],
        "category": "",
        "source": "visit",
        "summary": "楼上漏水到楼下，修理费谈不拢",
    }
    refused = client.post("/mediation/new", data=data)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请选择纠纷类别" in body
    assert "楼上漏水到楼下，修理费谈不拢" in body and 'value="visit" selected' in body
    assert db.session.scalar(select(func.count(MediationCase.id))) == 0
    # A party outside the grids (forged): refused.
    forged = dict(data, category="leak", party=[f"r{w.zhao.id}:{w.h901.id}"])
    assert client.post("/mediation/new", data=forged).status_code == 422
    done = client.post("/mediation/new", data=dict(data, category="leak"))
    assert done.status_code == 302
    case = db.session.scalar(select(MediationCase))
    assert case is not None and done.headers["Location"].endswith(f"/mediation/{case.id}")
    assert case.category == "leak" and len(case.parties) == 2 and case.mediator_id == w.mediator.id


def test_sessions_outcome_and_follow_up_on_the_page(app: Flask, w: World, make: Any) -> None:
    case = _case(w)
    client = _client(app, w.mediator)
    base = f"/mediation/{case.id}"
    today = auth.today().isoformat()
    bad = client.post(f"{base}/sessions", data={"held_on": "昨天", "notes": "双方见面谈了"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "请填写日期" in body and "双方见面谈了" in body
    ok = client.post(
        f"{base}/sessions", data={"held_on": today, "attendees": "双方", "notes": "双方见面谈了"}
    )
    assert ok.status_code == 302
    # Add a party found by name.
    neighbour = make.resident(w.h601, name="李小明")
    found = client.post(f"{base}/parties", data={"find": "1", "q": "小明"})
    assert f'value="r{neighbour.id}:{w.h601.id}"' in found.get_data(as_text=True)
    added = client.post(f"{base}/parties", data={"party": f"r{neighbour.id}:{w.h601.id}"})
    assert added.status_code == 302
    refused = client.post(f"{base}/outcome", data={"outcome": "agreed", "agreement": " "})
    assert refused.status_code == 422 and "请填写协议内容" in refused.get_data(as_text=True)
    assert (
        client.post(
            f"{base}/outcome", data={"outcome": "agreed", "agreement": "晚十点后不拖动家具"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    case = db.session.get(MediationCase, case.id)
    assert case is not None and case.status == CaseStatus.CONCLUDED
    assert case.agreement == "晚十点后不拖动家具" and len(case.parties) == 3
    asked = db.session.scalar(
        select(func.count(Delivery.id)).where(Delivery.kind == "mediation_ask")
    )
    assert asked == 2  # 王's phone and the 601 household's contact (李 and 李小明 share it)
    page = client.get(base).get_data(as_text=True)
    assert "已达成协议" in page and "记录回访" in page and "已询问，尚未回复" in page
    follow = client.post(f"{base}/follow-up", data={"held_on": today, "notes": "已和好"})
    assert follow.status_code == 302
    kinds = [
        s.kind for s in db.session.scalars(select(MediationSession).order_by(MediationSession.id))
    ]
    assert kinds == ["session", "follow_up"]


def _shows(page: str, ref: str) -> bool:
    """Whether the page's text names the ref: not inside an attribute (a CSRF token's random
    letters once held "M1")."""
    text = re.sub(r"<[^>]+>", " ", page)
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(ref)}(?![0-9])", text) is not None
