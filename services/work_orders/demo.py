"""Demo work orders for the demo community, so `make run` shows the feature.

Live orders are announced for real (their messages land in the phone simulator); the past
ones are written as they would have ended, their deliveries marked delivered.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from models import Community, Delivery, DeliveryState, Person, Post, db
from models.clock import at, local_now
from models.roles import Role
from notify.outbox import PENDING_KEY
from services.work_orders import claims
from services.work_orders import operations as work_orders
from services.work_orders.audiences import Audience


def hour(day: date, clock: int, minute: int = 0) -> datetime:
    """Return the aware moment of a wall-clock hour on a community day."""
    return at(day, time(clock, minute))


def holders(
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


def delivered(batch_prefix: str, at: datetime) -> None:
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
    """Add a few work orders to the demo community; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return
    secretaries = holders(community, Role.SECRETARY, today)
    if not secretaries or not community.grids:
        return
    secretary = secretaries[0]
    grid1 = community.grids[0]
    leaders = holders(community, Role.GRID_LEADER, today, grid1.id)
    patrollers = holders(community, Role.PATROLLER, today)
    liaisons = holders(community, Role.PROPERTY_LIAISON, today, grid1.id)
    now = local_now()
    tomorrow = today + timedelta(days=1)

    # Live: a patrol near the school tomorrow night, half claimed.
    patrol = work_orders.create_order(
        community,
        title="实验小学周边巡逻",
        instructions="放学后及晚间在实验小学周边巡逻，留意陌生车辆和积水。",
        location="实验小学南门至东岳小区路段",
        starts_at=hour(tomorrow, 21),
        ends_at=hour(tomorrow, 22),
        places_needed=4,
        audience=Audience(roles=(Role.PATROLLER,)),
        by=secretary,
        now=now,
        today=today,
    )
    for person in rng.sample(patrollers, min(2, len(patrollers))):
        claims.claim(patrol, by=person, via="sms", now=now, today=today)

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
        delivered(f"work_order:{drain.id}:", start)
        claims.claim(drain, by=liaisons[0], via="app", now=start, today=today)
        claims.mark_done(
            drain,
            by=liaisons[0],
            via="app",
            now=start + timedelta(hours=2),
            note="已与物业一起疏通，排水正常。",
        )
        delivered(f"work_order:{drain.id}:", start + timedelta(hours=2))
