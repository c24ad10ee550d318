"""A small community whose third quarter of 2026 is counted by hand in the tests.

Grid 1: building b1 (households h1, h2), building b2 (h3); grid 2: building b3 (h4).
Posts: a grid leader of grid 1, b1's building head, a patroller, a mediator and a publicist of
grid 1, the secretary. Q3 2026 holds:

- visits: h1 in July, August and September, h2 in July, h4 in July and August;
- needs in b1: one answered in 2 days, one in 19 days, one not answered;
- wishes in b1: one fulfilled by the patroller and rated 5, one escalated and open, one
  withdrawn (not counted);
- a mediation case of the mediator, a party's rating 3;
- two patrol shifts of the patroller: one patrolled, one not;
- a grid 1 meeting: the grid leader and the patroller came, the building head did not;
- a campaign ending in September: h1 and h3 told, h2 not.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from models import (
    Campaign,
    CampaignHousehold,
    HouseholdMonth,
    MediationCase,
    MediationParty,
    Meeting,
    MeetingInvitee,
    Need,
    PatrolRoute,
    PatrolSchedule,
    PatrolShift,
    PatrolSignup,
    PledgeRating,
    PledgeRound,
    Wish,
    WishStatus,
    db,
)
from models.clock import at
from models.roles import Role
from services.assessment.periods import Period

Q3 = Period(2026, 3)


def moment(day: date, hour: int = 10) -> datetime:
    return at(day, time(hour))


class World:
    def __init__(self, make: Any) -> None:
        self.make = make
        c = self.community = make.community()
        self.grid1, self.grid2 = make.grid(c, name="一网格"), make.grid(c, name="二网格")
        self.b1 = make.building(self.grid1, name="1号楼")
        self.b2 = make.building(self.grid1, name="2号楼")
        self.b3 = make.building(self.grid2, name="3号楼")
        self.h1, self.h2 = make.household(self.b1), make.household(self.b1)
        self.h3, self.h4 = make.household(self.b2), make.household(self.b3)
        self.resident = make.resident(self.h1, name="王奶奶")
        self.secretary = make.person(name="李书记")
        make.post(self.secretary, Role.SECRETARY, community=c)
        self.staff = make.person(name="社工小周")
        make.post(self.staff, Role.STAFF, community=c)
        self.leader = make.person(name="张组长")
        self.leader_post = make.post(self.leader, Role.GRID_LEADER, community=c, grid=self.grid1)
        self.head = make.person(name="刘楼长")
        self.head_post = make.post(self.head, Role.BUILDING_HEAD, community=c, building=self.b1)
        self.patroller = make.person(name="赵巡逻")
        self.patroller_post = make.post(
            self.patroller, Role.PATROLLER, community=c, grid=self.grid1
        )
        self.mediator = make.person(name="钱调解")
        self.mediator_post = make.post(self.mediator, Role.MEDIATOR, community=c, grid=self.grid1)
        self.publicist = make.person(name="孙宣传")
        self.publicist_post = make.post(
            self.publicist, Role.PUBLICIST, community=c, grid=self.grid1
        )
        self.leader2 = make.person(name="二网格组长")
        make.post(self.leader2, Role.GRID_LEADER, community=c, grid=self.grid2)
        self._records()

    def _records(self) -> None:
        c = self.community
        add = db.session.add
        for household, months in ((self.h1, (7, 8, 9)), (self.h2, (7,)), (self.h4, (7, 8))):
            building = db.session.get(type(self.b1), household.building_id)
            for month in months:
                add(
                    HouseholdMonth(
                        household_id=household.id,
                        month=date(2026, month, 1),
                        community_id=c.id,
                        grid_id=building.grid_id,
                        building_id=building.id,
                        last_visited_on=date(2026, month, 5),
                    )
                )
        for created, answered in (
            (date(2026, 7, 1), date(2026, 7, 3)),
            (date(2026, 8, 1), date(2026, 8, 20)),
            (date(2026, 9, 1), None),
        ):
            add(
                Need(
                    community_id=c.id,
                    grid_id=self.grid1.id,
                    building_id=self.b1.id,
                    household_id=self.h1.id,
                    source="visit",
                    category="other",
                    text="需要",
                    created_at=moment(created),
                    answered_at=moment(answered) if answered else None,
                )
            )
        wish = {
            "community_id": c.id,
            "grid_id": self.grid1.id,
            "building_id": self.b1.id,
            "resident_id": self.resident.id,
            "category": "other",
            "text": "心愿",
            "via": "head",
        }
        self.wish = Wish(
            **wish,
            posted_at=moment(date(2026, 7, 10)),
            status=WishStatus.CONFIRMED,
            claimer_id=self.patroller.id,
            fulfilled_at=moment(date(2026, 7, 20)),
            rating=5,
            rated_at=moment(date(2026, 8, 1)),
        )
        add(self.wish)
        add(
            Wish(
                **wish,
                posted_at=moment(date(2026, 8, 10)),
                escalated_at=moment(date(2026, 8, 12)),
            )
        )
        add(Wish(**wish, posted_at=moment(date(2026, 9, 10)), status=WishStatus.WITHDRAWN))
        case = MediationCase(
            community_id=c.id,
            grid_id=self.grid1.id,
            category="noise",
            source="visit",
            summary="噪音",
            mediator_id=self.mediator.id,
            opened_by_id=self.mediator.id,
        )
        add(case)
        db.session.flush()
        add(
            MediationParty(
                case_id=case.id,
                household_id=self.h1.id,
                rating=3,
                rated_at=moment(date(2026, 9, 3)),
            )
        )
        # Q3's round of pledge ratings (opened in October): the building head a 4 and a 2, the
        # grid leader a 5.
        pledge_round = PledgeRound(
            community_id=c.id, quarter_first=date(2026, 7, 1), closes_on=date(2026, 11, 2)
        )
        add(pledge_round)
        db.session.flush()
        for household, post, value in (
            (self.h1, self.head_post, 4),
            (self.h2, self.head_post, 2),
            (self.h3, self.leader_post, 5),
        ):
            add(
                PledgeRating(
                    round_id=pledge_round.id,
                    community_id=c.id,
                    grid_id=self.grid1.id,
                    post_id=post.id,
                    household_id=household.id,
                    value=value,
                    rated_at=moment(date(2026, 10, 5)),
                )
            )
        route = PatrolRoute(
            community_id=c.id, grid_id=self.grid1.id, name="夜巡", created_by_id=self.leader.id
        )
        add(route)
        db.session.flush()
        schedule = PatrolSchedule(
            route_id=route.id,
            weekdays="1",
            start_minute=19 * 60,
            minutes=120,
            places_needed=2,
            created_by_id=self.leader.id,
        )
        add(schedule)
        db.session.flush()
        for day, started in ((date(2026, 7, 6), True), (date(2026, 8, 3), False)):
            shift = PatrolShift(
                schedule_id=schedule.id,
                route_id=route.id,
                community_id=c.id,
                grid_id=self.grid1.id,
                day=day,
                starts_at=moment(day, 19),
                ends_at=moment(day, 21),
                places_needed=2,
                places_taken=1,
            )
            add(shift)
            db.session.flush()
            add(
                PatrolSignup(
                    shift_id=shift.id,
                    person_id=self.patroller.id,
                    started_at=moment(day, 19) if started else None,
                )
            )
        meeting = Meeting(
            community_id=c.id,
            grid_id=self.grid1.id,
            kind="regular",
            title="八月例会",
            starts_at=moment(date(2026, 8, 15), 14),
            place="会议室",
            called_by_id=self.leader.id,
        )
        add(meeting)
        db.session.flush()
        for person, present in ((self.leader, True), (self.head, False), (self.patroller, True)):
            add(
                MeetingInvitee(
                    meeting_id=meeting.id, person_id=person.id, name=person.name, present=present
                )
            )
        campaign = Campaign(
            community_id=c.id,
            title="医保缴费",
            summary="医保缴费",
            deadline=date(2026, 9, 15),
            created_by_id=self.secretary.id,
        )
        add(campaign)
        db.session.flush()
        for household, told in ((self.h1, "in_person"), (self.h2, None), (self.h3, "phone")):
            building = db.session.get(type(self.b1), household.building_id)
            add(
                CampaignHousehold(
                    campaign_id=campaign.id,
                    household_id=household.id,
                    building_id=building.id,
                    grid_id=building.grid_id,
                    method=told,
                )
            )
        db.session.commit()
