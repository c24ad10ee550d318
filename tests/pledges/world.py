"""A community with two grids, their heads and households, for the pledges' tests."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from typing import Any

from models import PledgeRating, PledgeRound, db
from models.clock import ZONE
from notify import inbound
from services.pledges import operations
from services.report_in.quarters import Quarter

# The third day of Q4 2026, 10:00 in Shanghai (outside quiet hours): Q3 is rated.
NOW = datetime(2026, 10, 3, 10, 0, tzinfo=ZONE)
TODAY = date(2026, 10, 3)
Q3 = Quarter(date(2026, 7, 1))
_ids = itertools.count(1)


class World:
    def __init__(self, make: Any) -> None:
        self.community = make.community()
        self.community.quiet_from = self.community.quiet_until = time(0, 0)
        self.g1 = make.grid(self.community, name="第一网格")
        self.g2 = make.grid(self.community, name="第二网格")
        self.b1 = make.building(self.g1, name="1号楼")
        self.b3 = make.building(self.g2, name="3号楼")
        # h1: answered on its contact phone; h2: a resident's own phone; h3: nobody consents.
        self.h1 = make.household(self.b1, room="101", contact_phone="+8613900001010")
        self.h2 = make.household(self.b1, room="102")
        self.h3 = make.household(self.b1, room="103", contact_phone="+8613900001030")
        self.h4 = make.household(self.b3, room="301", contact_phone="+8613900003010")
        self.r1 = make.resident(self.h1, name="赵大妈", sms_consent=True)
        self.r2 = make.resident(self.h2, name="钱大爷", phone="+8613900001020", sms_consent=True)
        self.r3 = make.resident(self.h3, name="孙阿姨", sms_consent=False)
        self.r4 = make.resident(self.h4, name="李奶奶", sms_consent=True)
        self.head1 = make.person(name="张秀兰")
        self.head1_post = make.post(
            self.head1, "building_head", community=self.community, building=self.b1
        )
        self.leader1 = make.person(name="李建国")
        self.leader1_post = make.post(
            self.leader1, "grid_leader", community=self.community, grid=self.g1
        )
        self.head3 = make.person(name="王桂芳")
        self.head3_post = make.post(
            self.head3, "building_head", community=self.community, building=self.b3
        )
        self.leader2 = make.person(name="陈志强")
        self.leader2_post = make.post(
            self.leader2, "grid_leader", community=self.community, grid=self.g2
        )
        self.patroller = make.person(name="巡逻员老刘")
        self.patroller_post = make.post(
            self.patroller, "patroller", community=self.community, grid=self.g1
        )
        self.secretary = make.person(name="书记")
        make.post(self.secretary, "secretary", community=self.community)
        self.staff = make.person(name="工作人员")
        make.post(self.staff, "staff", community=self.community)
        db.session.commit()

    def open_round(self, now: datetime = NOW, today: date = TODAY) -> PledgeRound:
        round_ = operations.open_round(self.community, Q3, by=self.secretary, now=now, today=today)
        db.session.commit()
        return round_

    def rating(self, household: Any, post: Any) -> PledgeRating:
        found = (
            db.session.query(PledgeRating)
            .filter_by(household_id=household.id, post_id=post.id)
            .one()
        )
        assert isinstance(found, PledgeRating)
        return found


def sms(phone: str, text: str, now: datetime = NOW) -> str:
    handled = inbound.handle(
        channel="sms",
        provider_id=f"SMpl{next(_ids)}",
        address=phone,
        phone=phone,
        text=text,
        now=now,
    )
    db.session.commit()
    return handled.reply or ""
