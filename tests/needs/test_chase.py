"""Needs waiting undecided are chased: the grid leader after NEED_CHASE_DAYS, the secretary
NEED_CHASE_SECRETARY_DAYS later; each stage tells its people once; a need given back by a
work order starts afresh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import Delivery, Need, db, utcnow
from pwa import auth
from pwa.views.needs import NEED_CONVERSIONS
from services.needs import chase
from services.needs import operations as needs
from services.work_orders import operations as work_orders
from services.work_orders.queries import find
from tasks import needs as need_jobs
from tests.visits.test_visits import Place, build_place


@pytest.fixture
def place(make: Any) -> Place:
    return build_place(make)


def _need(place: Place, household: Any, days_old: float, text: str = "楼道灯不亮") -> Need:
    need = needs.raise_need(
        community_id=place.community.id,
        household=household,
        source="observer",
        by=place.observer,
        category="repairs",
        text=text,
        now=utcnow() - timedelta(days=days_old),
    )
    db.session.commit()
    return need


def _sent(kind: str) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == kind)))


def test_leader_first_then_secretary_each_once(place: Place) -> None:
    old = _need(place, place.h501, 4, "楼道灯不亮")
    older = _need(place, place.h601, 5, "门禁坏了")
    _need(place, place.h501, 1, "刚提的需求")
    now = utcnow()
    report = chase.chase(now)
    db.session.commit()
    assert (report.leader_needs, report.secretary_needs) == (2, 0)
    [to_leader] = _sent("need_chase_leader")
    assert to_leader.person_id == place.leader.id
    assert to_leader.params["count"] == 2 and to_leader.params["days"] == 3
    assert set(to_leader.params["refs"].split("、")) == {old.ref, older.ref}
    # Run again at once, and a day later: nobody is told twice, the secretary not yet.
    chase.chase(now)
    chase.chase(now + timedelta(days=1))
    db.session.commit()
    assert len(_sent("need_chase_leader")) == 1 and _sent("need_chase_secretary") == []
    # Two days after the leader was told: the secretary, once.
    report = chase.chase(now + timedelta(days=2, minutes=1))
    chase.chase(now + timedelta(days=3))
    db.session.commit()
    assert report.secretary_needs == 2
    [to_secretary] = _sent("need_chase_secretary")
    assert to_secretary.person_id == place.secretary.id and to_secretary.params["days"] == 5


def test_a_decided_need_is_not_chased(place: Place) -> None:
    need = _need(place, place.h501, 4)
    needs.decide(
        need, by=place.leader, decision="solved", answer="已修好", today=auth.today(), now=utcnow()
    )
    db.session.commit()
    chase.chase(utcnow())
    db.session.commit()
    assert _sent("need_chase_leader") == []


def test_without_a_grid_leader_the_secretary_hears_at_once(place: Place) -> None:
    # 9号楼 is in the second grid, which has no grid leader.
    _need(place, place.h_far, 4)
    chase.chase(utcnow())
    chase.chase(utcnow() + timedelta(days=3))
    db.session.commit()
    assert _sent("need_chase_leader") == []
    [told] = _sent("need_chase_secretary")
    assert told.person_id == place.secretary.id and told.params["days"] == 3


def test_the_days_are_a_setting(app: Flask, place: Place) -> None:
    _need(place, place.h501, 4)
    before = app.config["NEED_CHASE_DAYS"]
    app.config["NEED_CHASE_DAYS"] = 7
    try:
        chase.chase(utcnow())
        db.session.commit()
        assert _sent("need_chase_leader") == []
    finally:
        app.config["NEED_CHASE_DAYS"] = before
    chase.chase(utcnow())
    db.session.commit()
    assert len(_sent("need_chase_leader")) == 1


def test_a_need_given_back_is_chased_afresh(place: Place) -> None:
    need = _need(place, place.h501, 10)
    chase.chase(utcnow())
    db.session.commit()
    assert len(_sent("need_chase_leader")) == 1
    needs.decide(
        need,
        by=place.leader,
        decision="work_order",
        today=auth.today(),
        now=utcnow(),
        conversions=NEED_CONVERSIONS,
    )
    db.session.commit()
    order = find(need.converted_ref or "")
    assert order is not None
    work_orders.cancel(order, by=place.secretary, now=utcnow())
    db.session.commit()
    db.session.refresh(need)
    assert need.status == "open" and need.chased_leader_at is None
    [back] = _sent("need_back_cancelled")
    assert back.person_id == place.leader.id and back.params["order"] == order.ref
    # Ten days old, but undecided only since it came back: not chased yet.
    chase.chase(utcnow() + timedelta(days=1))
    db.session.commit()
    assert len(_sent("need_chase_leader")) == 1
    chase.chase(utcnow() + timedelta(days=3, minutes=1))
    db.session.commit()
    assert len(_sent("need_chase_leader")) == 2


def test_the_job_chases_and_commits(place: Place) -> None:
    _need(place, place.h501, 4)
    assert need_jobs.chase()["leader_needs"] == 1
    assert need_jobs.chase()["leader_needs"] == 0
    assert len(_sent("need_chase_leader")) == 1
