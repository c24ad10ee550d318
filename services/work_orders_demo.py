"""Demo work orders and broadcasts for the demo community, so `make run` shows the feature.

Live orders are announced for real (their messages land in the phone simulator); the past
ones are written as they would have ended, their deliveries marked delivered.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from models import (
    Broadcast,
    BroadcastRecipient,
    Community,
    Delivery,
    DeliveryState,
    PartnerUnit,
    Person,
    Post,
    db,
)
from models.roles import Role
from notify.outbox import PENDING_KEY
from notify.quiet import SHANGHAI
from services import broadcasts, work_orders
from services.errors import InvalidInput
from services.work_orders import Audience


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _holders(
    community: Community, role: str, today: date, grid_id: int | None = None
) -> list[Person]:
    query = (
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(Post.community_id == community.id, Post.role == role, Post.active_on(today))
        .order_by(Person.id)
    )
    if grid_id is not None:
        query = query.where(Post.grid_id == grid_id)
    return list(db.session.scalars(query))


def _delivered(batch_prefix: str, at: datetime) -> None:
    """Mark a past batch's deliveries as they ended: delivered (those with a channel)."""
    db.session.execute(
        update(Delivery)
        .where(
            Delivery.batch_key.like(f"{batch_prefix}%"),
            Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.DEFERRED]),
        )
        .values(state=DeliveryState.DELIVERED, sent_at=at, finished_at=at, not_before=None)
        .execution_options(synchronize_session=False)
    )
    ids = set(
        db.session.scalars(select(Delivery.id).where(Delivery.batch_key.like(f"{batch_prefix}%")))
    )
    pending = db.session.info.get(PENDING_KEY)
    if pending:
        db.session.info[PENDING_KEY] = [i for i in pending if i not in ids]


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Add a few work orders and two past broadcasts to the demo community; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return
    secretaries = _holders(community, Role.SECRETARY, today)
    if not secretaries or not community.grids:
        return
    secretary = secretaries[0]
    grid1 = community.grids[0]
    leaders = _holders(community, Role.GRID_LEADER, today, grid1.id)
    patrollers = _holders(community, Role.PATROLLER, today)
    liaisons = _holders(community, Role.PROPERTY_LIAISON, today, grid1.id)
    now = datetime.now(SHANGHAI)
    tomorrow = today + timedelta(days=1)

    # Live: a patrol near the school tomorrow night, half claimed.
    patrol = work_orders.create_order(
        community,
        title="实验小学周边巡逻",
        instructions="放学后及晚间在实验小学周边巡逻，留意陌生车辆和积水。",
        location="实验小学南门至东岳小区路段",
        starts_at=_at(tomorrow, 21),
        ends_at=_at(tomorrow, 22),
        places_needed=4,
        audience=Audience(roles=(Role.PATROLLER,)),
        by=secretary,
        now=now,
        today=today,
    )
    for person in rng.sample(patrollers, min(2, len(patrollers))):
        work_orders.claim(patrol, by=person, via="sms", now=now, today=today)

    # Reported done, waiting for the grid leader's check: a blocked drain in grid 1.
    if leaders and liaisons:
        start = now - timedelta(days=2)
        drain = work_orders.create_order(
            community,
            title="疏通3号楼下水道",
            instructions="3号楼1单元下水道堵塞，联系物业一同疏通。",
            location=f"{grid1.name} 3号楼1单元",
            starts_at=start + timedelta(hours=1),
            ends_at=start + timedelta(hours=3),
            places_needed=1,
            priority="high",
            audience=Audience(roles=(Role.PROPERTY_LIAISON,)),
            by=leaders[0],
            now=start,
            today=today,
            grid=grid1,
        )
        _delivered(f"work_order:{drain.id}:", start)
        work_orders.claim(drain, by=liaisons[0], via="app", now=start, today=today)
        work_orders.mark_done(
            drain,
            by=liaisons[0],
            via="app",
            now=start + timedelta(hours=2),
            note="已与物业一起疏通，排水正常。",
        )
        _delivered(f"work_order:{drain.id}:", start + timedelta(hours=2))

    # A past snow mobilisation: sent at 20:00 three days ago, 12 replied, 10 claimed.
    day = today - timedelta(days=3)
    sent = _at(day, 20)
    units = list(
        db.session.scalars(select(PartnerUnit.id).where(PartnerUnit.community_id == community.id))
    )
    snow = broadcasts.mobilise(
        community,
        text="明早需要10人07:00清扫积雪，回复1报名",
        title="清扫主干道积雪",
        location="新丰路主干道及各小区出入口",
        starts_at=_at(day + timedelta(days=1), 7),
        ends_at=_at(day + timedelta(days=1), 9),
        places_needed=10,
        audience=Audience(roles=(Role.PATROLLER, Role.GRID_LEADER), partner_units=tuple(units)),
        by=secretary,
        now=sent,
        today=today,
    )
    _delivered(snow.batch_key, sent + timedelta(seconds=30))
    order = snow.order
    assert order is not None
    reached = list(
        db.session.scalars(
            select(Person)
            .join(BroadcastRecipient, BroadcastRecipient.person_id == Person.id)
            .where(BroadcastRecipient.broadcast_id == snow.id)
            .order_by(Person.id)
        )
    )
    for person in rng.sample(reached, min(12, len(reached))):
        reply_at = sent + timedelta(minutes=rng.randint(1, 40))
        db.session.execute(
            update(BroadcastRecipient)
            .where(
                BroadcastRecipient.broadcast_id == snow.id,
                BroadcastRecipient.person_id == person.id,
            )
            .values(replied_at=reply_at, reply="1")
            .execution_options(synchronize_session=False)
        )
        work_orders.claim(
            order, by=person, via="sms", now=reply_at, today=today, check_audience_of=False
        )
    for claim in order.active_claims():
        work_orders.mark_done(
            order, by=claim.person, via="sms", now=_at(day + timedelta(days=1), 9), note="已清扫"
        )
    if order.status == "done":
        work_orders.verify(order, by=secretary, now=_at(day + timedelta(days=1), 10))
    _delivered(f"work_order:{order.id}:", _at(day + timedelta(days=1), 10))

    # A past information broadcast: the old-age subsidy, to residents aged 80 and over.
    try:
        info: Broadcast = broadcasts.inform(
            community,
            text="高龄补贴开始申领：80周岁以上老人请本人或家属带身份证、户口本到社区服务站办理。",
            criteria=broadcasts.Criteria(min_age=80),
            by=secretary,
            now=_at(today - timedelta(days=5), 10),
            today=today,
        )
    except InvalidInput:
        return
    _delivered(info.batch_key, _at(today - timedelta(days=5), 10, 1))
    db.session.flush()
