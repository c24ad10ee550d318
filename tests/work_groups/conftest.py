"""A world with two grids, one whose work group has a robot on the fake WeCom."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest
from flask import Flask

from models import GridRobot, db, utcnow
from tests.fakes.wecom import FakeWeCom

SETTINGS = (
    "WECOM_WEBHOOK_BASE",
    "WECOM_MESSAGES_PER_MINUTE",
    "WECOM_WINDOW_SECONDS",
    "SEND_RETRY_BASE_SECONDS",
    "PUBLIC_BASE_URL",
)


def forget_dispatcher() -> None:
    # The worker keeps its channels for the life of the process; each test has its own fake.
    import tasks.deliveries

    if tasks.deliveries._dispatcher is not None:
        tasks.deliveries._dispatcher.pool.shutdown()
        tasks.deliveries._dispatcher = None


@pytest.fixture
def wecom(app: Flask) -> Iterator[FakeWeCom]:
    """A fake WeCom the app is configured for (its robots' addresses are the fake's)."""
    saved = {key: app.config.get(key) for key in SETTINGS}
    with FakeWeCom(window_seconds=2.0) as server:
        app.config.update(
            WECOM_WEBHOOK_BASE=server.webhook_base,
            # WeCom's 20 a minute, over a window short enough for a test to wait out.
            WECOM_MESSAGES_PER_MINUTE=20,
            WECOM_WINDOW_SECONDS=2.0,
            SEND_RETRY_BASE_SECONDS=0.5,
            PUBLIC_BASE_URL="https://linli.example.cn",
        )
        forget_dispatcher()
        try:
            yield server
        finally:
            app.config.update(saved)
            forget_dispatcher()
        assert server.crashes == []


class World:
    def __init__(self, make: Any, wecom: FakeWeCom) -> None:
        # No quiet hours: these tests run at any hour of the day.
        self.community = make.community(quiet_from=time(0, 0), quiet_until=time(0, 0))
        self.grid = make.grid(self.community, name="第一网格")
        self.other_grid = make.grid(self.community, name="第二网格")
        self.building = make.building(self.grid, compound="幸福小区", name="3号楼")
        self.household = make.household(self.building, unit="2", room="501")
        self.resident = make.resident(self.household, name="王奶奶", phone="+8613900000077")
        self.other_building = make.building(self.other_grid, compound="幸福小区", name="9号楼")
        self.other_household = make.household(self.other_building, unit="1", room="101")
        self.secretary = make.person(name="书记")
        make.post(self.secretary, "secretary", community=self.community)
        self.leader = make.person(name="网格长")
        make.post(self.leader, "grid_leader", community=self.community, grid=self.grid)
        self.other_leader = make.person(name="二网格长")
        make.post(self.other_leader, "grid_leader", community=self.community, grid=self.other_grid)
        self.head = make.person(name="楼栋长")
        make.post(self.head, "building_head", community=self.community, building=self.building)
        self.patrollers = []
        for i in range(2):
            p = make.person(name=f"巡逻员{i}")
            make.post(p, "patroller", community=self.community, grid=self.grid)
            self.patrollers.append(p)
        self.url = wecom.new_robot()
        self.key = self.url.rsplit("=", 1)[1]
        db.session.add(
            GridRobot(
                grid_id=self.grid.id,
                community_id=self.community.id,
                webhook_url=self.url,
                changed_at=utcnow(),
            )
        )
        db.session.commit()


@pytest.fixture
def world(make: Any, wecom: FakeWeCom) -> World:
    return World(make, wecom)
