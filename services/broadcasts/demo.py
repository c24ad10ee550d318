"""Demo broadcasts for the demo community: a past snow mobilisation and a policy notice.

Both are written as they would have ended, their deliveries marked delivered.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select, update

from models import Broadcast, BroadcastRecipient, Community, PartnerUnit, Person, db
from models.roles import Role
from services.broadcasts import fanout
from services.broadcasts import operations as broadcasts
from services.broadcasts.queries import Criteria
from services.errors import InvalidInput
from services.work_orders import claims
from services.work_orders import operations as work_orders
from services.work_orders.audiences import Audience
from services.work_orders.demo import delivered, holders, hour


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Add two past broadcasts to the demo community; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return
    secretaries = holders(community, Role.SECRETARY, today)
    if not secretaries or not community.grids:
        return
    secretary = secretaries[0]

    # A past snow mobilisation: sent at 20:00 three days ago, 12 replied, 10 claimed.
    day = today - timedelta(days=3)
    sent = hour(day, 20)
    units = list(
        db.session.scalars(select(PartnerUnit.id).where(PartnerUnit.community_id == community.id))
    )
    snow = broadcasts.mobilise(
        community,
        text="明早需要10人07:00清扫积雪，回复1报名",
        title="清扫主干道积雪",
        location="新丰路主干道及各小区出入口",
        starts_at=hour(day + timedelta(days=1), 7),
        ends_at=hour(day + timedelta(days=1), 9),
        places_needed=10,
        audience=Audience(roles=(Role.PATROLLER, Role.GRID_LEADER), partner_units=tuple(units)),
        by=secretary,
        now=sent,
        today=today,
    )
    fanout.prepare_now(snow, sent)
    delivered(snow.batch_key, sent + timedelta(seconds=30))
    fanout.finish_if_sent(snow, sent + timedelta(seconds=30))
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
        claims.claim(
            order, by=person, via="sms", now=reply_at, today=today, check_audience_of=False
        )
    for claim in order.active_claims():
        claims.mark_done(
            order, by=claim.person, via="sms", now=hour(day + timedelta(days=1), 9), note="已清扫"
        )
    if order.status == "done":
        work_orders.verify(order, by=secretary, now=hour(day + timedelta(days=1), 10))
    delivered(f"work_order:{order.id}:", hour(day + timedelta(days=1), 10))

    # A past information broadcast: the old-age subsidy, to residents aged 80 and over.
    try:
        info: Broadcast = broadcasts.inform(
            community,
            text="高龄补贴开始申领：80周岁以上老人请本人或家属带身份证、户口本到社区服务站办理。",
            criteria=Criteria(min_age=80),
            by=secretary,
            now=hour(today - timedelta(days=5), 10),
            today=today,
        )
    except InvalidInput:
        return
    fanout.prepare_now(info, hour(today - timedelta(days=5), 10))
    delivered(info.batch_key, hour(today - timedelta(days=5), 10, 1))
    fanout.finish_if_sent(info, hour(today - timedelta(days=5), 10, 1))
    db.session.flush()
