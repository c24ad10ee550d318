"""Demo campaigns: 医保缴费 running with partial progress, 垃圾分类 finished last month."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from models import (
    Building,
    Campaign,
    CampaignHousehold,
    Community,
    Delivery,
    InformedBy,
    Person,
    Post,
    Resident,
    db,
)
from models.roles import Role
from services.broadcasts.queries import Criteria
from services.campaigns import operations
from services.campaigns import sms as campaign_sms
from services.roster.areas import Area
from services.work_orders.demo import delivered, holders, hour

MEDICAL = (
    "2027年度城乡居民医疗保险集中缴费已开始，个人缴费标准每人每年380元。"
    "缴费截止日期为12月31日，逾期未缴的，2027年就医不能报销。\n\n"
    "缴费方式：1. 手机“陕西医保”小程序或微信搜索“陕西税务”缴纳；2. 到社区服务站现场缴纳，"
    "带上户口本或身份证；3. 行动不便的老人可请楼栋长上门代办。\n\n"
    "低保、特困、重度残疾人员由财政全额或部分资助，请持相关证件到社区核实。"
)
SORTING = (
    "自本月起小区全面推行生活垃圾分类：厨余垃圾（绿桶）、可回收物（蓝桶）、"
    "有害垃圾（红桶）、其他垃圾（灰桶）。每天7:00–9:00、18:00–20:00定时投放，"
    "志愿者在投放点指导。大件垃圾请预约，电话见楼道公示牌。"
)


def _tellers(community: Community, today: date) -> dict[int, list[Person]]:
    """Who ticks households in each building: its head, then the grid's publicists."""
    found: dict[int, list[Person]] = {}
    rows = db.session.execute(
        select(Post.building_id, Post.grid_id, Post.role, Person)
        .join(Person, Person.id == Post.person_id)
        .where(
            Post.community_id == community.id,
            Post.role.in_([Role.BUILDING_HEAD, Role.PUBLICIST]),
            Post.active_on(today),
        )
    ).all()
    publicists: dict[int, list[Person]] = {}
    for building_id, grid_id, role, person in rows:
        if role == Role.BUILDING_HEAD and building_id is not None:
            found.setdefault(building_id, []).insert(0, person)
        elif grid_id is not None:
            publicists.setdefault(grid_id, []).append(person)
    for building_id, grid_id in db.session.execute(
        select(Building.id, Building.grid_id).where(Building.community_id == community.id)
    ):
        found.setdefault(building_id, []).extend(publicists.get(grid_id, []))
    return found


def _tick(
    campaign_id: int,
    tellers: dict[int, list[Person]],
    share: float,
    rng: random.Random,
    day: date,
) -> None:
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None
    rows = db.session.scalars(
        select(CampaignHousehold)
        .where(CampaignHousehold.campaign_id == campaign_id, CampaignHousehold.method.is_(None))
        .order_by(CampaignHousehold.id)
    ).all()
    whole = Area(community_ids=frozenset({campaign.community_id}))
    for row in rows:
        people = tellers.get(row.building_id)
        if not people or rng.random() > share:
            continue
        method = InformedBy.IN_PERSON if rng.random() < 0.7 else InformedBy.PHONE
        when = hour(day - timedelta(days=rng.randint(1, 6)), rng.randint(9, 19), rng.randint(0, 59))
        operations.mark_informed(
            campaign, row.household_id, method, area=whole, by=rng.choice(people), now=when
        )


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Add the two demo campaigns; flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None or len(community.grids) < 2:
        return
    secretaries = holders(community, Role.SECRETARY, today)
    if not secretaries:
        return
    secretary = secretaries[0]
    tellers = _tellers(community, today)

    # Finished: waste sorting in grids 1 and 2, sent by SMS, most households told.
    started = today - timedelta(days=40)
    sorting = operations.create(
        community,
        title="垃圾分类",
        summary="小区推行垃圾分类，每天7-9点、18-20点定时投放。",
        full_text=SORTING,
        deadline=today - timedelta(days=10),
        criteria=Criteria(grids=(community.grids[0].id, community.grids[1].id)),
        by=secretary,
        now=hour(started, 9, 30),
        today=started,
    )
    sent_at = hour(started, 10)
    campaign_sms.request_sms(sorting, by=secretary, now=sent_at)
    while campaign_sms.send_step(sorting, sent_at):
        pass
    delivered(sorting.batch_key, sent_at)
    readers = db.session.scalars(
        select(Resident)
        .join(Delivery, Delivery.resident_id == Resident.id)
        .where(Delivery.batch_key == sorting.batch_key)
        .order_by(Resident.id)
    ).all()
    for resident in readers:
        if rng.random() < 0.3:
            moment = sent_at + timedelta(minutes=rng.randint(3, 600))
            operations.acknowledge(sorting, resident, via="sms", now=moment, by=None)
    _tick(sorting.id, tellers, 0.9, rng, today - timedelta(days=15))
    operations.close(sorting, by=None, now=hour(today - timedelta(days=9), 0, 5))

    # Running: medical insurance for everyone, a third of the households told so far.
    medical = operations.create(
        community,
        title="医保缴费",
        summary="城乡居民医保缴费已开始，每人380元，请在截止日前缴纳。",
        full_text=MEDICAL,
        deadline=today + timedelta(days=26),
        criteria=Criteria(),
        by=secretary,
        now=hour(today - timedelta(days=8), 9),
        today=today - timedelta(days=8),
    )
    _tick(medical.id, tellers, 0.35, rng, today)
