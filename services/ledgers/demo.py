"""Demo records back-dated into the quarter before this one, so a past quarter's ledger is
worth exporting: needs heard on visits and answered, micro-wishes fulfilled and rated, a
flood-season mobilisation and a notice, weekly patrols with findings, two disputes settled,
the medical-insurance review campaign, the quarter's grid leaders' meeting and a grid meeting.

The other features' demos tell the last few weeks; these records stay at least SPARE_DAYS
before today so that the two never mix (their tests count their own demo's records).
Written as rows with their past moments (what the operations would have written then); past
messages are not made again.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from models import (
    Broadcast,
    Building,
    Community,
    Household,
    Need,
    NeedEvent,
    PatrolFinding,
    PatrolSchedule,
    PatrolShift,
    PatrolSignup,
    Person,
    Post,
    Resident,
    Wish,
    WishEvent,
    db,
)
from models.clock import at
from models.roles import Role
from services.ledgers import demo_duties
from services.ledgers.demo_duties import Moment
from services.ledgers.periods import of

# Days before today that the back-dated records keep clear of (the other demos' weeks).
SPARE_DAYS = 60

NEEDS = (
    ("repairs", "厨房水龙头漏水，老人自己修不了", "solved", "楼栋长上门换了水龙头垫片"),
    ("elderly", "独居老人希望有人定期打电话问候", "solved", "已安排志愿者每周二电话问候"),
    ("paperwork", "不会在手机上办理高龄补贴认证", "solved", "网格员上门帮助完成认证"),
    ("environment", "楼道堆放杂物，影响通行", "solved", "已协调物业清理"),
    ("health", "行动不便，想预约家庭医生上门", "referred", "已转社区卫生服务站，医生已上门"),
    ("repairs", "单元门闭门器坏了，门关不上", "solved", "物业已更换闭门器"),
    ("property", "地下室返潮有积水", "referred", "物业公司已排水并检查管道"),
    ("elderly", "想参加社区老年大学书法班", "solved", "已帮助报名，九月开课"),
    ("safety", "楼下路灯不亮，晚上出门不安全", "solved", "已报修，路灯已恢复"),
    ("other", "孩子暑假想找公益托管班", "solved", "已介绍到社区暑期托管班"),
)
WISHES = (
    ("repair", "家里灯泡坏了，够不着换", "已帮忙换好灯泡", 5),
    ("errand", "想请人帮忙买一袋大米送上楼", "已送米上楼", 5),
    ("escort", "下周二要去医院复查，希望有人陪同", "志愿者陪同复查，顺利", 5),
    ("paperwork", "帮忙填写医保复审的表格", "已协助填表并提交", 4),
    ("care", "老伴住院，想有人陪我聊聊天", "志愿者每周上门陪伴两次", 5),
    ("repair", "阳台晾衣架坏了", "已修好晾衣架", 4),
)
FINDINGS = (
    "2号楼楼道堆放纸箱，有消防隐患",
    "小区西门一处井盖松动",
    "东侧围墙外电动车乱停放",
    "地下车库照明灯坏了两盏",
)


def since_spare(today: date) -> datetime:
    """The first moment the other demos' records may hold (theirs are newer than this)."""
    return at(today - timedelta(days=SPARE_DAYS - 1), time())


def _window(today: date) -> tuple[date, date]:
    """The previous quarter's days that keep SPARE_DAYS clear of today."""
    quarter = of("quarter", today).previous()
    return quarter.first, min(quarter.last, today - timedelta(days=SPARE_DAYS))


def _holders(community: Community, role: str, today: date) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.community_id == community.id, Post.role == role, Post.active_on(today))
            .order_by(Post.id)
        )
    )


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Add the back-dated quarter's records to the demo community; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return
    first, last = _window(today)
    if last < first:
        return
    days = (last - first).days + 1

    def moment(day_number: int, hour: int, minute: int = 0) -> datetime:
        return at(first + timedelta(days=min(day_number, days - 1)), time(hour, minute))

    secretary = _holders(community, Role.SECRETARY, today)
    heads = _holders(community, Role.BUILDING_HEAD, today)
    leaders = _holders(community, Role.GRID_LEADER, today)
    if not secretary or not heads or not leaders:
        return
    boss = secretary[0].person
    grids = list(community.grids)
    _needs(community, heads, boss, days, moment, rng)
    _wishes(heads, days, moment, rng)
    _broadcasts(community, boss, days, moment)
    _patrols(community, first, last, rng)
    demo_duties.mediation(community, grids, today, moment, rng)
    demo_duties.campaign(community, boss, days, moment)
    demo_duties.meetings(community, leaders, grids, boss, days, moment)
    db.session.flush()


def _households(building_id: int, limit: int = 10) -> list[Household]:
    return list(
        db.session.scalars(
            select(Household)
            .where(Household.building_id == building_id, Household.current())
            .order_by(Household.id)
            .limit(limit)
        )
    )


def _resident(household: Household) -> Resident | None:
    return db.session.scalar(
        select(Resident).where(Resident.household_id == household.id).order_by(Resident.id)
    )


def _needs(
    community: Community,
    heads: list[Post],
    boss: Person,
    days: int,
    moment: Moment,
    rng: random.Random,
) -> None:
    for number, (category, text, decision, answer) in enumerate(NEEDS):
        head = heads[(number * 3) % len(heads)]
        building = db.session.get(Building, head.building_id)
        if building is None:
            continue
        household = rng.choice(_households(building.id))
        raised = moment(number * days // len(NEEDS), 10)
        answered = raised + timedelta(days=rng.randint(1, 6), hours=3)
        resident = _resident(household)
        need = Need(
            community_id=community.id,
            grid_id=building.grid_id,
            building_id=building.id,
            household_id=household.id,
            resident_id=resident.id if resident else None,
            source="visit",
            raised_by_id=head.person_id,
            category=category,
            text=text,
            status="answered",
            decision=decision,
            decided_by_id=boss.id,
            decided_at=answered,
            answer=answer,
            answered_at=answered,
            created_at=raised,
        )
        db.session.add(need)
        db.session.flush()
        db.session.add_all(
            [
                NeedEvent(need_id=need.id, actor_id=head.person_id, action="raised", at=raised),
                NeedEvent(need_id=need.id, actor_id=boss.id, action=decision, at=answered),
                NeedEvent(need_id=need.id, actor_id=boss.id, action="answered", at=answered),
            ]
        )


def _wishes(heads: list[Post], days: int, moment: Moment, rng: random.Random) -> None:
    for number, (category, text, note, rating) in enumerate(WISHES):
        head = heads[(number * 5 + 1) % len(heads)]
        building = db.session.get(Building, head.building_id)
        if building is None:
            continue
        household = rng.choice(_households(building.id))
        resident = _resident(household)
        if resident is None:
            continue
        posted = moment(number * days // len(WISHES) + 2, 9)
        claimed = posted + timedelta(hours=rng.randint(2, 20))
        fulfilled = claimed + timedelta(days=1)
        rated = fulfilled + timedelta(hours=5)
        wish = Wish(
            community_id=building.community_id,
            grid_id=building.grid_id,
            building_id=building.id,
            resident_id=resident.id,
            category=category,
            text=text,
            status="confirmed",
            posted_by_id=head.person_id,
            via="head",
            posted_at=posted,
            waiting_since=posted,
            claimer_id=head.person_id,
            claimed_at=claimed,
            fulfilled_at=fulfilled,
            fulfilled_note=note,
            rating=rating,
            rated_at=rated,
            resolved_level=0,
        )
        db.session.add(wish)
        db.session.flush()
        for action, when, actor in (
            ("posted", posted, head.person_id),
            ("claimed", claimed, head.person_id),
            ("fulfilled", fulfilled, head.person_id),
            ("rated", rated, None),
        ):
            db.session.add(
                WishEvent(
                    wish_id=wish.id,
                    community_id=wish.community_id,
                    action=action,
                    actor_id=actor,
                    via="sms" if actor is None else "app",
                    at=when,
                )
            )


def _broadcasts(community: Community, boss: Person, days: int, moment: Moment) -> None:
    for day_number, kind, text, count in (
        (6, "mobilisation", "汛期将至，请各网格组织志愿者检查地下室和低洼处排水", 86),
        (days - 10, "information", "高龄补贴年度认证本月截止，80岁以上老人请及时认证", 214),
    ):
        sent = moment(day_number, 9, 30)
        db.session.add(
            Broadcast(
                community_id=community.id,
                kind=kind,
                text=text,
                audience={},
                recipient_count=count,
                created_by_id=boss.id,
                created_at=sent,
                sent_at=sent,
                status="done",
                done_at=sent + timedelta(minutes=20),
            )
        )


def _patrols(community: Community, first: date, last: date, rng: random.Random) -> None:
    """Saturday evening patrols on every route's schedule, each with its patrollers."""
    schedules = list(
        db.session.scalars(
            select(PatrolSchedule)
            .where(PatrolSchedule.active.is_(True))
            .order_by(PatrolSchedule.id)
        )
    )
    day = first + timedelta(days=(5 - first.weekday()) % 7)
    shift_number = 0
    while day <= last:
        for schedule in schedules:
            route = schedule.route
            if route.community_id != community.id:
                continue
            patrollers = list(
                db.session.scalars(
                    select(Person)
                    .join(Post, Post.person_id == Person.id)
                    .where(Post.grid_id == route.grid_id, Post.role == Role.PATROLLER)
                    .order_by(Person.id)
                )
            )
            starts = at(day, time(schedule.start_minute // 60, schedule.start_minute % 60))
            ends = starts + timedelta(minutes=schedule.minutes)
            shift = PatrolShift(
                schedule_id=schedule.id,
                route_id=route.id,
                community_id=community.id,
                grid_id=route.grid_id,
                day=day,
                starts_at=starts,
                ends_at=ends,
                places_needed=schedule.places_needed,
                places_taken=0,
            )
            db.session.add(shift)
            db.session.flush()
            shift_number += 1
            # Most shifts are kept; now and then nobody could go.
            if not patrollers or shift_number % 9 == 0:
                continue
            for person in patrollers[: schedule.places_needed]:
                db.session.add(
                    PatrolSignup(
                        shift_id=shift.id,
                        person_id=person.id,
                        signed_up_at=starts - timedelta(days=2),
                        started_at=starts + timedelta(minutes=2),
                        finished_at=ends,
                        report="正常",
                    )
                )
                shift.places_taken += 1
            if shift_number % 7 == 0:
                db.session.add(
                    PatrolFinding(
                        shift_id=shift.id,
                        person_id=patrollers[0].id,
                        text=FINDINGS[(shift_number // 7) % len(FINDINGS)],
                        at=starts + timedelta(minutes=40),
                    )
                )
        day += timedelta(days=7)
