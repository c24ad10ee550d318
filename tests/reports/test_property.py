"""Property matters: a property need goes to the property company's contact with a deadline
(SMS through the fake Twilio, and a link); the company answers by SMS reply or on the page; the
answer reaches the resident or reporter; late answers are chased once at each stage (the
contact, then the grid leader, else the secretary); liaisons see their grid's matters; the
ledger's queries count them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    AuditEntry,
    Delivery,
    Need,
    NeedEvent,
    NeedStatus,
    PartnerUnit,
    db,
    utcnow,
)
from models.clock import today
from services.needs import operations as needs
from services.needs import property_matters, referrals
from services.reports import operations as reports
from services.reports import queries
from tests.administration.test_setup import community_form
from tests.fakes.twilio import FakeTwilio
from tests.needs.test_referrals import FROM, PUBLIC
from tests.support import run_jobs
from tests.visits.test_visits import Place, sign_in_en

CONTACT = "+8613900008888"


def _company(place: Place, kind: str = "物业公司") -> PartnerUnit:
    unit = PartnerUnit(
        community_id=place.community.id,
        name="安居物业",
        kind=kind,
        contact_name="周经理",
        contact_phone=CONTACT,
    )
    db.session.add(unit)
    db.session.commit()
    return unit


def _resident_need(place: Place, make: Any, category: str = "property") -> tuple[Need, Any]:
    phone = make.phone()
    resident = make.resident(place.h601, name=f"周叔{phone[-3:]}", phone=phone, sms_consent=True)
    need = needs.resident_need(
        resident, category=category, text="楼道声控灯坏了", by=None, now=utcnow()
    )
    db.session.commit()
    return need, resident


def _actions(need: Need) -> list[str]:
    return list(
        db.session.scalars(
            select(NeedEvent.action).where(NeedEvent.need_id == need.id).order_by(NeedEvent.id)
        )
    )


def _kinds(kind: str) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == kind)))


def test_a_property_need_goes_to_the_company_and_its_sms_answer_reaches_the_resident(
    app: Flask, client: FlaskClient, place: Place, make: Any, twilio: FakeTwilio
) -> None:
    twilio.app_client = client
    unit = _company(place)
    place.community.property_answer_days = 5  # the community's own deadline
    db.session.commit()
    need, resident = _resident_need(place, make)
    assert need.status == NeedStatus.IN_HAND and need.partner_unit_id == unit.id
    referral = referrals.latest(need)
    assert referral is not None and referral.due_at is not None
    assert referral.due_at - referral.sent_at == timedelta(days=5)
    assert referral.expires_at > referral.due_at  # the link outlives the deadline
    run_jobs(app)
    sent = twilio.wait_for(2)
    to_company = next(m for m in sent if m["to"] == CONTACT)
    assert f"物业事项{need.ref}" in to_company["body"] and "前办理" in to_company["body"]
    assert "3号楼 2单元601" in to_company["body"]
    assert re.search(r"https://linli\.example\.org/p/[A-Za-z0-9_-]{20,}", to_company["body"])
    told = next(m for m in sent if m["to"] == resident.phone)
    assert "已转安居物业办理" in told["body"]

    answer = twilio.send_inbound_sms(
        PUBLIC + "/webhooks/twilio/sms", CONTACT, FROM, f"答复 {need.ref} 已更换灯泡"
    )
    assert answer.status == 200
    run_jobs(app)
    more = twilio.wait_for(4)[2:]
    assert any(m["to"] == CONTACT and "已转告居民" in m["body"] for m in more)
    back = next(m for m in more if m["to"] == resident.phone)
    assert "安居物业答复：已更换灯泡" in back["body"]
    db.session.expire_all()
    need = db.session.get(Need, need.id)
    assert need.status == NeedStatus.ANSWERED and need.answer == "已更换灯泡"
    assert _actions(need) == ["raised", "to_property", "property_answered", "answered"]


def test_a_reported_problem_answered_on_the_page_reaches_the_reporter(
    app: Flask, place: Place
) -> None:
    _company(place)
    who = reports.reporter(place.observer, today())
    assert who is not None
    need = reports.report(
        who,
        category="property",
        text="电梯异响",
        building_id=place.neighbour.id,
        place="2单元",
        now=utcnow(),
    )
    db.session.commit()
    assert need.status == NeedStatus.IN_HAND
    referral = referrals.latest(need)
    assert referral is not None
    token = "test-property-token-0123456789"
    referral.token_hash = referrals.digest(token)
    db.session.commit()
    visitor = app.test_client()
    visitor.set_cookie("linli_lang", "en")
    page = visitor.get(f"/p/{token}").get_data(as_text=True)
    # Where it is, by when to answer, and whom to call: the reporter.
    assert "5号楼 2单元" in page and "Please answer by" in page
    assert place.observer.name in page and place.observer.phone in page
    empty = visitor.post(f"/p/{token}", data={"answer": ""})
    assert empty.status_code == 422 and "Write what was done" in empty.get_data(as_text=True)
    assert visitor.post(f"/p/{token}", data={"answer": "已联系电梯公司检修"}).status_code == 302
    told = _kinds("need_partner_answer")
    assert len(told) == 1 and told[0].person_id == place.observer.id
    assert _actions(need) == ["reported", "to_property", "property_answered", "answered"]


def test_without_a_company_the_leader_decides_and_may_refer_to_the_company(
    client: FlaskClient, place: Place, make: Any
) -> None:
    silent = _company(place)
    silent.contact_phone = None  # a company nobody can reach is not sent anything
    db.session.commit()
    need, _resident = _resident_need(place, make)
    assert need.status == NeedStatus.OPEN and referrals.latest(need) is None
    silent.contact_phone = CONTACT
    db.session.commit()
    sign_in_en(client, place.leader.phone)
    # Any need the leader refers to the property company gets its deadline.
    other, _other = _resident_need(place, make, category="repairs")
    assert other.status == NeedStatus.OPEN
    response = client.post(
        f"/needs/{other.id}/decide",
        data={"decision": "referred", "partner_unit_id": str(silent.id)},
    )
    assert response.status_code == 302
    referral = referrals.latest(other)
    assert referral is not None and referral.due_at is not None
    assert _actions(other) == ["raised", "to_property"]
    assert len(_kinds("need_to_property")) == 1 and len(_kinds("need_property_sent")) == 1
    # A unit of another kind is an ordinary referral: no deadline, no chase.
    plain = PartnerUnit(
        community_id=place.community.id, name="区供电局", contact_phone="+8613900001111"
    )
    db.session.add(plain)
    db.session.commit()
    response = client.post(
        f"/needs/{need.id}/decide",
        data={"decision": "referred", "partner_unit_id": str(plain.id)},
    )
    assert response.status_code == 302
    latest = referrals.latest(need)
    assert latest is not None and latest.due_at is None
    assert not property_matters.is_company(plain) and property_matters.is_company(silent)


def test_late_answers_are_chased_once_each_the_contact_then_the_grid_leader(
    place: Place, make: Any
) -> None:
    _company(place)
    need, _resident = _resident_need(place, make)
    answered, _other = _resident_need(place, make)
    now = utcnow()
    assert property_matters.chase(now).contacts == 0  # not due yet
    for item in (need, answered):
        referral = referrals.latest(item)
        assert referral is not None
        referral.due_at = now - timedelta(hours=1)
    db.session.commit()
    late_answer = referrals.latest(answered)
    assert late_answer is not None
    needs.answer_referral(late_answer, "已修好", via="sms", now=now)
    db.session.commit()

    first = property_matters.chase(now)
    db.session.commit()
    assert (first.contacts, first.leaders) == (1, 0)
    [chased] = _kinds("property_chase_contact")
    assert chased.address == CONTACT and chased.params["refs"] == need.ref
    again = property_matters.chase(now + timedelta(minutes=5))
    db.session.commit()
    assert (again.contacts, again.leaders) == (0, 0) and len(_kinds("property_chase_contact")) == 1
    # A day later, still unanswered: the grid leader hears, once.
    later = now + timedelta(days=property_matters.DEFAULTS["PROPERTY_CHASE_LEADER_DAYS"], hours=1)
    second = property_matters.chase(later)
    db.session.commit()
    assert second.leaders == 1
    [leader] = _kinds("property_chase_leader")
    assert leader.person_id == place.leader.id and need.ref in leader.params["refs"]
    assert property_matters.chase(later + timedelta(days=3)).leaders == 0
    db.session.commit()
    assert _actions(need) == ["raised", "to_property", "property_chased", "property_chased"]
    assert "property_chased" not in _actions(answered)


def test_a_grid_without_a_leader_tells_the_secretary(place: Place) -> None:
    _company(place)
    wide = reports.reporter(place.secretary, today())
    assert wide is not None
    need = reports.report(
        wide, category="property", text="小区大门道闸坏了", place="北门", now=utcnow()
    )
    db.session.commit()
    assert need.grid_id is None  # community-wide: no grid leader
    referral = referrals.latest(need)
    assert referral is not None
    referral.due_at = utcnow() - timedelta(days=3)
    referral.chased_contact_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert property_matters.chase(utcnow()).leaders == 1
    db.session.commit()
    [told] = _kinds("property_chase_leader")
    assert told.person_id == place.secretary.id


def test_the_liaison_sees_the_grids_matters_and_the_ledger_counts_them(
    client: FlaskClient, place: Place, make: Any
) -> None:
    _company(place)
    liaison = make.person(name="物管员老冯")
    make.post(liaison, "property_liaison", community=place.community, grid=place.grid)
    far_liaison = make.person()
    make.post(far_liaison, "property_liaison", community=place.community, grid=place.other_grid)
    need, _resident = _resident_need(place, make)
    answered, _other = _resident_need(place, make)
    referral = referrals.latest(need)
    assert referral is not None
    referral.due_at = utcnow() - timedelta(hours=2)
    done = referrals.latest(answered)
    assert done is not None
    needs.answer_referral(done, "已修好", via="link", now=utcnow())
    property_matters.chase(utcnow())
    db.session.commit()

    sign_in_en(client, liaison.phone)
    page = client.get("/property").get_data(as_text=True)
    # Matched on the rows' ids: a bare "N2" may turn up in a page's token.
    assert f'id="matter-{need.id}"' in page
    assert "Late: past its deadline" in page and "company chased" in page
    assert f'id="matter-{answered.id}"' not in page
    shown = client.get("/property?list=answered").get_data(as_text=True)
    assert f'id="matter-{answered.id}"' in shown and "已修好" in shown
    assert f'id="matter-{need.id}"' not in shown
    assert client.get("/property?list=nonsense").status_code == 200
    read = db.session.scalar(
        select(AuditEntry).where(AuditEntry.actor_id == liaison.id).order_by(AuditEntry.id)
    )
    assert read is not None and read.subject_type == "property matters"
    other = client.application.test_client()
    sign_in_en(other, far_liaison.phone)
    assert f'id="matter-{need.id}"' not in other.get("/property").get_data(as_text=True)
    patroller = make.person()
    make.post(patroller, "patroller", community=place.community, grid=place.grid)
    third = client.application.test_client()
    sign_in_en(third, patroller.phone)
    assert third.get("/property").status_code == 404

    day = today()
    [row] = queries.property_matters_by_grid(place.community.id, day, day, now=utcnow())
    assert (row.grid_id, row.sent, row.answered, row.open_late, row.chased) == (
        place.grid.id,
        2,
        1,
        1,
        1,
    )
    assert (
        queries.property_matters_by_grid(
            place.community.id, day - timedelta(days=9), day - timedelta(days=1), now=utcnow()
        )
        == []
    )
    actions = [e.action for e in queries.events(place.community.id, day, day)]
    assert actions.count("to_property") == 2 and actions.count("property_answered") == 1
    assert actions.count("property_chased") == 1
    assert queries.events(place.community.id, day, day, grid_id=place.other_grid.id) == []


def test_the_secretary_sets_the_days_the_company_has(
    client: FlaskClient, place: Place, make: Any
) -> None:
    place.community.code = "xingfu-p"
    db.session.commit()
    sign_in_en(client, place.secretary.phone)
    url = "/admin/communities/xingfu-p/settings"
    page = client.get(url).get_data(as_text=True)
    assert 'name="property_answer_days"' in page and 'value="3"' in page
    for bad, said in (("0", "from 1 to 30 days"), ("三", "please enter a whole number")):
        refused = client.post(url, data=community_form(property_answer_days=bad))
        assert refused.status_code == 422 and said in refused.get_data(as_text=True)
    db.session.expire_all()
    assert place.community.property_answer_days is None
    assert client.post(url, data=community_form(property_answer_days="5")).status_code == 302
    db.session.expire_all()
    assert place.community.property_answer_days == 5
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "community.settings"))
    assert entry is not None and "property_answer_days: 3 → 5" in entry.detail
    # A property matter now has five days.
    _company(place)
    need, _resident = _resident_need(place, make)
    referral = referrals.latest(need)
    assert referral is not None and referral.due_at is not None
    assert referral.due_at - referral.sent_at == timedelta(days=5)
    # The app's default again: the community follows the app.
    assert client.post(url, data=community_form(property_answer_days="3")).status_code == 302
    db.session.expire_all()
    assert place.community.property_answer_days is None
