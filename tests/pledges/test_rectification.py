"""Rectification (整改): the grids below the threshold, a plan opened (and bad plans refused),
actions marked done by the grid leader, the re-check's result, reminders, and the events."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import (
    Delivery,
    PlanStatus,
    PledgeRating,
    RectificationAction,
    RectificationEvent,
    RectificationPlan,
    db,
)
from models.clock import at
from services.errors import DomainError, InvalidInput, NotFound
from services.pledges import operations, rectification
from services.pledges.rectification import ActionLine
from tests.pledges.world import NOW, Q3, TODAY, World


@pytest.fixture
def w(make: Any, app: Flask, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setitem(app.config, "RECTIFICATION_MIN_RATINGS", 2)
    world = World(make)
    world.open_round()
    # Grid 1: 2, 3, 2 (2.33 of 5 from 3); grid 2: 5, 4 (4.5 from 2).
    for household, post, value in (
        (world.h1, world.head1_post, 2),
        (world.h2, world.head1_post, 3),
        (world.h3, world.leader1_post, 2),
        (world.h4, world.head3_post, 5),
        (world.h4, world.leader2_post, 4),
    ):
        operations.rate(
            world.rating(household, post), value, by=None, via="sms", now=NOW, today=TODAY
        )
    db.session.commit()
    return world


def _lines(w: World, **kw: Any) -> list[ActionLine]:
    due = kw.get("due", TODAY + timedelta(days=10))
    return [
        ActionLine("楼栋长每周走访独居老人", w.head1.id, due),
        ActionLine("网格长召开居民议事会", w.leader1.id, due + timedelta(days=5)),
    ]


def _open(w: World, **kw: Any) -> RectificationPlan:
    kw.setdefault("by", w.secretary)
    kw.setdefault("actions", _lines(w))
    kw.setdefault("recheck_on", TODAY + timedelta(days=30))
    plan = rectification.open_plan(w.community, w.g1, Q3, now=NOW, today=TODAY, **kw)
    db.session.commit()
    return plan


def _count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_grids_below_the_threshold(w: World, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    low = rectification.low_grids(w.community.id, Q3)
    assert [(g.grid.id, g.figure.average, g.figure.count, g.plan) for g in low] == [
        (w.g1.id, 2.33, 3, None)
    ]
    # Too few ratings to count: not listed.
    monkeypatch.setitem(app.config, "RECTIFICATION_MIN_RATINGS", 4)
    assert rectification.low_grids(w.community.id, Q3) == []
    # A higher threshold lists grid 2 as well, lowest first.
    monkeypatch.setitem(app.config, "RECTIFICATION_MIN_RATINGS", 2)
    monkeypatch.setitem(app.config, "RECTIFICATION_THRESHOLD", 4.6)
    assert [g.grid.id for g in rectification.low_grids(w.community.id, Q3)] == [w.g1.id, w.g2.id]


def test_the_whole_lifecycle(w: World) -> None:
    plan = _open(w)
    assert plan.satisfaction == 2.33 and plan.ratings == 3 and plan.status == PlanStatus.OPEN
    assert rectification.low_grids(w.community.id, Q3)[0].plan == plan
    first, second = plan.actions
    # The grid leader marks an action done with a note; another grid's leader may not.
    with pytest.raises(DomainError):
        rectification.mark_done(plan, first, by=w.leader2, note="做了", now=NOW, today=TODAY)
    with pytest.raises(InvalidInput):
        rectification.mark_done(plan, first, by=w.leader1, note="  ", now=NOW, today=TODAY)
    rectification.mark_done(plan, first, by=w.leader1, note="已走访4次", now=NOW, today=TODAY)
    db.session.commit()
    assert first.done_at is not None and first.done_by_id == w.leader1.id
    with pytest.raises(DomainError):
        rectification.mark_done(plan, first, by=w.leader1, note="又做了", now=NOW, today=TODAY)
    # The re-check: not before its date, not by the grid leader, and with a comment.
    with pytest.raises(DomainError):
        rectification.record_result(
            plan, by=w.secretary, passed=True, comment="好", now=NOW, today=TODAY
        )
    day = plan.recheck_on
    with pytest.raises(DomainError):
        rectification.record_result(
            plan, by=w.leader1, passed=True, comment="好", now=NOW, today=day
        )
    with pytest.raises(InvalidInput):
        rectification.record_result(
            plan, by=w.secretary, passed=True, comment=" ", now=NOW, today=day
        )
    rectification.record_result(
        plan, by=w.secretary, passed=False, comment="议事会未开", now=NOW, today=day
    )
    db.session.commit()
    assert plan.status == PlanStatus.NOT_PASSED and plan.result_comment == "议事会未开"
    with pytest.raises(DomainError):
        rectification.mark_done(plan, second, by=w.leader1, note="补开了", now=NOW, today=day)
    start, end = at(TODAY, time(0)), at(day + timedelta(days=1), time(0))
    actions = [e.action for e in rectification.events(w.community.id, start, end)]
    assert actions == ["opened", "action_done", "rechecked"]
    assert rectification.events(w.community.id, start, end, grid_id=w.g2.id) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"actions": []}, "至少写一项"),
        ({"due": TODAY - timedelta(days=1)}, "不能早于今天"),
        ({"recheck_on": TODAY + timedelta(days=3)}, "复查日期须在"),
        ({"holder": "stranger"}, "在岗人员"),
        ({"text": " "}, "都要填写内容"),
        ({"by": "leader"}, "由社区建立"),
    ],
)
def test_bad_plans_are_refused_and_nothing_is_kept(
    w: World, make: Any, change: dict[str, Any], message: str
) -> None:
    kw: dict[str, Any] = {}
    lines = _lines(w, due=change.get("due", TODAY + timedelta(days=10)))
    if change.get("holder"):
        lines[0] = ActionLine(lines[0].text, make.person(name="外人").id, lines[0].due_on)
    if "text" in change:
        lines[1] = ActionLine(change["text"], lines[1].holder_id, lines[1].due_on)
    kw["actions"] = change.get("actions", lines)
    if "recheck_on" in change:
        kw["recheck_on"] = change["recheck_on"]
    if change.get("by") == "leader":
        kw["by"] = w.leader1
    with pytest.raises(DomainError, match=message):
        _open(w, **kw)
    db.session.rollback()
    assert _count(RectificationPlan) == 0 and _count(RectificationAction) == 0


def test_only_low_grids_and_one_plan_a_quarter(w: World) -> None:
    with pytest.raises(DomainError, match="不低于标准"):
        rectification.open_plan(
            w.community,
            w.g2,
            Q3,
            by=w.secretary,
            actions=_lines(w),
            recheck_on=TODAY + timedelta(days=30),
            now=NOW,
            today=TODAY,
        )
    _open(w, by=w.staff)
    with pytest.raises(DomainError, match="已有"):
        _open(w)


def test_who_sees_which_plans(w: World) -> None:
    plan = _open(w)
    assert rectification.plans_for(w.secretary, TODAY) == [plan]
    assert rectification.plans_for(w.leader1, TODAY) == [plan]
    assert rectification.plans_for(w.leader2, TODAY) == []
    assert rectification.plans_for(w.head1, TODAY) == []
    assert rectification.get_plan(w.leader1, plan.id, TODAY) == plan
    for outsider in (w.leader2, w.head1, w.patroller):
        with pytest.raises(NotFound):
            rectification.get_plan(outsider, plan.id, TODAY)


def test_reminders_before_deadlines_and_on_the_recheck_date(w: World) -> None:
    plan = _open(w)
    first, second = plan.actions

    def sent(kind: str) -> list[str]:
        rows = db.session.scalars(select(Delivery).where(Delivery.kind == kind)).all()
        return sorted(d.recipient_key for d in rows)

    # Ten days before: nobody.
    assert rectification.remind(NOW, TODAY) == 0
    # Three days before the first deadline: its holder, once.
    day = first.due_on - timedelta(days=3)
    assert rectification.remind(at(day, time(9)), day) == 1
    assert rectification.remind(at(day, time(10)), day) == 0
    db.session.commit()
    assert sent("rectification_action_due") == [f"p{w.head1.id}"]
    # A done action is not chased; the re-check date tells the secretary, once.
    rectification.mark_done(plan, second, by=w.leader1, note="已开会", now=NOW, today=TODAY)
    day = plan.recheck_on
    assert rectification.remind(at(day, time(9)), day) == 1
    assert rectification.remind(at(day, time(10)), day) == 0
    db.session.commit()
    assert sent("rectification_action_due") == [f"p{w.head1.id}"]
    assert sent("rectification_recheck_due") == [f"p{w.secretary.id}"]
    delivery = db.session.scalar(
        select(Delivery).where(Delivery.kind == "rectification_recheck_due")
    )
    assert delivery is not None and delivery.params["grid"] == "第一网格"
    reminded = db.session.scalars(
        select(RectificationEvent.action).where(RectificationEvent.plan_id == plan.id)
    ).all()
    assert reminded.count("reminded") == 1 and reminded.count("recheck_due") == 1


def test_following_quarter_satisfaction_beside_the_result(w: World) -> None:
    plan = _open(w)
    assert rectification.following_figure(plan, TODAY).count == 0
    # Q4's round, answered better.
    q4_day = date(2027, 1, 3)
    operations.open_round(
        w.community, Q3.next, by=w.secretary, now=at(q4_day, time(10)), today=q4_day
    )
    db.session.commit()
    from_q4 = [
        row
        for row in db.session.scalars(select(PledgeRating).where(PledgeRating.grid_id == w.g1.id))
        if row.round.quarter_first == Q3.next.first
    ]
    for row, value in zip(from_q4, (4, 5), strict=False):
        operations.rate(row, value, by=None, via="app", now=at(q4_day, time(11)), today=q4_day)
    db.session.commit()
    figure = rectification.following_figure(plan, q4_day)
    assert (figure.average, figure.count) == (4.5, 2)
