"""Demo pledges, the quarter just ended rated by households, and one grid under the
threshold with its rectification plan under way.

Every building head, grid leader and N member of the demo community pledges for the year
(approved; two wait for the secretary). The rating of the quarter just ended was opened on
its third day and closed a month later; about two thirds of households answered. The last
grid's households were less pleased: it is below the threshold, and its plan has three
actions (one done) and a re-check still to come. Past messages are marked delivered.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from models import (
    Building,
    Community,
    Delivery,
    DeliveryState,
    Person,
    PledgePeriod,
    PledgeRating,
    Post,
    db,
)
from models.clock import at
from models.roles import Role
from notify.outbox import PENDING_KEY
from services.pledges import operations, rectification
from services.report_in.quarters import Quarter

PLEDGES: dict[str, tuple[str, ...]] = {
    Role.BUILDING_HEAD: (
        "每月走访本楼栋每一户，独居老人每周见一面",
        "楼道杂物、漏水、照明问题当天上报、三天内有回音",
        "每季度在楼栋召开一次居民议事会",
    ),
    Role.GRID_LEADER: (
        "每月带领网格党小组走访重点户，需求件件有落实",
        "每周在网格内巡查一次，发现问题当天派单",
        "每季度向居民公开网格工作情况，接受评议",
    ),
    Role.PATROLLER: ("按排班参加夜间巡逻，不缺岗", "发现安全隐患当场记录并上报"),
    Role.OBSERVER: ("每周收集一次居民意见", "问题当天反映到需求清单"),
    Role.PUBLICIST: ("每月宣讲一项惠民政策", "帮助高龄老人办理医保复审和高龄补贴"),
    Role.MEDIATOR: ("邻里纠纷三天内上门调解", "调解后一个月回访"),
    Role.PROPERTY_LIAISON: ("居民物业诉求当天转达物业公司", "跟踪到物业答复为止"),
    Role.CIVILITY_ADVOCATE: ("每季度组织一次文明家庭评选", "倡导垃圾分类，带头做好"),
}
ACTIONS = (
    ("楼栋长每周二上门走访独居老人，并在走访记录中写明", 14),
    ("网格长每月召开一次楼栋居民议事会，公开问题处理进度", 45),
    ("楼道照明和漏水问题列清单，两周内逐项答复居民", 21),
)


def _delivered(prefix: str, when: datetime) -> None:
    db.session.execute(
        update(Delivery)
        .where(
            Delivery.batch_key.like(f"{prefix}%"),
            Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.DEFERRED]),
        )
        .values(state=DeliveryState.DELIVERED, sent_at=when, finished_at=when, not_before=None)
        .execution_options(synchronize_session=False)
    )
    ids = set(db.session.scalars(select(Delivery.id).where(Delivery.batch_key.like(f"{prefix}%"))))
    pending = db.session.info.get(PENDING_KEY)
    if pending:
        db.session.info[PENDING_KEY] = [i for i in pending if i not in ids]


def _secretary(community: Community, today: date) -> Person | None:
    return db.session.scalars(
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(
            Post.community_id == community.id,
            Post.role == Role.SECRETARY,
            Post.active_on(today),
        )
    ).first()


def _pledges(community: Community, secretary: Person, today: date) -> None:
    period = operations.Period(
        PledgePeriod.YEAR, date(today.year, 1, 1), date(today.year + 1, 1, 1)
    )
    posts = db.session.scalars(
        select(Post)
        .where(Post.community_id == community.id, Post.active_on(today))
        .order_by(Post.id)
    ).all()
    waiting = 0
    when = at(date(today.year, 1, 8), time(10, 0))
    for post in posts:
        lines = PLEDGES.get(post.role)
        if not lines:
            continue
        # The holder writes; all but two are approved by the secretary.
        pledge = operations.write(
            post, by=post.person, period=period, text="\n".join(lines), now=when, today=today
        )
        if waiting < 2 and post.role not in (Role.BUILDING_HEAD, Role.GRID_LEADER):
            waiting += 1
            continue
        operations.approve(pledge, by=secretary, now=when + timedelta(days=2), today=today)


def _ratings(community: Community, rng: random.Random, quarter: Quarter, low_grid: int) -> None:
    opened_on = quarter.next.first + timedelta(days=2)
    opened_at = at(opened_on, time(10, 0))
    round_ = operations.open_round(community, quarter, by=None, now=opened_at, today=opened_on)
    _delivered(f"pledge:{round_.id}:", opened_at)
    rows = db.session.scalars(
        select(PledgeRating).where(PledgeRating.round_id == round_.id).order_by(PledgeRating.id)
    ).all()
    for row in rows:
        if rng.random() > 0.65:
            continue  # not every household answers
        if row.grid_id == low_grid:
            value = rng.choices((1, 2, 3, 4, 5), weights=(2, 4, 4, 2, 1))[0]
        else:
            value = rng.choices((2, 3, 4, 5), weights=(1, 2, 5, 5))[0]
        answered = opened_at + timedelta(hours=rng.randint(1, 240))
        via = "sms" if row.asked_phone else "app"
        operations.rate(row, value, by=None, via=via, now=answered, today=opened_on)


def _plan(community: Community, secretary: Person, quarter: Quarter, today: date) -> None:
    low = rectification.low_grids(community.id, quarter)
    if not low:
        return
    grid = low[0].grid
    opened_on = quarter.next.first + timedelta(days=40)
    if opened_on > today:
        return
    leader = db.session.scalars(
        select(Post).where(
            Post.grid_id == grid.id, Post.role == Role.GRID_LEADER, Post.active_on(today)
        )
    ).first()
    head = db.session.scalars(
        select(Post)
        .join(Building, Post.building_id == Building.id)
        .where(Building.grid_id == grid.id, Post.role == Role.BUILDING_HEAD, Post.active_on(today))
    ).first()
    holders = [p.person_id for p in (head, leader, leader) if p is not None]
    if len(holders) < len(ACTIONS):
        holders = [secretary.id] * len(ACTIONS)
    lines = [
        rectification.ActionLine(text, holder, opened_on + timedelta(days=days))
        for (text, days), holder in zip(ACTIONS, holders, strict=True)
    ]
    opened_at = at(opened_on, time(15, 0))
    plan = rectification.open_plan(
        community,
        grid,
        quarter,
        by=secretary,
        actions=lines,
        recheck_on=quarter.next.next.first + timedelta(days=14),
        now=opened_at,
        today=opened_on,
    )
    first = plan.actions[0]
    done_on = min(first.due_on, today)
    by = db.session.get(Person, leader.person_id) if leader else secretary
    assert by is not None
    rectification.mark_done(
        plan,
        first,
        by=by,
        note="已建立独居老人每周走访表，本月走访4次均已记录",
        now=at(done_on, time(17, 0)),
        today=done_on,
    )


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Add pledges, the past quarter's ratings and a plan to the demo community; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None or not community.grids:
        return
    secretary = _secretary(community, today)
    if secretary is None:
        return
    _pledges(community, secretary, today)
    quarter = Quarter.of(today).previous
    low_grid = sorted(g.id for g in community.grids)[-1]
    _ratings(community, rng, quarter, low_grid)
    _plan(community, secretary, quarter, today)
    db.session.flush()
