"""Demo visits for the demo community: twelve months of them, this month partly done, and needs.

Rows are written in bulk (the visits with their household-month rows), and no message is
sent: loading a demo must not text anyone.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select

from models import (
    Building,
    Community,
    Household,
    HouseholdMonth,
    Need,
    NeedEvent,
    Post,
    Resident,
    Visit,
    db,
)
from models.clock import month_start
from models.roles import N_MEMBER_ROLES, Role
from services.visits.coverage import add_months

NOTES = (
    "身体不错，聊了家常。",
    "老人血压有点高，提醒按时吃药。",
    "家里都好，没有困难。",
    "孩子在外地，老人一个人在家，多来看看。",
    "了解了高龄补贴政策。",
    "不在家，电话联系上了，一切都好。",
)
# (category, text, days ago, answered: (decision, answer) or None)
NEEDS: tuple[tuple[str, str, int, tuple[str, str] | None], ...] = (
    ("repairs", "楼道声控灯坏了，晚上看不清台阶。", 2, None),
    ("elderly", "想申请高龄补贴，不知道要带什么材料。", 5, None),
    ("environment", "单元门口的垃圾桶满了没人清。", 11, None),
    ("health", "老人腿脚不便，想请医生上门量血压。", 16, None),
    ("neighbours", "楼上装修噪音太大，中午也在施工。", 1, None),
    ("repairs", "厨房下水道堵了。", 30, ("solved", "网格员联系物业当天疏通。")),
    ("paperwork", "医保复审材料不清楚。", 45, ("solved", "上门讲解并帮忙准备好材料。")),
    ("safety", "小区东门路灯不亮。", 60, ("declined", "路灯归市政管理，已告知市政热线。")),
)


def load(today: date, rng: random.Random, community_code: str) -> int:
    """Add the demo visits and needs to the community with that code; return the visits made."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return 0
    buildings = db.session.scalars(
        select(Building).where(Building.community_id == community.id).order_by(Building.id)
    ).all()
    posts = db.session.scalars(
        select(Post).where(Post.community_id == community.id, Post.active_on(today))
    ).all()
    heads = {p.building_id: p.person_id for p in posts if p.role == Role.BUILDING_HEAD}
    leaders = {p.grid_id: p.person_id for p in posts if p.role == Role.GRID_LEADER}
    observers = [p.person_id for p in posts if p.role in N_MEMBER_ROLES]
    secretary = next((p.person_id for p in posts if p.role == Role.SECRETARY), None)
    this_month = month_start(today)
    visits: list[dict[str, Any]] = []
    months: list[dict[str, Any]] = []
    households_by_building: dict[int, list[Household]] = {}
    for building in buildings:
        households = list(building.households)
        households_by_building[building.id] = households
        visitor = heads.get(building.id) or leaders.get(building.grid_id) or secretary
        if visitor is None:
            continue
        for back in range(11, -1, -1):
            month = add_months(this_month, -back)
            # Past months mostly done; this month about as far along as the calendar.
            share = 0.9 + rng.random() * 0.1 if back else min(0.8, today.day / 31 * 0.85)
            last_day = (add_months(month, 1) - timedelta(days=1)).day
            latest = today.day if back == 0 else last_day
            for household in households:
                if rng.random() > share:
                    continue
                on = month.replace(day=rng.randint(1, latest))
                at = datetime.combine(on, time(10, rng.randint(0, 59)), tzinfo=UTC)
                visits.append(
                    {
                        "key": f"demo-{household.id}-{month:%Y%m}",
                        "household_id": household.id,
                        "building_id": building.id,
                        "community_id": community.id,
                        "visitor_id": visitor,
                        "visited_on": on,
                        "met": "",
                        "note": rng.choice(NOTES),
                        "via": "web",
                        "created_at": at,
                    }
                )
                months.append(
                    {
                        "household_id": household.id,
                        "month": month,
                        "community_id": community.id,
                        "grid_id": building.grid_id,
                        "building_id": building.id,
                        "visits": 1,
                        "last_visited_on": on,
                    }
                )
    if visits:
        db.session.execute(insert(Visit), visits)
        db.session.execute(insert(HouseholdMonth), months)
    _needs(community, households_by_building, rng, today, leaders, observers, secretary)
    db.session.flush()
    return len(visits)


def _needs(
    community: Community,
    households_by_building: dict[int, list[Household]],
    rng: random.Random,
    today: date,
    leaders: dict[int | None, int],
    observers: list[int],
    secretary: int | None,
) -> None:
    everyone = [h for hs in households_by_building.values() for h in hs]
    if not everyone:
        return
    noon = datetime.combine(today, time(4, 0), tzinfo=UTC)
    for category, text, days, answered in NEEDS:
        household = rng.choice(everyone)
        resident = db.session.scalar(
            select(Resident).where(Resident.household_id == household.id).limit(1)
        )
        building = household.building
        raised_by = rng.choice(observers) if observers else secretary
        at = noon - timedelta(days=days)
        need = Need(
            community_id=community.id,
            grid_id=building.grid_id,
            building_id=building.id,
            household_id=household.id,
            resident_id=resident.id if resident else None,
            source="observer",
            raised_by_id=raised_by,
            category=category,
            text=text,
            status="open",
            created_at=at,
        )
        db.session.add(need)
        db.session.flush()
        db.session.add(NeedEvent(need_id=need.id, actor_id=raised_by, action="raised", at=at))
        if answered:
            decider = leaders.get(building.grid_id) or secretary
            need.status = "answered"
            need.decision, need.answer = answered
            need.reason = answered[1] if answered[0] == "declined" else ""
            need.decided_by_id = decider
            need.decided_at = need.answered_at = at + timedelta(days=1)
            db.session.add(
                NeedEvent(need_id=need.id, actor_id=decider, action=answered[0], at=need.decided_at)
            )


__all__ = ["load"]
