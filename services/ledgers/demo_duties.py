"""The back-dated quarter's duties (services/ledgers/demo.py says why): two disputes mediated
and settled, the medical-insurance review campaign, the quarter's grid leaders' meeting and a
grid meeting. Rows with their past moments, as the operations would have written them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import select

from models import (
    Building,
    Campaign,
    CampaignEvent,
    CampaignHousehold,
    Community,
    Grid,
    Household,
    MediationCase,
    MediationEvent,
    MediationParty,
    Meeting,
    MeetingEvent,
    MeetingInvitee,
    Person,
    Post,
    db,
)
from models.roles import Role

# A moment of the back-dated window: (day number, hour[, minute]).
Moment = Callable[..., datetime]


def mediation(
    community: Community,
    grids: list[Grid],
    today: date,
    moment: Moment,
    rng: random.Random,
) -> None:
    cases = (
        ("noise", "楼上装修噪音大，两户多次争吵", "双方约定装修时间为早8点至晚6点，已签协议"),
        ("leak", "楼上空调冷凝水滴到楼下阳台", "楼上加装导水管，双方和解"),
    )
    for number, (category, summary, agreement) in enumerate(cases):
        grid: Grid = grids[number % len(grids)]
        mediator = db.session.scalar(
            select(Post).where(
                Post.grid_id == grid.id, Post.role == Role.MEDIATOR, Post.active_on(today)
            )
        )
        if mediator is None:
            continue
        opened = moment(10 + number * 30, 15)
        concluded = opened + timedelta(days=rng.randint(4, 9))
        case = MediationCase(
            community_id=community.id,
            grid_id=grid.id,
            category=category,
            source="resident",
            summary=summary,
            status="concluded",
            mediator_id=mediator.person_id,
            opened_by_id=mediator.person_id,
            opened_at=opened,
            outcome="agreed",
            agreement=agreement,
            concluded_at=concluded,
            concluded_by_id=mediator.person_id,
            follow_up_due=(concluded + timedelta(days=30)).date(),
            followed_up_at=concluded + timedelta(days=30),
        )
        db.session.add(case)
        db.session.flush()
        households = list(
            db.session.scalars(
                select(Household)
                .join(Building, Building.id == Household.building_id)
                .where(Building.grid_id == grid.id, Household.current())
                .order_by(Household.id)
                .offset(20 + number * 4)
                .limit(2)
            )
        )
        for household in households:
            db.session.add(MediationParty(case_id=case.id, household_id=household.id))
        for action, when in (("opened", opened), ("outcome", concluded)):
            db.session.add(
                MediationEvent(
                    case_id=case.id,
                    community_id=community.id,
                    grid_id=grid.id,
                    person_id=mediator.person_id,
                    action=action,
                    at=when,
                )
            )


def campaign(community: Community, boss: Person, days: int, moment: Moment) -> None:
    created = moment(3, 9)
    campaign = Campaign(
        community_id=community.id,
        title="城乡居民医保年度复审",
        summary="城乡居民医保复审开始了，请带身份证到社区服务站办理，行动不便可预约上门。",
        full_text="复审材料：身份证、户口本、医保卡。行动不便的老人可打电话预约网格员上门办理。",
        deadline=(created + timedelta(days=min(60, days - 5))).date(),
        criteria={},
        status="closed",
        created_by_id=boss.id,
        created_at=created,
        closed_at=created + timedelta(days=min(60, days - 5)),
    )
    db.session.add(campaign)
    db.session.flush()
    rows = db.session.execute(
        select(Household.id, Building.id, Building.grid_id)
        .join(Building, Building.id == Household.building_id)
        .where(Building.community_id == community.id, Household.current())
        .order_by(Household.id)
        .limit(240)
    ).all()
    tellers: dict[int, int] = {
        post.grid_id: post.person_id
        for post in db.session.scalars(
            select(Post).where(Post.community_id == community.id, Post.role == Role.PUBLICIST)
        )
        if post.grid_id is not None
    }
    for number, (household_id, building_id, grid_id) in enumerate(rows):
        told = number % 8 != 0
        when = moment(5 + number % max(1, days - 10), 16) if told else None
        teller = tellers.get(grid_id, boss.id)
        db.session.add(
            CampaignHousehold(
                campaign_id=campaign.id,
                household_id=household_id,
                building_id=building_id,
                grid_id=grid_id,
                method=("in_person" if number % 3 else "phone") if told else None,
                informed_at=when,
                informed_by_id=teller if told else None,
            )
        )
        if told:
            db.session.add(
                CampaignEvent(
                    campaign_id=campaign.id,
                    community_id=community.id,
                    grid_id=grid_id,
                    household_id=household_id,
                    person_id=teller,
                    action="informed",
                    method="in_person" if number % 3 else "phone",
                    at=when,
                )
            )
    campaign.household_count = len(rows)
    db.session.add(
        CampaignEvent(
            campaign_id=campaign.id,
            community_id=community.id,
            person_id=boss.id,
            action="created",
            detail=str(len(rows)),
            at=created,
        )
    )


def _grid_posts(grid: Grid) -> list[Post]:
    """The grid's leader and N members (a grid meeting's invitees), one post each."""
    posts = db.session.scalars(select(Post).where(Post.grid_id == grid.id).order_by(Post.id))
    seen: dict[int, Post] = {}
    for post in posts:
        seen.setdefault(post.person_id, post)
    return list(seen.values())


def meetings(
    community: Community,
    leaders: list[Post],
    grids: list[Grid],
    boss: Person,
    days: int,
    moment: Moment,
) -> None:
    plans = (
        (None, "quarterly", "三季度网格长例会", "社区党群服务中心二楼会议室", leaders, days - 15),
        (grids[0], "regular", "第一网格七月例会", "第一网格议事角", _grid_posts(grids[0]), 12),
    )
    for grid, kind, title, place, invited, day_number in plans:
        starts = moment(day_number, 15)
        meeting = Meeting(
            community_id=community.id,
            grid_id=grid.id if grid is not None else None,
            kind=kind,
            title=title,
            starts_at=starts,
            place=place,
            agenda="一、本季度走访和需求回应情况；二、汛期安全；三、下季度重点工作",
            audience={},
            called_by_id=boss.id,
            called_at=starts - timedelta(days=5),
            minutes="通报本季度走访覆盖率和需求回应情况，布置汛期巡查和医保复审宣传。",
            decisions="各网格九月底前完成医保复审入户宣传。",
            minutes_at=starts + timedelta(hours=2),
        )
        db.session.add(meeting)
        db.session.flush()
        for post in invited:
            db.session.add(
                MeetingInvitee(
                    meeting_id=meeting.id,
                    person_id=post.person_id,
                    name=post.person.name,
                    reply="attend",
                    present=True,
                    marked_at=starts,
                )
            )
        for action, when in (("called", meeting.called_at), ("minutes", meeting.minutes_at)):
            db.session.add(
                MeetingEvent(
                    community_id=community.id,
                    grid_id=meeting.grid_id,
                    meeting_id=meeting.id,
                    person_id=boss.id,
                    action=action,
                    at=when,
                )
            )
