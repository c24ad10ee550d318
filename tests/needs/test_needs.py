"""The needs list: who decides, every decision answers the resident, age, conversions."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Delivery, Need, NeedEvent, NeedStatus, PartnerUnit, db, utcnow
from notify import inbound
from pwa import auth
from pwa.views.needs import NEED_CONVERSIONS
from services.errors import DomainError
from services.needs import operations as needs
from tests.visits.test_visits import Place, build_place, sign_in_en


@pytest.fixture
def place(make: Any) -> Place:
    return build_place(make)


_provider = itertools.count(1000)


def _need(
    place: Place, *, text: str = "楼道灯不亮", resident: Any = None, days_old: int = 0
) -> Need:
    household = place.h501
    need = needs.raise_need(
        community_id=place.community.id,
        household=household,
        source="visit",
        by=place.head,
        category="repairs",
        text=text,
        resident_id=resident.id if resident else household.residents[0].id,
        now=utcnow() - timedelta(days=days_old),
    )
    db.session.commit()
    return need


def _deliveries(kind: str) -> list[Delivery]:
    db.session.rollback()
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == kind)))


def test_solved_on_the_spot_answers_the_resident(client: FlaskClient, place: Place) -> None:
    need = _need(place)
    sign_in_en(client, place.leader.phone)
    response = client.post(
        f"/needs/{need.id}/decide", data={"decision": "solved", "answer": "物业已更换灯泡"}
    )
    assert response.status_code == 302
    db.session.rollback()
    need = db.session.get(Need, need.id)
    assert need.status == NeedStatus.ANSWERED and need.decision == "solved"
    assert need.decided_by_id == place.leader.id and need.answered_at is not None
    sent = _deliveries("need_solved")
    assert len(sent) == 1
    # 孙大爷 has no phone of his own: the household's contact hears it, for him.
    assert sent[0].resident_id == need.resident_id
    assert sent[0].address == place.h501.contact_phone
    assert sent[0].params["answer"] == "物业已更换灯泡"
    actions = [e.action for e in db.session.scalars(select(NeedEvent).order_by(NeedEvent.id))]
    assert actions == ["raised", "solved", "answered"]


def test_only_grid_leader_or_secretary_decide(client: FlaskClient, place: Place) -> None:
    need = _need(place)
    for person in (place.head, place.observer):
        client.post("/sign-out")
        sign_in_en(client, person.phone)
        page = client.get("/needs").get_data(as_text=True)
        assert "楼道灯不亮" in page and f'href="/needs/{need.id}/decide"' not in page
        # Its own page says who decides, with no form.
        own = client.get(f"/needs/{need.id}/decide").get_data(as_text=True)
        assert "The secretary or this grid&#39;s leader decides it." in own
        assert f'action="/needs/{need.id}/decide"' not in own
        response = client.post(
            f"/needs/{need.id}/decide", data={"decision": "solved", "answer": "好了"}
        )
        assert response.status_code == 422
        assert "Only the grid leader or the secretary" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Need, need.id).status == NeedStatus.OPEN
    assert _deliveries("need_solved") == []
    client.post("/sign-out")
    sign_in_en(client, place.secretary.phone)
    assert f'href="/needs/{need.id}/decide"' in client.get("/needs").get_data(as_text=True)
    assert f'action="/needs/{need.id}/decide"' in client.get(f"/needs/{need.id}/decide").get_data(
        as_text=True
    )
    client.post(
        f"/needs/{need.id}/decide", data={"decision": "declined", "reason": "不属于社区职责"}
    )
    assert len(_deliveries("need_declined")) == 1
    # Decided once: a second decision is refused.
    again = client.post(f"/needs/{need.id}/decide", data={"decision": "solved", "answer": "x"})
    assert again.status_code == 422 and "already been decided" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"decision": "solved", "answer": " "}, "how it was solved"),
        ({"decision": "declined", "reason": ""}, "reason for declining"),
        ({"decision": "referred"}, "partner unit"),
        ({"decision": "maybe"}, "Choose a decision"),
        ({"decision": "solved", "answer": "长" * 400}, "under 300"),
    ],
)
def test_a_decision_without_what_it_needs_changes_nothing(
    client: FlaskClient, place: Place, form: dict[str, str], message: str
) -> None:
    need = _need(place)
    sign_in_en(client, place.leader.phone)
    response = client.post(f"/needs/{need.id}/decide", data=form)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.rollback()
    need = db.session.get(Need, need.id)
    assert need.status == NeedStatus.OPEN and need.decision is None and need.decided_by_id is None
    assert db.session.scalar(select(Delivery).where(Delivery.kind.startswith("need_"))) is None


def test_referred_to_a_partner_unit(client: FlaskClient, make: Any, place: Place) -> None:
    unit = PartnerUnit(
        community_id=place.community.id, name="社区卫生服务站", contact_phone="+8613900001111"
    )
    db.session.add(unit)
    db.session.commit()
    resident = make.resident(place.h601, name="有手机", phone=make.phone(), sms_consent=True)
    need = _need(place, resident=resident, text="想办理医保复审")
    sign_in_en(client, place.leader.phone)
    client.post(
        f"/needs/{need.id}/decide",
        data={"decision": "referred", "partner_unit_id": str(unit.id), "answer": "周三上门"},
    )
    sent = _deliveries("need_referred")
    assert len(sent) == 1 and sent[0].address == resident.phone
    assert sent[0].params["unit"] == "社区卫生服务站"
    db.session.rollback()
    need = db.session.get(Need, need.id)
    assert need.partner_unit_id == unit.id
    # In hand until the unit answers (tests/needs/test_referrals.py).
    assert need.status == NeedStatus.IN_HAND and need.decision == "referred"
    assert [d.address for d in _deliveries("need_to_partner")] == ["+8613900001111"]


def test_open_needs_show_their_age_and_old_ones_stand_out(
    client: FlaskClient, place: Place
) -> None:
    _need(place, text="新的需求")
    _need(place, text="很久的需求", days_old=12)
    sign_in_en(client, place.leader.phone)
    page = client.get("/needs").get_data(as_text=True)
    assert "12" in page and 'class="need old"' in page
    # Oldest first.
    assert page.index("很久的需求") < page.index("新的需求")
    assert page.count('class="need old"') == 1


def test_a_need_with_empty_text_is_refused(place: Place) -> None:
    with pytest.raises(DomainError):
        needs.raise_need(
            community_id=place.community.id,
            household=place.h501,
            source="observer",
            by=place.observer,
            category="repairs",
            text="  ",
            now=utcnow(),
        )


def test_observer_adds_a_need_on_the_web_and_by_sms(client: FlaskClient, place: Place) -> None:
    sign_in_en(client, place.observer.phone)
    bad = client.post(
        "/needs/new", data={"household_id": str(place.h501.id), "category": "repairs", "text": ""}
    )
    assert bad.status_code == 422 and "empty" in bad.get_data(as_text=True)
    outside = client.post(
        "/needs/new", data={"household_id": str(place.h_far.id), "category": "repairs", "text": "x"}
    )
    assert outside.status_code == 422 and "not in your area" in outside.get_data(as_text=True)
    ok = client.post(
        "/needs/new",
        data={
            "household_id": str(place.h_neighbour.id),
            "category": "environment",
            "text": "下水道堵了",
        },
    )
    assert ok.status_code == 302
    handled = inbound.handle(
        channel="sms",
        provider_id=f"P{next(_provider)}",
        address=place.observer.phone,
        phone=place.observer.phone,
        text="需求 3-2-601 电梯异响",
        now=utcnow(),
    )
    db.session.commit()
    assert handled.reply and "电梯异响" in handled.reply
    texts = {n.text: n for n in db.session.scalars(select(Need))}
    assert set(texts) == {"下水道堵了", "电梯异响"}
    assert (
        texts["电梯异响"].source == "observer" and texts["电梯异响"].household_id == place.h601.id
    )


def test_a_resident_raises_a_need_by_sms(make: Any, place: Place) -> None:
    phone = make.phone()
    resident = make.resident(place.h601, name="李叔", phone=phone)
    handled = inbound.handle(
        channel="sms",
        provider_id=f"P{next(_provider)}",
        address=phone,
        phone=phone,
        text="需求 楼下路灯坏了",
        now=utcnow(),
    )
    db.session.commit()
    assert handled.reply and "N" in handled.reply
    need = db.session.scalar(select(Need))
    assert need is not None and need.source == "resident" and need.resident_id == resident.id


def test_turned_into_a_micro_wish_and_settled_when_done(place: Place) -> None:
    wishes = pytest.importorskip("services.wishes.operations")
    need = _need(place, text="帮忙买菜")
    today = auth.today()
    needs.decide(
        need,
        by=place.leader,
        decision="wish",
        today=today,
        now=utcnow(),
        conversions=NEED_CONVERSIONS,
    )
    db.session.commit()
    assert need.status == NeedStatus.IN_HAND and need.converted_ref
    wish = db.session.scalar(select(wishes.Wish).where(wishes.Wish.need_id == need.id))
    assert wish is not None and wish.ref == need.converted_ref
    assert len(_deliveries("need_in_hand")) == 1
    needs.settle_from(need.converted_ref, "志愿者已送菜上门", utcnow())
    db.session.commit()
    need = db.session.get(Need, need.id)
    assert need.status == NeedStatus.ANSWERED and need.answer == "志愿者已送菜上门"
    assert len(_deliveries("need_settled")) == 1
    # Settling twice changes nothing and sends nothing more.
    needs.settle_from(need.converted_ref, "again", utcnow())
    db.session.commit()
    assert len(_deliveries("need_settled")) == 1


def test_turned_into_a_work_order(place: Place) -> None:
    work_orders = pytest.importorskip("services.work_orders.operations")
    need = _need(place, text="楼道堆物需清理")
    needs.decide(
        need,
        by=place.secretary,
        decision="work_order",
        today=auth.today(),
        now=utcnow(),
        conversions=NEED_CONVERSIONS,
    )
    db.session.commit()
    assert need.status == NeedStatus.IN_HAND and need.converted_ref
    order = db.session.scalar(
        select(work_orders.WorkOrder).where(work_orders.WorkOrder.need_id == need.id)
    )
    assert order is not None and order.ref == need.converted_ref
    needs.settle_from(order.ref, "已清理", utcnow())
    db.session.commit()
    assert db.session.get(Need, need.id).status == NeedStatus.ANSWERED


def test_a_resident_raises_a_need_in_the_app_and_sees_the_answer(
    client: FlaskClient, make: Any, place: Place
) -> None:
    person = make.person(name="李阿姨")
    resident = place.h601.residents[0]
    resident.person_id = person.id
    db.session.commit()
    sign_in_en(client, person.phone)
    assert "My needs" in client.get("/home", follow_redirects=True).get_data(as_text=True)
    bad = client.post("/needs/mine", data={"category": "repairs", "text": " "})
    assert bad.status_code == 422 and "empty" in bad.get_data(as_text=True)
    assert db.session.scalar(select(Need)) is None
    assert (
        client.post("/needs/mine", data={"category": "repairs", "text": "门锁坏了"}).status_code
        == 302
    )
    need = db.session.scalar(select(Need))
    assert need is not None and need.source == "resident" and need.resident_id == resident.id
    needs.decide(
        need, by=place.leader, decision="solved", answer="已换锁", today=auth.today(), now=utcnow()
    )
    db.session.commit()
    page = client.get("/needs/mine").get_data(as_text=True)
    assert "门锁坏了" in page and "已换锁" in page
    # The answer went to the resident as a person: their inbox has it too.
    sent = _deliveries("need_solved")
    assert len(sent) == 1 and sent[0].person_id == person.id
    # Someone who is no resident has no such page.
    client.post("/sign-out")
    sign_in_en(client, place.head.phone)
    assert client.get("/needs/mine").status_code == 404
