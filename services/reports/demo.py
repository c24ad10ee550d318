"""Demo observers' reports and property matters for the demo community.

Grid 1's observer reports four public problems over the last week: a blocked drain answered
on the spot, a broken light with the property company (waiting, within its deadline), a noisy
lift the company has not answered past its deadline (its contact chased), and loose fitness
equipment still waiting for the grid leader.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from models import Building, Community, PartnerUnit, db
from models.clock import at, local_now
from models.roles import Role
from services.needs import operations as needs
from services.needs import property_matters
from services.reports import operations as reports
from services.work_orders.demo import holders

COMPANY = ("安居物业服务有限公司", "物业公司", "周经理", "+8613900000091")


def _moment(today: date, days_ago: int, clock: int) -> datetime:
    return at(today - timedelta(days=days_ago), time(clock, 0))


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Add the property company and a week of reports; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None or not community.grids:
        return
    name, kind, contact, phone = COMPANY
    db.session.add(
        PartnerUnit(
            community_id=community.id,
            name=name,
            kind=kind,
            contact_name=contact,
            contact_phone=phone,
        )
    )
    db.session.flush()
    grid = community.grids[0]
    observers = holders(community, Role.OBSERVER, today, grid.id)
    leaders = holders(community, Role.GRID_LEADER, today, grid.id)
    if not observers or not leaders:
        return
    who = reports.reporter(observers[0], today)
    if who is None:
        return
    buildings = list(
        db.session.scalars(
            select(Building).where(Building.grid_id == grid.id).order_by(Building.id).limit(6)
        )
    )
    lift, light = buildings[-1], buildings[0]
    reports.report(
        who,
        category=property_matters.CATEGORY,
        text=f"{lift.name}2单元电梯运行时有异响，老人不敢坐。",
        building_id=lift.id,
        now=_moment(today, 6, 9),
    )
    drain = reports.report(
        who,
        category="environment",
        text="东门排水沟被落叶堵住，下雨路面积水。",
        place="小区东门",
        now=_moment(today, 4, 16),
    )
    needs.decide(
        drain,
        by=leaders[0],
        decision="solved",
        answer="已请保洁员清掏排水沟，积水已排净。",
        today=today - timedelta(days=4),
        now=_moment(today, 4, 18),
    )
    reports.report(
        who,
        category=property_matters.CATEGORY,
        text=f"{light.name}门口路灯不亮，晚上出入很黑。",
        building_id=light.id,
        now=_moment(today, 1, 20),
    )
    reports.report(
        who,
        category="safety",
        text="健身广场的单杠底座松动，孩子常去玩。",
        place=rng.choice(("中心健身广场", "小区健身广场")),
        now=_moment(today, 0, 8),
    )
    # The lift's deadline passed three days ago: its contact has been chased once.
    property_matters.chase(max(local_now(), _moment(today, 0, 9)))
