"""A community with a secretary, a staff member, two partner units (one with a liaison), a
resident, and its own SMS number, so texts to it belong to it."""

from __future__ import annotations

import itertools
from datetime import time
from typing import Any

import pytest

from models import PartnerUnit, db, utcnow
from notify import inbound

NUMBER = "+15005550006"
LIAISON = "+8613900007777"
_ids = itertools.count(1)


class World:
    def __init__(self, make: Any) -> None:
        # No quiet hours: what is sent must not wait for the morning, whenever the test runs.
        self.community = make.community(
            quiet_from=time(0, 0), quiet_until=time(0, 0), sms_number=NUMBER, code="xf"
        )
        self.grid = make.grid(self.community, name="第一网格")
        self.building = make.building(self.grid, name="3号楼")
        self.household = make.household(self.building, unit="2", room="501")
        self.resident = make.resident(self.household, name="王建国", phone="+8613900000088")
        self.secretary = make.person(name="书记")
        make.post(self.secretary, "secretary", community=self.community)
        self.staff = make.person(name="社区干事")
        make.post(self.staff, "staff", community=self.community)
        self.unit = PartnerUnit(
            community_id=self.community.id,
            name="区供电局",
            contact_name="李工",
            contact_phone=LIAISON,
        )
        self.other_unit = PartnerUnit(community_id=self.community.id, name="市第二医院")
        db.session.add_all([self.unit, self.other_unit])
        db.session.commit()
        self.liaison = make.person(name="李工", phone=LIAISON)


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def text(phone: str, body: str, to: str | None = NUMBER) -> str:
    """An SMS from `phone` to the community's number; return the answer."""
    handled = inbound.handle(
        channel="sms",
        provider_id=f"RI{next(_ids)}",
        address=phone,
        phone=phone,
        text=body,
        now=utcnow(),
        to=to,
    )
    db.session.commit()
    return handled.reply or ""
