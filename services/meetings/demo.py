"""Demo meetings for the demo community: last month's grid meeting with its attendance,
minutes and a suggestion made a need, and next week's residents' forum with answers in."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from models import Building, Community, Household, PartnerUnit, Resident, db
from models.clock import local_now
from models.meetings import MeetingKind, Reply
from models.roles import Role
from services.meetings import attendance, minutes
from services.meetings import operations as meetings
from services.meetings.operations import Invitees
from services.work_orders.audiences import Audience
from services.work_orders.demo import delivered, holders, hour


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Add two meetings to the demo community; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None or not community.grids:
        return
    secretaries = holders(community, Role.SECRETARY, today)
    if not secretaries:
        return
    secretary = secretaries[0]
    grid1 = community.grids[0]
    now = local_now()
    residents = list(
        db.session.scalars(
            select(Resident)
            .join(Household)
            .join(Building)
            .where(Building.grid_id == grid1.id, Resident.phone.isnot(None), Resident.living())
            .order_by(Resident.id)
            .limit(40)
        )
    )
    picked = rng.sample(residents, min(4, len(residents)))
    unit = db.session.scalar(
        select(PartnerUnit)
        .where(PartnerUnit.community_id == community.id, PartnerUnit.contact_phone.isnot(None))
        .order_by(PartnerUnit.id)
    )

    # Past: the grid's regular meeting three weeks ago, held, minutes written.
    held_day = today - timedelta(days=21)
    called = hour(held_day - timedelta(days=5), 10)
    past = meetings.call_meeting(
        community,
        kind=MeetingKind.REGULAR,
        title=f"{grid1.name}月度例会",
        starts_at=hour(held_day, 14, 30),
        place="社区二楼会议室",
        agenda="一、本月走访情况；二、冬季防火排查；三、居民反映问题梳理。",
        invitees=Invitees(
            audience=Audience(grids=(grid1.id,)), residents=tuple(r.id for r in picked[:2])
        ),
        by=secretary,
        now=called,
        today=held_day,
        grid=grid1,
    )
    delivered(f"meeting:{past.id}:", called)
    at_door = hour(held_day, 14, 25)
    for n, invitee in enumerate(past.invitees):
        attendance.answer(invitee, Reply.ATTEND if n % 4 else Reply.EXCUSED, via="sms", now=called)
        attendance.mark(past, invitee, present=bool(n % 4), by=secretary, now=at_door)
    if len(picked) > 2:
        attendance.walk_in(past, resident=picked[2], by=secretary, now=at_door)
    after = hour(held_day, 16)
    minutes.save_minutes(
        past,
        minutes="通报本月走访覆盖情况；布置冬季防火排查，楼栋长负责本楼楼道杂物清理。",
        decisions="1. 12月10日前完成各楼楼道杂物清理；2. 独居老人每周电话问候一次。",
        by=secretary,
        now=after,
    )
    heard = minutes.add_suggestion(
        past,
        text="3号楼楼道灯坏了好几盏，晚上老人上下楼不方便。",
        resident=picked[0] if picked else None,
        by=secretary,
        now=after,
    )
    minutes.to_need(heard, category="repairs", by=secretary, now=after)
    minutes.add_suggestion(past, text="希望社区组织一次防诈骗讲座。", by=secretary, now=after)

    # Upcoming: a residents' forum next week, with a partner unit; some answers in.
    forum_day = today + timedelta(days=6)
    called = now - timedelta(days=1)
    forum = meetings.call_meeting(
        community,
        kind=MeetingKind.FORUM if unit is None else MeetingKind.JOINT,
        title="冬季供暖居民座谈会",
        starts_at=hour(forum_day, 9, 30),
        place="社区党群服务中心",
        agenda="听取居民对供暖、物业服务的意见建议。",
        invitees=Invitees(
            audience=Audience(roles=(Role.GRID_LEADER, Role.PROPERTY_LIAISON)),
            partner_units=(unit.id,) if unit is not None else (),
            residents=tuple(r.id for r in picked),
        ),
        by=secretary,
        now=called,
        today=today,
    )
    delivered(f"meeting:{forum.id}:", called)
    for n, invitee in enumerate(forum.invitees):
        if n % 3 == 2:
            continue  # not answered yet
        attendance.answer(
            invitee, Reply.EXCUSED if n % 5 == 4 else Reply.ATTEND, via="sms", now=called
        )
    db.session.flush()
