"""Work orders: creating (and refusing bad input), claiming by app/SMS/Telegram, withdrawing,
done → verify / reopen, and 50 volunteers claiming 20 places at the same moment."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import (
    Delivery,
    PartnerUnit,
    WorkOrder,
    WorkOrderClaim,
    WorkOrderEvent,
    db,
)
from models.base import writing
from models.clock import ZONE
from models.work_orders import OrderStatus
from notify import inbound
from pwa.views.needs import NEED_CONVERSIONS
from services.errors import InvalidInput
from services.work_orders import claims, queries
from services.work_orders import operations as work_orders
from services.work_orders.audiences import Audience, audience_people, count_reached
from services.work_orders.claims import ClaimOutcome

# The messages these tests read are the English ones.
pytestmark = pytest.mark.usefixtures("english")

# 10:00 in Shanghai: outside quiet hours.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZONE)
TODAY = date(2026, 11, 25)


class World:
    def __init__(self, make: Any, volunteers: int = 4) -> None:
        self.make = make
        self.community = make.community()
        self.grid1 = make.grid(self.community)
        self.grid2 = make.grid(self.community)
        self.secretary = make.person(name="书记")
        make.post(self.secretary, "secretary", community=self.community)
        self.leader1 = make.person(name="网格长一")
        make.post(self.leader1, "grid_leader", community=self.community, grid=self.grid1)
        self.leader2 = make.person(name="网格长二")
        make.post(self.leader2, "grid_leader", community=self.community, grid=self.grid2)
        self.volunteers = []
        for i in range(volunteers):
            v = make.person(name=f"志愿者{i}")
            make.post(v, "patroller", community=self.community, grid=self.grid1)
            self.volunteers.append(v)
        self.other = make.person(name="二网格志愿者")
        make.post(self.other, "observer", community=self.community, grid=self.grid2)

    def order(self, **kw: Any) -> WorkOrder:
        kw.setdefault("title", "清扫积雪")
        kw.setdefault("instructions", "清扫幸福家园主干道积雪")
        kw.setdefault("location", "幸福家园1-6号楼路段")
        kw.setdefault("starts_at", NOW + timedelta(hours=21))
        kw.setdefault("ends_at", NOW + timedelta(hours=23))
        kw.setdefault("places_needed", 2)
        kw.setdefault("audience", Audience(roles=("patroller",)))
        kw.setdefault("by", self.secretary)
        kw.setdefault("now", NOW)
        kw.setdefault("today", TODAY)
        order = work_orders.create_order(self.community, **kw)
        db.session.commit()
        return order


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def sms(phone: str, text: str, now: datetime = NOW, n: list[int] = [0]) -> str:  # noqa: B006
    n[0] += 1
    handled = inbound.handle(
        channel="sms",
        provider_id=f"SM{n[0]}-{phone}",
        address=phone,
        phone=phone,
        text=text,
        now=now,
    )
    db.session.commit()
    return handled.reply or ""


def test_create_announces_to_the_audience_with_a_claim_button(world: World) -> None:
    unit = PartnerUnit(community_id=world.community.id, name="区供电局")
    db.session.add(unit)
    db.session.commit()
    member = world.make.person(name="在职党员", partner_unit_id=unit.id)
    patroller2 = world.make.person(name="二网格巡逻员")
    world.make.post(patroller2, "patroller", community=world.community, grid=world.grid2)
    # Grid 1 and patrollers: grid 1's patrollers (not grid 2's patroller, nor grid 1's
    # leader), plus the partner unit's member.
    audience = Audience(grids=(world.grid1.id,), roles=("patroller",), partner_units=(unit.id,))
    assert count_reached(world.community.id, audience, TODAY) == 5
    order = world.order(audience=audience)
    assert order.ref == f"T{order.id}"
    rows = db.session.scalars(
        select(Delivery).where(Delivery.batch_key == f"work_order:{order.id}:new")
    ).all()
    reached = {d.person_id for d in rows}
    assert reached == {v.id for v in world.volunteers} | {member.id}
    assert not queries.in_audience(order, patroller2, TODAY)
    assert queries.in_audience(order, world.volunteers[0], TODAY)
    refused = claims.claim(order, by=patroller2, via="app", now=NOW, today=TODAY)
    assert refused.outcome == ClaimOutcome.NOT_FOR_YOU
    # A grid alone: everyone serving there; a post alone: that post in every grid.
    everyone2 = Audience(grids=(world.grid2.id,))
    assert {p.id for p in audience_people(world.community.id, everyone2, TODAY)} == {
        world.leader2.id,
        world.other.id,
        patroller2.id,
    }
    patrollers = Audience(roles=("patroller",))
    assert count_reached(world.community.id, patrollers, TODAY) == 5
    assert all(d.ref == order.ref for d in rows)
    assert rows[0].params["_actions"] == [["认领 Claim", f"认领 {order.ref}"]]
    assert (
        db.session.scalar(select(func.count()).where(WorkOrderEvent.order_id == order.id)) == 2
    )  # created, announced


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "  "}, "title"),
        ({"ends_at": NOW + timedelta(hours=20)}, "end after"),
        ({"places_needed": 0}, "At least one"),
        ({"places_needed": -3}, "At least one"),
        ({"places_needed": "twenty"}, "as a number"),
        ({"audience": Audience()}, "whom it goes to"),
        ({"instructions": "扫" * 10000}, "too long"),
        ({"audience": Audience(grids=(999999,))}, "not in your area"),
        ({"starts_at": NOW - timedelta(hours=3), "ends_at": NOW - timedelta(hours=1)}, "over"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(
    world: World, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        world.order(**change)
    assert message in error.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(WorkOrder.id))) == 0
    assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_grid_leader_order_stays_in_the_grid(world: World) -> None:
    with pytest.raises(InvalidInput):
        world.order(by=world.leader1, grid=world.grid1, audience=Audience(grids=(world.grid2.id,)))
    db.session.rollback()
    order = world.order(
        by=world.leader1, grid=world.grid1, audience=Audience(roles=("patroller", "observer"))
    )
    told = set(
        db.session.scalars(
            select(Delivery.person_id).where(Delivery.batch_key == f"work_order:{order.id}:new")
        )
    )
    # The observer of grid 2 is not told about grid 1's work.
    assert told == {v.id for v in world.volunteers}
    assert not queries.in_audience(order, world.other, TODAY)


def test_claim_by_sms_then_filled_then_withdraw_reopens(world: World) -> None:
    order = world.order(places_needed=2)
    a, b, c = world.volunteers[:3]
    assert "已认领任务" in sms(a.phone, f"认领 {order.ref}")
    assert "已认领" in sms(a.phone, f"认领{order.ref.lower()}")  # again: already yours
    assert "已认领任务" in sms(b.phone, f"ＣＬＡＩＭ　{order.ref}")  # full-width, English
    assert "已满员" in sms(c.phone, f"认领 {order.ref}")
    db.session.refresh(order)
    assert (order.places_claimed, order.status) == (2, OrderStatus.FILLED)
    assert "已退出" in sms(a.phone, f"退出 {order.ref}")
    db.session.refresh(order)
    assert (order.places_claimed, order.status) == (1, OrderStatus.OPEN)
    assert "已认领任务" in sms(c.phone, f"认领 {order.ref}")
    # a may come back only if a place is free: it is not.
    assert "已满员" in sms(a.phone, f"认领 {order.ref}")
    actions = Counter(
        db.session.scalars(select(WorkOrderEvent.action).where(WorkOrderEvent.order_id == order.id))
    )
    assert actions["claimed"] == 3 and actions["withdrawn"] == 1 and actions["claim_refused"] == 2


def test_claim_of_unknown_closed_or_foreign_order_by_sms(world: World) -> None:
    order = world.order()
    v = world.volunteers[0]
    assert "已结束或不存在" in sms(v.phone, "认领 T999999")
    assert "不在您的范围" in sms(world.other.phone, f"认领 {order.ref}")
    work_orders.cancel(order, by=world.secretary, now=NOW)
    db.session.commit()
    assert "已结束或不存在" in sms(v.phone, f"认领 {order.ref}")
    assert "未找到您的志愿者登记" in sms("+8613999990000", f"认领 {order.ref}")
    assert "已结束或不存在" in sms(v.phone, f"退出 {order.ref}")
    assert db.session.scalar(select(func.count(WorkOrderClaim.id))) == 0


def test_start_done_by_sms_then_verify_or_reopen_with_reason(world: World) -> None:
    order = world.order(places_needed=1)
    v = world.volunteers[0]
    sms(v.phone, f"认领 {order.ref}")
    assert "您没有认领" in sms(world.volunteers[1].phone, f"完成 {order.ref} 扫完了")
    assert "开始" in sms(v.phone, f"开始 {order.ref}")
    assert "完成" in sms(v.phone, f"完成 {order.ref} 主干道已清扫")
    db.session.refresh(order)
    assert order.status == OrderStatus.DONE
    assert order.claims[0].note == "主干道已清扫"
    to_check = db.session.scalar(select(Delivery).where(Delivery.kind == "work_order_to_check"))
    assert to_check is not None and to_check.person_id == world.secretary.id
    with pytest.raises(InvalidInput):
        work_orders.reopen(order, by=world.secretary, reason="   ", now=NOW)
    work_orders.reopen(order, by=world.secretary, reason="3号楼门口还有积雪", now=NOW)
    db.session.commit()
    assert order.status == OrderStatus.FILLED and order.claims[0].done_at is None
    told = db.session.scalar(select(Delivery).where(Delivery.kind == "work_order_reopened"))
    assert told is not None and told.person_id == v.id
    assert told.params["reason"] == "3号楼门口还有积雪"
    sms(v.phone, f"完成 {order.ref} 门口也扫了")
    work_orders.verify(order, by=world.secretary, now=NOW)
    db.session.commit()
    assert order.status == OrderStatus.VERIFIED and order.verified_by_id == world.secretary.id
    assert "已结束" in sms(v.phone, f"退出 {order.ref}")


def test_telegram_button_claims(world: World) -> None:
    from models import TelegramLink
    from pwa import telegram_bot

    order = world.order(places_needed=1)
    v = world.volunteers[0]
    db.session.add(TelegramLink(person_id=v.id, chat_id=5551, linked_at=NOW))
    db.session.commit()
    update = {
        "update_id": 7001,
        "callback_query": {
            "id": "cb1",
            "from": {"id": 5551},
            "message": {"message_id": 1, "chat": {"id": 5551, "type": "private"}},
            "data": f"认领 {order.ref}",
        },
    }
    answer = telegram_bot.handle(update, 7001, now=NOW)
    db.session.commit()
    assert answer is not None and "已认领任务" in (answer.text or "")
    claim = db.session.scalar(select(WorkOrderClaim))
    assert claim is not None and claim.via == "telegram" and claim.person_id == v.id


def test_fifty_volunteers_claim_twenty_places_at_once(app: Flask, make: Any) -> None:
    world = World(make, volunteers=50)
    order = world.order(places_needed=20)
    phones = [v.phone for v in world.volunteers]
    ref = order.ref  # read here: the threads must not touch this session's objects
    db.session.commit()
    barrier = threading.Barrier(len(phones))
    replies: dict[str, str] = {}
    errors: list[BaseException] = []

    def claim(phone: str) -> None:
        try:
            with app.app_context(), writing():
                barrier.wait(30)
                handled = inbound.handle(
                    channel="sms",
                    provider_id=f"race-{phone}",
                    address=phone,
                    phone=phone,
                    text=f"认领 {ref}",
                    now=NOW,
                )
                db.session.commit()
                replies[phone] = handled.reply or ""
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=claim, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    outcome = Counter(
        "won" if "已认领任务" in r else "filled" if "已满员" in r else r for r in replies.values()
    )
    assert outcome == {"won": 20, "filled": 30}
    db.session.rollback()
    db.session.refresh(order)
    assert (order.places_claimed, order.status) == (20, OrderStatus.FILLED)
    active = db.session.scalar(
        select(func.count(WorkOrderClaim.id)).where(
            WorkOrderClaim.order_id == order.id, WorkOrderClaim.withdrawn_at.is_(None)
        )
    )
    assert active == 20


def test_service_claim_outcomes(world: World) -> None:
    order = world.order(places_needed=1)
    a, b = world.volunteers[:2]
    first = claims.claim(order, by=a, via="app", now=NOW, today=TODAY)
    assert first.outcome == ClaimOutcome.CLAIMED
    assert claims.claim(order, by=b, via="app", now=NOW, today=TODAY).outcome == (
        ClaimOutcome.FILLED
    )
    late = NOW + timedelta(days=2)
    claims.withdraw(order, by=a, via="app", now=NOW)
    assert claims.claim(order, by=b, via="app", now=late, today=TODAY).outcome == (
        ClaimOutcome.CLOSED
    )


def test_need_turned_into_a_work_order_is_settled_when_verified(world: World) -> None:
    needs = pytest.importorskip("services.needs.operations")
    from models import Need

    building = world.make.building(world.grid1)
    household = world.make.household(building)
    world.make.resident(household, phone="+8613911119999", sms_consent=True)
    need = needs.raise_need(
        community_id=world.community.id,
        household=household,
        source="observer",
        by=world.leader1,
        category="environment",
        text="楼前下水道堵塞",
        now=NOW,
    )
    needs.decide(
        need,
        by=world.leader1,
        decision="work_order",
        today=TODAY,
        now=NOW,
        conversions=NEED_CONVERSIONS,
    )
    db.session.commit()
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.need_id == need.id))
    assert order is not None and need.converted_ref == order.ref
    v = world.volunteers[0]
    assert "已认领任务" in sms(v.phone, f"认领 {order.ref}")
    assert "完成" in sms(v.phone, f"完成 {order.ref} 已疏通")
    work_orders.verify(order, by=world.leader1, now=NOW + timedelta(hours=1))
    db.session.commit()
    db.session.refresh(need)
    settled = db.session.get(Need, need.id)
    assert settled is not None and settled.status != "in_hand"
    assert "已疏通" in settled.answer
