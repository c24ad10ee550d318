"""Pledges: writing and approving (and refusing bad input), the quarter's round and its
invitations (consent kept), ratings by a bare digit (the chain to the next post, out of range,
a second rating, a closed round), the figures `ratings()` gives, and the ledger's events."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import (
    CaseStatus,
    Delivery,
    MediationCase,
    MediationParty,
    Pledge,
    PledgeEvent,
    PledgeRating,
    PledgeStatus,
    Wish,
    WishStatus,
    db,
)
from models.clock import ZONE, at
from services.errors import DomainError, InvalidInput
from services.pledges import operations, queries
from services.pledges.operations import Period
from tests.pledges.world import NOW, Q3, TODAY, World, sms

YEAR = Period("year", date(2026, 1, 1), date(2027, 1, 1))


@pytest.fixture
def w(make: Any) -> World:
    return World(make)


def _count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_holder_writes_secretary_approves_board_shows(w: World) -> None:
    pledge = operations.write(
        w.head1_post,
        by=w.head1,
        period=YEAR,
        text="每月走访每一户\n\n  楼道问题当天上报  \n",
        now=NOW,
        today=TODAY,
    )
    db.session.commit()
    assert pledge.status == PledgeStatus.SUBMITTED
    assert pledge.lines == ["每月走访每一户", "楼道问题当天上报"]
    assert queries.on_board(w.community.id, TODAY) == {}
    assert [p.id for p in queries.waiting(w.community.id)] == [pledge.id]
    with pytest.raises(DomainError):
        operations.approve(pledge, by=w.leader1, now=NOW, today=TODAY)
    operations.approve(pledge, by=w.secretary, now=NOW, today=TODAY)
    db.session.commit()
    assert queries.on_board(w.community.id, TODAY) == {
        w.head1_post.id: ["每月走访每一户", "楼道问题当天上报"]
    }
    with pytest.raises(DomainError, match="已经审核通过"):
        operations.approve(pledge, by=w.secretary, now=NOW, today=TODAY)
    # The holder rewrites: it waits again. The office's own words are approved as written.
    operations.write(w.head1_post, by=w.head1, period=YEAR, text="新承诺", now=NOW, today=TODAY)
    assert pledge.status == PledgeStatus.SUBMITTED and _count(Pledge) == 1
    operations.write(
        w.head1_post, by=w.staff, period=YEAR, text="社区改过的承诺", now=NOW, today=TODAY
    )
    assert pledge.status == PledgeStatus.APPROVED and pledge.approved_by_id == w.staff.id
    actions = [e.action for e in db.session.scalars(select(PledgeEvent).order_by(PledgeEvent.id))]
    assert actions == ["written", "approved", "written", "written", "approved"]
    # A quarter's pledges and the year's are both shown while in force.
    quarter = Period.parse("quarter", "2026-4")
    operations.write(
        w.head1_post, by=w.secretary, period=quarter, text="本季度承诺", now=NOW, today=TODAY
    )
    db.session.commit()
    assert queries.on_board(w.community.id, TODAY)[w.head1_post.id] == [
        "社区改过的承诺",
        "本季度承诺",
    ]
    assert queries.on_board(w.community.id, date(2027, 1, 1)) == {}


@pytest.mark.parametrize(
    ("kind", "code", "text", "message"),
    [
        ("year", "2026", "   \n  ", "至少写一条"),
        ("year", "2026", "\n".join(f"第{n}条" for n in range(11)), "最多10条"),
        ("year", "2026", "很" * 101, "不超过100"),
        ("year", "26", "承诺", "四位数字"),
        ("quarter", "2026-5", "承诺", "年-季度"),
        ("month", "2026-5", "承诺", "年度或季度"),
    ],
)
def test_bad_pledges_are_refused_with_a_reason(
    w: World, kind: str, code: str, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        operations.write(
            w.head1_post,
            by=w.head1,
            period=Period.parse(kind, code),
            text=text,
            now=NOW,
            today=TODAY,
        )
    assert _count(Pledge) == 0


def test_only_ones_own_posts_or_the_office(w: World) -> None:
    with pytest.raises(DomainError, match="自己的岗位"):
        operations.write(
            w.head3_post, by=w.head1, period=YEAR, text="替别人写", now=NOW, today=TODAY
        )
    assert _count(Pledge) == 0
    operations.write(
        w.patroller_post, by=w.patroller, period=YEAR, text="按时巡逻", now=NOW, today=TODAY
    )
    assert _count(Pledge) == 1


def test_round_makes_rows_and_asks_consenting_households_once(w: World) -> None:
    round_ = w.open_round()
    assert round_.closes_on == TODAY + timedelta(days=30)
    rows = db.session.scalars(select(PledgeRating).order_by(PledgeRating.id)).all()
    # Each household rates its building's head and its grid's leader, head first.
    by_household = {}
    for row in rows:
        by_household.setdefault(row.household_id, []).append(row.post_id)
    assert by_household == {
        w.h1.id: [w.head1_post.id, w.leader1_post.id],
        w.h2.id: [w.head1_post.id, w.leader1_post.id],
        w.h3.id: [w.head1_post.id, w.leader1_post.id],
        w.h4.id: [w.head3_post.id, w.leader2_post.id],
    }
    asked = {r.household_id: r.asked_phone for r in rows if r.asked_at is not None}
    # h3's only resident has not agreed to SMS: asked nothing (the app card still shows).
    assert asked == {
        w.h1.id: "+8613900001010",
        w.h2.id: "+8613900001020",
        w.h4.id: "+8613900003010",
    }
    sent = db.session.scalars(select(Delivery).where(Delivery.kind == "pledge_rate_ask")).all()
    assert sorted(d.address for d in sent) == sorted(asked.values())
    text = sent[0].params
    assert text["quarter"] == "2026年3季度" and text["post"] in ("楼栋长",)
    with pytest.raises(DomainError, match="已经开始"):
        w.open_round()
    with pytest.raises(DomainError, match="由书记"):
        operations.open_round(w.community, Q3.next, by=w.staff, now=NOW, today=TODAY)
    with pytest.raises(InvalidInput, match="季度开始后"):
        operations.open_round(w.community, Q3.next.next, by=w.secretary, now=NOW, today=TODAY)


def test_the_job_opens_the_quarter_just_ended_once(w: World) -> None:
    opened = operations.open_due_rounds(NOW, TODAY)
    assert [r.quarter_first for r in opened] == [Q3.first]
    assert operations.open_due_rounds(NOW, TODAY) == []


def test_a_bare_digit_rates_then_asks_the_next_post(w: World) -> None:
    w.open_round()
    later = NOW + timedelta(hours=1)
    answer = sms("+8613900001010", "4", later)
    assert "谢谢（4分）" in answer and "网格长李建国" in answer
    assert w.rating(w.h1, w.head1_post).value == 4
    leader = w.rating(w.h1, w.leader1_post)
    assert leader.asked_at is not None and leader.value is None
    answer = sms("+8613900001010", "５", later + timedelta(minutes=1))  # a full-width digit
    assert "谢谢您的评分（5分）" in answer
    assert w.rating(w.h1, w.leader1_post).value == 5
    # Out of range: the scale again, nothing changed.
    answer = sms("+8613900001010", "7", later + timedelta(minutes=2))
    assert "1到5" in answer
    answer = sms("+8613900001010", "0", later + timedelta(minutes=3))
    assert "1到5" in answer
    assert w.rating(w.h1, w.leader1_post).value == 5
    # A second rating replaces the first: the latest answer counts, the event keeps both.
    answer = sms("+8613900001010", "3", later + timedelta(minutes=4))
    assert "3分" in answer
    assert w.rating(w.h1, w.leader1_post).value == 3
    rerated = db.session.scalar(select(PledgeEvent).where(PledgeEvent.action == "rerated"))
    assert rerated is not None and rerated.detail == "5->3" and rerated.via == "sms"
    assert _count(PledgeRating) == 8  # replaced, not added


def test_a_rating_after_the_round_closed_is_told_so(w: World) -> None:
    round_ = w.open_round()
    closed = at(round_.closes_on, time(9, 0))
    answer = sms("+8613900003010", "5", closed)
    assert "已于" in answer and "结束" in answer
    assert w.rating(w.h4, w.head3_post).value is None
    # Long after, a digit is no answer to it at all.
    answer = sms("+8613900003010", "5", closed + timedelta(days=10))
    assert "结束" not in answer


def test_the_latest_question_wins_over_an_older_one(w: World, make: Any) -> None:
    # A wish fulfilled and asked about later than the round: its question gets the digit.
    w.open_round()
    wish = Wish(
        community_id=w.community.id,
        grid_id=w.g1.id,
        building_id=w.b1.id,
        resident_id=w.r2.id,
        category="other",
        text="修水龙头",
        via="head",
        status=WishStatus.FULFILLED,
        fulfilled_at=NOW + timedelta(hours=2),
    )
    db.session.add(wish)
    db.session.commit()
    sms("+8613900001020", "5", NOW + timedelta(hours=3))
    assert w.rating(w.h2, w.head1_post).value is None


def test_ratings_figures_by_post_grid_and_satisfaction(w: World) -> None:
    round_ = w.open_round()
    values = {
        (w.h1, w.head1_post): 4,
        (w.h2, w.head1_post): 2,
        (w.h3, w.head1_post): 3,
        (w.h1, w.leader1_post): 5,
        (w.h4, w.head3_post): 1,
    }
    for (household, post), value in values.items():
        operations.rate(w.rating(household, post), value, by=None, via="app", now=NOW, today=TODAY)
    # A wish rated in Q3 (counts), one rated in Q4 (does not), a mediation party in Q3.
    for rating, rated_at in ((2, datetime(2026, 8, 5, 9, tzinfo=ZONE)), (5, NOW)):
        db.session.add(
            Wish(
                community_id=w.community.id,
                grid_id=w.g1.id,
                building_id=w.b1.id,
                resident_id=w.r1.id,
                category="other",
                text="帮忙",
                via="head",
                status=WishStatus.FULFILLED,
                rating=rating,
                rated_at=rated_at,
            )
        )
    case = MediationCase(
        community_id=w.community.id,
        grid_id=w.g2.id,
        category="noise",
        source="visit",
        summary="噪音",
        status=CaseStatus.CONCLUDED,
        mediator_id=w.leader2.id,
        opened_by_id=w.leader2.id,
    )
    db.session.add(case)
    db.session.flush()
    db.session.add(
        MediationParty(
            case_id=case.id,
            household_id=w.h4.id,
            rating=4,
            rated_at=datetime(2026, 9, 30, 23, 0, tzinfo=ZONE),  # Q3 by Beijing's clock
        )
    )
    db.session.commit()
    assert round_.quarter_first == Q3.first
    got = queries.ratings(w.community.id, Q3.first, Q3.next.first)
    posts = {pid: (f.average, f.count) for pid, f in got.posts.items()}
    assert posts == {
        w.head1_post.id: (3.0, 3),  # (4 + 2 + 3) / 3
        w.leader1_post.id: (5.0, 1),
        w.head3_post.id: (1.0, 1),
    }
    grids = {gid: (f.average, f.count) for gid, f in got.grids.items()}
    assert grids == {w.g1.id: (3.5, 4), w.g2.id: (1.0, 1)}  # (4+2+3+5)/4
    satisfaction = {gid: (f.average, f.count) for gid, f in got.satisfaction.items()}
    # g1: 14 from pledges + 2 from the Q3 wish = 16 / 5; g2: 1 + 4 (mediation) = 5 / 2.
    assert satisfaction == {w.g1.id: (3.2, 5), w.g2.id: (2.5, 2)}
    # Nothing of another quarter.
    later = queries.ratings(w.community.id, Q3.next.first, Q3.next.next.first)
    assert later.posts == {} and {g: f.count for g, f in later.satisfaction.items()} == {w.g1.id: 1}


def test_events_of_a_period_for_the_ledger(w: World) -> None:
    w.open_round()
    sms("+8613900001010", "4", NOW + timedelta(hours=1))
    start, end = at(TODAY, time(0)), at(TODAY + timedelta(days=1), time(0))
    actions = [e.action for e in queries.events(w.community.id, start, end)]
    assert actions.count("asked") == 4 and actions.count("rated") == 1
    assert "round_opened" in actions
    only_g2 = queries.events(w.community.id, start, end, grid_id=w.g2.id)
    assert {e.action for e in only_g2} == {"asked"}
    assert queries.events(w.community.id, end, end + timedelta(days=1)) == []
