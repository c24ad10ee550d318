"""A community's own settings are what its periodic jobs use: work-order escalation, wish
escalation per category, visit reminder days; a community that set nothing follows the app."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models import Delivery, db, utcnow
from services.administration import operations, settings
from services.visits import reminders
from services.wishes import escalation
from services.wishes import operations as wishes
from services.work_orders import chase as chasing
from tests.wishes.test_wishes import build_world
from tests.work_orders.test_work_orders import NOW, World


def _set(community: Any, by: Any, **changes: Any) -> None:
    base = settings.of(community)
    values = replace(base, sms_signature=base.sms_signature or "【邻里】", **changes)
    operations.change_settings(community, values, by=by)
    db.session.commit()


def _escalated(order_id: int) -> int:
    return len(
        db.session.scalars(
            select(Delivery.id).where(
                Delivery.kind == "work_order_escalate",
                Delivery.batch_key.like(f"work_order:{order_id}:%"),
            )
        ).all()
    )


def test_work_orders_escalate_after_the_communitys_own_hours(make: Any) -> None:
    slow = World(make, volunteers=2)
    usual = World(make, volunteers=2)
    _set(slow.community, slow.secretary, work_order_escalate_hours=5.0)
    slow_order = slow.order()
    usual_order = usual.order()
    chasing.chase(NOW + timedelta(hours=2))  # both announced again
    db.session.commit()
    chasing.chase(NOW + timedelta(hours=4))
    db.session.commit()
    # The app's 2 hours have passed for one; the other community waits its own 5.
    assert _escalated(usual_order.id) > 0
    assert _escalated(slow_order.id) == 0
    chasing.chase(NOW + timedelta(hours=7))
    db.session.commit()
    assert _escalated(slow_order.id) > 0


def test_wishes_escalate_after_the_communitys_own_hours_for_the_category(make: Any) -> None:
    w = build_world(make)
    _set(w.community, w.secretary, wish_escalation_hours={**settings.wish_defaults(), "repair": 2})
    other = make.community()
    building = make.building(make.grid(other))
    head = make.person(name="别的楼长")
    make.post(head, "building_head", community=other, building=building)
    resident = make.resident(make.household(building), phone="+8613800000002")
    start = utcnow() - timedelta(days=3)
    fast = wishes.post_wish(
        resident=w.resident, category="repair", text="水龙头坏了", by=None, via="sms", now=start
    )
    usual = wishes.post_wish(
        resident=resident, category="repair", text="水龙头坏了", by=None, via="sms", now=start
    )
    db.session.commit()
    events = escalation.escalate_due(start + timedelta(hours=2, minutes=1))
    db.session.commit()
    assert [e.wish_id for e in events] == [fast.id]
    assert usual.escalation_level == 0
    # Other categories of the same community keep the app's hours (errand: 12).
    assert settings.of(w.community).wish_escalation_hours["errand"] == 12.0


def test_visit_reminders_follow_the_communitys_days(make: Any) -> None:
    community = make.community()
    secretary = make.person()
    make.post(secretary, "secretary", community=community)
    defaults = settings.visit_defaults()
    assert reminders.schedule_of(community.id, defaults) == defaults
    _set(community, secretary, reminder_day=3, reminder_hour=8, digest_day=6, digest_hour=18)
    assert reminders.schedule_of(community.id, defaults) == reminders.Schedule(3, 8, 6, 18)
