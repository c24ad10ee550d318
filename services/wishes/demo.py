"""Demo micro-wishes for the demo community: some in every state, so each role has one to try.

Rows are written directly, with their history, and no message is sent: loading a demo must
not text anyone.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from models import Building, Community, Household, Person, Post, Resident, clock, db
from models.roles import N_MEMBER_ROLES, Role
from models.wishes import Wish, WishEvent, WishStatus
from services.roster.demo import DEMO_PHONES
from services.wishes.escalation import DEFAULT_ESCALATION_HOURS

# (category, text, state, hours since posted, escalation level, answer, rating)
WISHES: tuple[tuple[str, str, str, int, int, str, int | None], ...] = (
    ("repair", "厨房水龙头一直滴水，想请人帮忙换个垫片。", "open", 3, 0, "", None),
    ("errand", "腿脚不方便，想请人帮忙去药店买降压药。", "open", 9, 0, "", None),
    ("escort", "下周二上午要去县医院复查，想请人陪同。", "open", 8, 1, "", None),
    ("paperwork", "高龄补贴的申请表不会填，想请人帮忙。", "open", 110, 2, "", None),
    ("care", "老伴住院了，一个人在家，希望有人常来聊聊天。", "claimed", 20, 0, "", None),
    ("repair", "楼道里的声控灯坏了，晚上上楼看不清。", "claimed", 30, 1, "", None),
    ("repair", "卫生间马桶漏水。", "fulfilled", 50, 0, "已帮忙更换进水阀，不再漏水。", None),
    ("errand", "想请人帮忙取一下快递。", "confirmed", 80, 0, "当天下午送到家里。", 5),
    ("escort", "想请人陪同去银行办理社保卡。", "confirmed", 150, 0, "陪同办好了新的社保卡。", 5),
    ("paperwork", "医保复审需要的材料不清楚。", "confirmed", 200, 1, "上门讲解并帮忙备齐材料。", 4),
    (
        "repair",
        "阳台窗户关不严，冬天漏风。",
        "confirmed",
        260,
        0,
        "贴了密封条，还需物业换合页。",
        2,
    ),
    ("care", "想学用智能手机和孙子视频。", "confirmed", 300, 0, "教会了微信视频通话。", 5),
)


def load(today: date, rng: random.Random, community_code: str) -> int:
    """Add the demo wishes to the community with that code; return how many. Flushes only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return 0
    anchor = clock.at(today, time(10, 0))
    residents = list(
        db.session.scalars(
            select(Resident)
            .join(Household)
            .join(Building)
            .where(Building.community_id == community.id)
            .order_by(Resident.id)
        )
    )
    volunteers = list(
        db.session.scalars(
            select(Person)
            .join(Post, Post.person_id == Person.id)
            .where(Post.community_id == community.id, Post.role.in_(list(N_MEMBER_ROLES)))
            .order_by(Post.id)
        ).unique()
    )
    heads = {
        post.building_id: post.person_id
        for post in db.session.scalars(
            select(Post).where(Post.community_id == community.id, Post.role == Role.BUILDING_HEAD)
        )
    }
    if not residents or not volunteers:
        return 0
    # The demo's own sign-in people get a wish each to act on: the resident one to rate, the
    # N member one to finish (both are the first of their kind in grid 1).
    demo_resident = next((r for r in residents if r.phone == DEMO_PHONES["resident"]), None)
    demo_volunteer = next((p for p in volunteers if p.phone == DEMO_PHONES["N member"]), None)
    elderly = [r for r in residents if r.birth_year and today.year - r.birth_year >= 65]
    count = 0
    for index, (category, text, state, hours, level, answer, rating) in enumerate(WISHES):
        resident = rng.choice(elderly or residents)
        claimer = rng.choice(volunteers)
        if state == "fulfilled" and demo_resident is not None:
            resident = demo_resident
        if state == "claimed" and index == 4 and demo_volunteer is not None:
            claimer = demo_volunteer
        if state == "open" and index < 2 and demo_resident is not None:
            resident = demo_resident if index == 0 else resident
        building = resident.household.building
        posted = anchor - timedelta(hours=hours)
        period = timedelta(hours=DEFAULT_ESCALATION_HOURS[category])
        claimed_at = posted + period * level + timedelta(hours=rng.randint(1, 6))
        done_at = claimed_at + timedelta(hours=rng.randint(2, 20))
        wish = Wish(
            community_id=community.id,
            grid_id=building.grid_id,
            building_id=building.id,
            resident_id=resident.id,
            category=category,
            text=text,
            status=state,
            posted_by_id=heads.get(building.id) if resident.phone is None else None,
            via="head" if resident.phone is None else rng.choice(["app", "sms", "sms"]),
            posted_at=posted,
            waiting_since=posted,
            escalation_level=level,
            escalated_at=posted + period * level if level else None,
            fulfilled_note="",
        )
        events: list[tuple[str, int | None, datetime, int | None]] = [
            ("posted", wish.posted_by_id, posted, None)
        ]
        for step in range(1, level + 1):
            events.append(("escalated", None, posted + period * step, step))
        if state != WishStatus.OPEN:
            wish.claimer_id = claimer.id
            wish.claimed_at = claimed_at
            wish.resolved_level = level
            events.append(("claimed", claimer.id, claimed_at, level))
        if state in (WishStatus.FULFILLED, WishStatus.CONFIRMED):
            wish.fulfilled_at = done_at
            wish.fulfilled_note = answer
            events.append(("fulfilled", claimer.id, done_at, None))
        if state == WishStatus.CONFIRMED:
            wish.rating = rating
            wish.rated_at = done_at + timedelta(hours=3)
            events.append(("rated", resident.person_id, wish.rated_at, None))
        db.session.add(wish)
        db.session.flush()
        for action, actor, at, event_level in events:
            db.session.add(
                WishEvent(
                    wish_id=wish.id,
                    community_id=community.id,
                    action=action,
                    actor_id=actor,
                    via="system" if action == "escalated" else wish.via,
                    at=at,
                    level=event_level,
                    once_key=f"escalated:{event_level}" if action == "escalated" else None,
                    detail={"rating": rating} if action == "rated" else {},
                )
            )
        count += 1
    db.session.flush()
    return count
