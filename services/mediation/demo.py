"""Demo mediation cases in grid 1 of the demo community, in different states.

One being mediated, one just agreed (parties asked, one answered), one referred to the
judicial office whose follow-up is overdue, one done with its follow-up. Past messages are
marked delivered, as they would have ended.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from models import (
    Building,
    Community,
    Delivery,
    DeliveryState,
    Household,
    MediationCase,
    MediationSession,
    Person,
    Post,
    db,
)
from models.clock import at
from models.roles import Role
from notify.outbox import PENDING_KEY
from services.mediation import operations, queries
from services.mediation.operations import PartyChoice


def _delivered(case_id: int, when: datetime) -> None:
    prefix = f"mediation:{case_id}:"
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


def _holder(community: Community, role: str, today: date, grid_id: int | None) -> Person | None:
    query = (
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(Post.community_id == community.id, Post.role == role, Post.active_on(today))
        .order_by(Person.id)
    )
    if grid_id is not None:
        query = query.where(Post.grid_id == grid_id)
    return db.session.scalars(query).first()


def _pairs(grid_id: int, rng: random.Random) -> list[tuple[PartyChoice, PartyChoice]]:
    """Neighbours: two households of one building with residents, for four cases."""
    households = list(
        db.session.scalars(
            select(Household)
            .join(Building, Building.id == Household.building_id)
            .where(Building.grid_id == grid_id, Household.current())
            .order_by(Household.id)
            .limit(120)
        )
    )
    with_people = [h for h in households if h.residents]
    rng.shuffle(with_people)
    pairs = []
    for first, second in zip(with_people[0::2], with_people[1::2], strict=False):
        pairs.append(
            (
                PartyChoice(first.id, first.residents[0].id),
                PartyChoice(second.id, second.residents[0].id),
            )
        )
    return pairs[:4]


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Add four cases to grid 1 of the demo community; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None or not community.grids:
        return
    grid = community.grids[0]
    mediator = _holder(community, Role.MEDIATOR, today, grid.id)
    leader = _holder(community, Role.GRID_LEADER, today, grid.id)
    if mediator is None or leader is None:
        return
    reach = queries.reach_of(leader, today)
    pairs = _pairs(grid.id, rng)
    if len(pairs) < 4:
        return

    def moment(days_ago: int, hour: int = 10) -> datetime:
        return at(today - timedelta(days=days_ago), time(hour, 0))

    def opened(pair: int, category: str, source: str, summary: str, days_ago: int) -> MediationCase:
        return operations.open_case(
            reach,
            by=mediator,
            parties=list(pairs[pair]),
            category=category,
            source=source,
            summary=summary,
            now=moment(days_ago),
        )

    def met(
        record: Callable[..., MediationSession],
        case: MediationCase,
        attendees: str,
        notes: str,
        *,
        days_ago: int,
        hour: int,
    ) -> None:
        """A session (or the follow-up visit) held that day, recorded at that hour."""
        record(
            reach,
            case,
            by=mediator,
            held_on=today - timedelta(days=days_ago),
            attendees=attendees,
            notes=notes,
            today=today,
            now=moment(days_ago, hour),
        )

    def concluded(
        case: MediationCase, by: Person, outcome: str, agreement: str, *, days_ago: int, hour: int
    ) -> None:
        """The outcome recorded that day; the parties' messages have since been delivered."""
        operations.conclude(
            reach,
            case,
            by=by,
            outcome=outcome,
            agreement=agreement,
            today=today - timedelta(days=days_ago),
            now=moment(days_ago, hour),
        )
        _delivered(case.id, moment(days_ago, hour))

    # Being mediated: noise at night, one session held.
    noise = opened(
        0,
        "noise",
        "resident",
        "楼上住户晚上十一点后仍有拖动家具和跳动声，楼下老人无法休息。",
        days_ago=6,
    )
    met(
        operations.record_session,
        noise,
        "双方住户、楼栋长",
        "楼上同意晚十点后不再拖动家具，在客厅铺设地垫；一周后再听听楼下意见。",
        days_ago=3,
        hour=19,
    )

    # Agreed ten days ago; both asked, one answered 4.
    leak = opened(
        1, "leak", "visit", "卫生间漏水渗到楼下天花板，双方对维修费用分担有分歧。", days_ago=16
    )
    met(
        operations.record_session,
        leak,
        "双方住户、物业维修员",
        "物业检测确认为楼上防水层老化。",
        days_ago=12,
        hour=15,
    )
    concluded(
        leak,
        mediator,
        "agreed",
        "楼上住户负责重做卫生间防水并承担楼下天花板修补费用，两周内完工。",
        days_ago=10,
        hour=16,
    )
    operations.rate(leak.parties[0], 4, via="sms", now=moment(10, 18))

    # Referred to the judicial office 35 days ago: the follow-up is overdue.
    debt = opened(
        2, "debt", "police", "两户因借款三万元未还发生争执，派出所出警后转社区调解。", days_ago=40
    )
    concluded(
        debt,
        leader,
        "judicial",
        "双方对借款金额说法不一，建议到司法所申请人民调解或诉讼。",
        days_ago=35,
        hour=11,
    )

    # Done: agreed fifty days ago, followed up, both answered.
    parking = opened(
        3, "parking", "observer", "楼道口长期停放电动车堵塞通道，邻居多次争吵。", days_ago=55
    )
    concluded(
        parking,
        mediator,
        "agreed",
        "电动车统一停到小区充电棚，楼道口不再停车。",
        days_ago=50,
        hour=10,
    )
    for party, value in zip(parking.parties, (5, 4), strict=False):
        operations.rate(party, value, via="sms", now=moment(50, 19))
    met(
        operations.record_follow_up,
        parking,
        "双方住户",
        "楼道口已畅通，双方关系缓和。",
        days_ago=18,
        hour=16,
    )
