"""The assessment's rules: indicators counted by hand, weights, publishing freezes, stars."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from models import (
    AssessmentRow,
    AssessmentWeight,
    AuditEntry,
    Delivery,
    HouseholdMonth,
    Street,
    SubjectKind,
    db,
    utcnow,
)
from notify import templates
from services.assessment import indicators, operations, queries, weights
from services.assessment.indicators import GRID, Scope
from services.assessment.operations import stars_for
from services.assessment.periods import Period, parse, previous_quarter
from services.errors import DomainError
from tests.assessment.world import Q3, World

TODAY = date(2026, 12, 6)


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def _compute(world: World, period: Period = Q3) -> Any:
    found = operations.compute(
        world.community, period, by=world.secretary, now=utcnow(), today=TODAY
    )
    db.session.commit()
    return found


def _row(assessment: Any, kind: str, ident: int) -> AssessmentRow:
    for row in assessment.rows:
        if row.subject_kind == kind and (row.grid_id if kind == GRID else row.post_id) == ident:
            return row
    raise AssertionError(f"no row {kind} {ident}")


def _values(row: AssessmentRow) -> dict[str, float | None]:
    return {v.indicator: v.value for v in row.values}


def test_indicators_match_the_hand_count(world: World) -> None:
    assessment = _compute(world)
    grid1 = _values(_row(assessment, GRID, world.grid1.id))
    assert grid1 == {
        "visit_coverage": 44.4,  # 4 household-months visited of 3 households × 3 months
        "needs_answered": 33.3,  # 1 of 3 within 7 days
        "wishes_fulfilled": 50.0,  # 1 of 2 (the withdrawn one not counted)
        "wishes_not_escalated": 50.0,
        "residents_rating": 75.0,  # a 5 and a 3: (4 + 2) of 8
        "patrol_shifts_kept": 50.0,
        "meetings_attended": 66.7,  # 2 of 3 present
        "campaign_reach": 66.7,  # 2 of 3 households told
        "pledge_rating": 66.7,  # its heads' 4, 2 and 5: (3 + 1 + 4) of 12
    }
    grid2 = _values(_row(assessment, GRID, world.grid2.id))
    assert grid2["visit_coverage"] == 66.7  # h4: 2 of 3 months
    assert grid2["needs_answered"] is None and grid2["residents_rating"] is None

    head = _values(_row(assessment, SubjectKind.POST, world.head_post.id))
    assert head == {
        "visit_coverage": 66.7,  # b1: 4 of 2 × 3
        "needs_answered": 33.3,
        "wishes_fulfilled": 50.0,
        "wishes_not_escalated": 50.0,
        "residents_rating": 100.0,  # b1's only rating: the wish's 5
        "meetings_attended": 0.0,  # invited, marked absent
        "campaign_reach": 50.0,  # b1: h1 of h1, h2
        "pledge_rating": 50.0,  # their own 4 and 2: (3 + 1) of 8
    }
    patroller = _values(_row(assessment, SubjectKind.POST, world.patroller_post.id))
    assert patroller == {
        "wishes_fulfilled": 100.0,  # the one wish they claimed
        "residents_rating": 100.0,
        "patrol_shifts_kept": 50.0,
        "meetings_attended": 100.0,
    }
    mediator = _values(_row(assessment, SubjectKind.POST, world.mediator_post.id))
    assert mediator["residents_rating"] == 50.0  # a 3
    assert mediator["meetings_attended"] is None  # not invited: nothing to count
    publicist = _values(_row(assessment, SubjectKind.POST, world.publicist_post.id))
    assert publicist["campaign_reach"] == 66.7  # the grid they are placed in
    leader = _values(_row(assessment, SubjectKind.POST, world.leader_post.id))
    assert leader["visit_coverage"] == 44.4 and leader["meetings_attended"] == 100.0
    assert leader["pledge_rating"] == 100.0  # a 5
    assert grid2["pledge_rating"] is None  # nobody rated its heads


def test_each_indicator_is_one_query_for_all_subjects(world: World, app: Any) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    subjects = tuple(s for s, _name, _place in operations._subjects(world.community, Q3))
    scope = Scope(world.community.id, Q3, subjects, TODAY, utcnow(), 7)
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for indicator in indicators.INDICATORS:
            before = len(statements)
            indicator.compute(scope)
            assert len(statements) - before == 1, indicator.code
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_total_weights_and_stars(world: World) -> None:
    assessment = _compute(world)
    head = _row(assessment, SubjectKind.POST, world.head_post.id)
    # (66.7×25 + 33.3×20 + 50×15 + 50×5 + 100×15 + 0×10 + 50×10 + 50×10 pledges) / 110
    assert head.computed == 53.0 and head.total == 53.0 and head.stars == 1
    leader = _row(assessment, SubjectKind.POST, world.leader_post.id)
    assert leader.stars is None  # grid leaders are assessed, stars go to heads and N members

    weights.set_for(
        {
            code: (1.0 if code == "visit_coverage" else 0.0)
            for code in weights.effective(world.community)
        },
        by=world.secretary,
        community=world.community,
    )
    db.session.commit()
    assessment = _compute(world)
    head = _row(assessment, SubjectKind.POST, world.head_post.id)
    assert head.total == 66.7 and head.stars == 2
    grid2 = _row(assessment, GRID, world.grid2.id)
    grid1 = _row(assessment, GRID, world.grid1.id)
    assert (grid2.rank, grid1.rank) == (1, 2)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.weights"))


def test_street_weights_are_the_default_the_community_may_override(world: World) -> None:
    street = Street(name="城关街道", code="chengguan")
    db.session.add(street)
    db.session.flush()
    world.community.street_id = street.id
    weights.set_for({"visit_coverage": 50.0}, by=world.secretary, street=street)
    assert weights.effective(world.community)["visit_coverage"] == 50.0
    weights.set_for({"visit_coverage": 5.0}, by=world.secretary, community=world.community)
    assert weights.effective(world.community)["visit_coverage"] == 5.0
    assert weights.for_street(street)["visit_coverage"] == 50.0


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"visit_coverage": "abc"}, "must be a number"),
        ({"visit_coverage": "-5"}, "must be from 0 to 100"),
        ({"visit_coverage": "101"}, "must be from 0 to 100"),
        ({"visit_coverage": "nan"}, "must be from 0 to 100"),
        ({"visit_coverage": ""}, "Give a weight"),
        ({}, "At least one weight must be more than 0"),
    ],
)
def test_bad_weights_are_refused(typed: dict[str, str], message: str) -> None:
    raw = {code: "0" for code in indicators.by_code()}
    raw.update(typed)
    with pytest.raises(DomainError) as refused:
        weights.parse(raw)
    assert message in refused.value.message


def test_manual_score_moves_the_total_within_bounds(world: World) -> None:
    assessment = _compute(world)
    head = _row(assessment, SubjectKind.POST, world.head_post.id)
    operations.score(head, manual=8, comment="走访扎实", by=world.secretary)
    assert head.total == 61.0 and head.stars == 2
    with pytest.raises(DomainError):
        operations.score(head, manual=11, comment="", by=world.secretary)
    db.session.commit()
    # Computing again keeps the manual score and the comment.
    assessment = _compute(world)
    head = _row(assessment, SubjectKind.POST, world.head_post.id)
    assert (head.manual, head.comment, head.total) == (8, "走访扎实", 61.0)


def test_publishing_freezes_the_figures(world: World) -> None:
    assessment = _compute(world)
    told = operations.publish(assessment, by=world.secretary, now=utcnow())
    db.session.commit()
    # Building head, patroller, mediator and publicist: the grid leaders have no stars.
    assert told == 4
    texts = db.session.scalars(select(Delivery).where(Delivery.kind == "assessment_stars")).all()
    assert len(texts) == 4
    rendered = [
        world.community.sms_signature + templates.render("assessment_stars", "zh", t.params)
        for t in texts
    ]
    assert all(len(text) <= 70 for text in rendered), rendered
    assert {t.person_id for t in texts} == {
        world.head.id,
        world.patroller.id,
        world.mediator.id,
        world.publicist.id,
    }
    frozen = {r.id: (r.total, r.stars, r.rank) for r in assessment.rows}

    # A record changes after publishing: h3 visited in September.
    db.session.add(
        HouseholdMonth(
            household_id=world.h3.id,
            month=date(2026, 9, 1),
            community_id=world.community.id,
            grid_id=world.grid1.id,
            building_id=world.b2.id,
            last_visited_on=date(2026, 9, 9),
        )
    )
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        _compute(world)
    assert "已公示" in refused.value.message  # the app speaks Chinese by default
    db.session.rollback()
    head = _row(assessment, SubjectKind.POST, world.head_post.id)
    with pytest.raises(DomainError):
        operations.score(head, manual=1, comment="", by=world.secretary)
    with pytest.raises(DomainError):
        operations.publish(assessment, by=world.secretary, now=utcnow())
    db.session.rollback()
    again = queries.find(world.community, Q3)
    assert again is not None
    assert {r.id: (r.total, r.stars, r.rank) for r in again.rows} == frozen
    grid1 = _values(_row(again, GRID, world.grid1.id))
    assert grid1["visit_coverage"] == 44.4
    assert db.session.scalar(select(func.count()).select_from(AssessmentWeight)) == 0


@pytest.mark.parametrize(
    ("total", "stars"),
    [(None, None), (0, 1), (59.9, 1), (60, 2), (69.9, 2), (70, 3), (80, 4), (90, 5), (100, 5)],
)
def test_stars_from_thresholds(total: float | None, stars: int | None) -> None:
    assert stars_for(total, (60, 70, 80, 90)) == stars


def test_thresholds_are_a_setting(app: Any, ctx: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ASSESSMENT_STAR_THRESHOLDS", (10, 20, 30, 40))
    assert stars_for(35) == 4


def test_history_and_awards(world: World) -> None:
    q2 = _compute(world, Period(2026, 2))
    operations.publish(q2, by=world.secretary, now=utcnow())
    q3 = _compute(world)
    head = _row(q3, SubjectKind.POST, world.head_post.id)
    operations.score(head, manual=10, comment="", by=world.secretary)
    operations.publish(q3, by=world.secretary, now=utcnow())
    db.session.commit()
    history = {h.name: h.stars for h in queries.history(world.community)}
    # Q2: no visit of b1's households (coverage 0, nothing else to count); Q3: 53.0 + 10.
    assert [(s, t) for _label, s, t in history["刘楼长"]] == [(1, 0.0), (2, 63.0)]
    assert "张组长" not in history  # no stars for grid leaders
    assert [s for _label, s, _t in history["一网格"]] == [1, 1]
    mine = queries.person_history(world.head.id)
    assert [stars for _p, _r, stars, _t in mine] == [1, 2]
    with pytest.raises(DomainError):
        operations.confer(q3, head, name="", citation="", by=world.secretary, now=utcnow())
    award = operations.confer(
        q3, head, name="优秀楼栋长", citation="走访扎实", by=world.secretary, now=utcnow()
    )
    db.session.commit()
    part = queries.for_board(world.community)
    assert part is not None and part.awards == [("优秀楼栋长", "刘楼长", head.place, "走访扎实")]
    assert award.row_id == head.id
    draft = _compute(world, Period(2026, 1))
    with pytest.raises(DomainError):
        operations.confer(
            draft, draft.rows[0], name="五星网格", citation="", by=world.secretary, now=utcnow()
        )


def test_periods() -> None:
    assert parse("2026-Q3") == Period(2026, 3) and parse("2026-Y") == Period(2026, 0)
    assert Period(2026, 0).ends == date(2027, 1, 1) and Period(2026, 4).ends == date(2027, 1, 1)
    assert previous_quarter(TODAY) == Period(2026, 3)
    assert previous_quarter(date(2027, 2, 1)) == Period(2026, 4)
    for bad in ("2026-Q5", "Q3", "1999-Q1", ""):
        with pytest.raises(DomainError):
            parse(bad)
    assert len(Period(2026, 4).months(TODAY)) == 3
    assert len(Period(2026, 0).months(TODAY)) == 12
