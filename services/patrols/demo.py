"""Demo patrols: a route or two per grid, evening shifts, and a past month of patrols with
findings (one taken up as a need, one as a work order), so `make run` shows the feature.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from models import Community, PatrolFinding, PatrolShift, Person, Post, db
from models.clock import local_now
from models.roles import Role
from services.patrols import operations

ROUTES = (
    ("小区夜巡", "各楼栋单元门、小区东门、地下车库入口", "1234567", "19:00", "21:00", 2),
    ("学校周边", "实验小学南门至东岳小区路段", "12345", "16:00", "17:30", 1),
)
FINDINGS = (
    "3号楼消防通道堵塞，停放电动车5辆",
    "东门路灯不亮",
    "地下车库入口积水",
    "5号楼单元门门禁损坏，无法关闭",
    "小区北侧围栏有缺口",
)
REPORTS = ("正常", "正常", "正常", "无异常，已提醒居民关好单元门")


def _people(grid_id: int, role: str, today: date) -> list[Person]:
    return list(
        db.session.scalars(
            select(Person)
            .join(Post, Post.person_id == Person.id)
            .where(Post.grid_id == grid_id, Post.role == role, Post.active_on(today))
            .order_by(Person.id)
        )
    )


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Add routes, schedules, a month of past patrols and the coming shifts; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return
    now = local_now()
    month_ago = now - timedelta(days=30)
    for grid in community.grids:
        leaders = _people(grid.id, Role.GRID_LEADER, today)
        patrollers = _people(grid.id, Role.PATROLLER, today)
        if not leaders:
            continue
        leader = leaders[0]
        for number, (name, covers, days, starts, ends, places) in enumerate(ROUTES):
            if number and grid.number % 2 == 0:
                continue  # the school is near the odd grids only
            route = operations.add_route(grid, name=name, covers=covers, by=leader, now=month_ago)
            schedule = operations.add_schedule(
                route,
                weekdays=list(days),
                starts=starts,
                ends=ends,
                places_needed=places,
                by=leader,
                now=month_ago,
            )
            # The past month as it went, then the coming fortnight.
            operations.make_shifts(month_ago, days=31, schedules=[schedule])
            operations.make_shifts(now, schedules=[schedule])
            if not patrollers:
                continue
            past = db.session.scalars(
                select(PatrolShift)
                .where(PatrolShift.schedule_id == schedule.id, PatrolShift.ends_at < now)
                .order_by(PatrolShift.starts_at)
            ).all()
            for shift in past:
                if rng.random() < 0.1:
                    # Nobody that evening: the flag went to the grid leader, as the job does.
                    shift.flagged_at = shift.starts_at + timedelta(minutes=30)
                    operations.record(shift, "flagged", shift.flagged_at, via="system", detail="0")
                    continue
                team = rng.sample(patrollers, min(shift.places_needed, len(patrollers)))
                for person in team:
                    signed = shift.starts_at - timedelta(days=1)
                    result = operations.sign_up(
                        shift, by=person, via="app", now=signed, today=today
                    )
                    signup = result.signup
                    if signup is None:
                        continue
                    via = rng.choice(("sms", "app", "app", "telegram"))
                    begun = shift.starts_at + timedelta(minutes=rng.randint(0, 10))
                    operations.start(signup, via=via, now=begun)
                    if rng.random() < 0.15:
                        operations.report_finding(
                            signup,
                            text=rng.choice(FINDINGS),
                            via=via,
                            now=begun + timedelta(minutes=40),
                        )
                    operations.finish(
                        signup, via=via, now=shift.ends_at, report=rng.choice(REPORTS)
                    )
            # Some coming shifts already have people.
            coming = db.session.scalars(
                select(PatrolShift)
                .where(PatrolShift.schedule_id == schedule.id, PatrolShift.starts_at > now)
                .order_by(PatrolShift.starts_at)
                .limit(5)
            ).all()
            for shift in coming:
                for person in rng.sample(patrollers, min(1, len(patrollers))):
                    operations.sign_up(shift, by=person, via="app", now=now, today=today)
        # The grid leader took two findings up: one on the needs list, one as a work order.
        findings = db.session.scalars(
            select(PatrolFinding)
            .join(PatrolShift, PatrolShift.id == PatrolFinding.shift_id)
            .where(PatrolShift.grid_id == grid.id)
            .order_by(PatrolFinding.at.desc())
            .limit(2)
        ).all()
        for number, finding in enumerate(findings):
            later = finding.at + timedelta(hours=14)
            if number == 0:
                operations.to_need(finding, by=leader, category="safety", now=later)
            else:
                operations.to_order(finding, by=leader, category="safety", today=today, now=now)
