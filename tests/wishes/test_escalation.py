"""Escalation: an unclaimed wish goes to the building head, then the grid leader, then the
secretary, each told once; the job is safe to run twice; the resolving level is recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import Delivery, Wish, WishEvent, db, utcnow
from services.wishes import escalation, queries
from services.wishes import operations as wishes
from tests.wishes.test_wishes import World, build_world


@pytest.fixture
def w(make: Any) -> World:
    return build_world(make)  # the same small community as tests/wishes/test_wishes.py


def _told(kind: str = "wish_escalated") -> list[int | None]:
    return [
        d.person_id
        for d in db.session.scalars(
            select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)
        )
    ]


def _wish(w: World, category: str, posted: Any) -> Wish:
    wish = wishes.post_wish(
        resident=w.resident, category=category, text="需要帮助", by=None, via="sms", now=posted
    )
    db.session.commit()
    return wish


def test_each_level_is_told_once_in_turn(w: World) -> None:
    start = utcnow() - timedelta(days=10)
    wish = _wish(w, "repair", start)  # 24 h per step by default
    assert escalation.escalate_due(start + timedelta(hours=23)) == []
    db.session.commit()

    [first] = escalation.escalate_due(start + timedelta(hours=24, minutes=1))
    db.session.commit()
    assert first.level == 1 and wish.escalation_level == 1
    assert _told() == [w.head.id]
    # Run again at once, and again later but before the next step: nothing new.
    assert escalation.escalate_due(start + timedelta(hours=24, minutes=2)) == []
    assert escalation.escalate_due(start + timedelta(hours=47)) == []
    db.session.commit()
    assert _told() == [w.head.id]

    escalation.escalate_due(start + timedelta(hours=48, minutes=2))
    db.session.commit()
    assert _told() == [w.head.id, w.leader.id]
    escalation.escalate_due(start + timedelta(hours=72, minutes=3))
    db.session.commit()
    assert _told() == [w.head.id, w.leader.id, w.secretary.id]
    # The secretary is the top: days later nobody is told again.
    assert escalation.escalate_due(start + timedelta(days=9)) == []
    db.session.commit()
    assert len(_told()) == 3
    levels = [
        e.level
        for e in db.session.scalars(
            select(WishEvent).where(WishEvent.action == "escalated").order_by(WishEvent.id)
        )
    ]
    assert levels == [1, 2, 3]

    # Claimed now: the level that resolved it is kept.
    wishes.claim(wish, by=w.volunteer)
    db.session.commit()
    assert wish.resolved_level == 3
    assert queries.stats(w.community.id, utcnow()).by_level == {3: 1}


def test_categories_wait_their_own_time_and_settings_override(w: World) -> None:
    start = utcnow() - timedelta(days=2)
    escort = _wish(w, "escort", start)  # 6 h by default
    repair = _wish(w, "repair", start)
    events = escalation.escalate_due(start + timedelta(hours=7))
    db.session.commit()
    assert [e.wish_id for e in events] == [escort.id]
    # A community may set its own times: repair after 4 hours.
    events = escalation.escalate_due(start + timedelta(hours=7), {"repair": 4})
    db.session.commit()
    assert [e.wish_id for e in events] == [repair.id]


def test_a_level_with_nobody_in_post_is_passed_over(w: World, make: Any) -> None:
    other_building = make.building(w.grid)
    h = make.household(other_building)
    resident = make.resident(h, phone="+8613800000077")
    start = utcnow() - timedelta(days=2)
    wish = wishes.post_wish(
        resident=resident, category="repair", text="无人楼栋", by=None, via="sms", now=start
    )
    db.session.commit()
    [event] = escalation.escalate_due(start + timedelta(hours=25))
    db.session.commit()
    # No building head there: straight to the grid leader.
    assert event.level == 2 and wish.escalation_level == 2
    assert _told() == [w.leader.id]


def test_handed_back_wish_waits_again_before_the_next_step(w: World) -> None:
    start = utcnow() - timedelta(days=5)
    wish = _wish(w, "repair", start)
    escalation.escalate_due(start + timedelta(hours=25))
    wishes.claim(wish, by=w.volunteer, now=start + timedelta(hours=26))
    assert wish.resolved_level == 1
    wishes.hand_back(wish, by=w.volunteer, now=start + timedelta(hours=30))
    db.session.commit()
    assert escalation.escalate_due(start + timedelta(hours=50)) == []
    [event] = escalation.escalate_due(start + timedelta(hours=54, minutes=1))
    assert event.level == 2


def test_the_scheduled_job_escalates_and_is_idempotent(app: Flask, w: World) -> None:
    import pwa.cron  # noqa: F401  the cron entry is registered with the others
    from tasks import wishes as wish_jobs

    _wish(w, "escort", utcnow() - timedelta(hours=7))
    assert wish_jobs.escalate() == 1
    assert wish_jobs.escalate() == 0
    db.session.expire_all()
    assert _told() == [w.head.id]
