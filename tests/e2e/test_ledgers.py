"""The secretary opens last quarter's ledger on a 360 px phone, downloads it as .xlsx and
opens the printable A4 page: Chinese, no sideways scrolling."""

from __future__ import annotations

import io
from datetime import time, timedelta
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import Browser

from models import HouseholdMonth, Need, Visit, db
from models.clock import at, today
from services.ledgers import periods
from tests.e2e.conftest import LiveServer, new_visitor


def test_the_ledger_on_a_phone(chromium: Browser, live_server: LiveServer, make: Any) -> None:
    community = make.community(name="新丰路社区")
    grid = make.grid(community, name="第一网格")
    building = make.building(grid, compound="幸福家园", name="1号楼")
    household = make.household(building, unit="2", room="501")
    resident = make.resident(household, name="王奶奶")
    secretary = make.person(name="程敏")
    make.post(secretary, "secretary", community=community)
    head = make.person(name="姜卫国")
    make.post(head, "building_head", community=community, building=building)
    quarter = periods.of("quarter", today()).previous()
    day = quarter.first + timedelta(days=20)
    visit = Visit(
        key="e2e-ledger",
        household_id=household.id,
        building_id=building.id,
        community_id=community.id,
        visitor_id=head.id,
        visited_on=day,
        met="本人",
        note="老人血压偏高，提醒按时吃药，子女每周回来一次，家里一切都好，感谢社区关心。",
    )
    db.session.add(visit)
    db.session.add(
        HouseholdMonth(
            household_id=household.id,
            month=day.replace(day=1),
            community_id=community.id,
            grid_id=grid.id,
            building_id=building.id,
            last_visited_on=day,
        )
    )
    need = Need(
        community_id=community.id,
        grid_id=grid.id,
        building_id=building.id,
        household_id=household.id,
        resident_id=resident.id,
        source="visit",
        raised_by_id=head.id,
        category="repairs",
        text="厨房水龙头漏水，老人自己修不了，希望有人上门帮忙看看",
        created_at=at(day, time(10)),
    )
    db.session.add(need)
    db.session.commit()

    phone = new_visitor(
        chromium, live_server, viewport={"width": 360, "height": 740}, is_mobile=True
    )
    try:
        page = phone.page
        phone.sign_in_quickly(secretary.phone)
        phone.go("/area")
        with page.expect_navigation():
            page.get_by_role("link", name="台账").first.click()
        assert "/ledgers" in page.url
        page.select_option("#ledger-period", quarter.code)
        with page.expect_navigation():
            page.get_by_role("button", name="查看台账").click()
        main = page.locator("main").inner_text()
        assert "走访台账" in main and "共建单位服务台账" in main
        assert f"V{visit.id}" in main and f"N{need.id}" in main
        phone.fits("the ledger")
        page.screenshot(path="/tmp/i14-ledger-360.png", full_page=True)

        with page.expect_download() as waiting:
            page.locator("#ledger-xlsx").click()
        download = waiting.value
        assert download.suggested_filename.endswith(f"{quarter.code}.xlsx")
        with open(download.path(), "rb") as saved:
            book = load_workbook(io.BytesIO(saved.read()), read_only=True)
        assert "走访台账" in book.sheetnames
        rows = list(book["走访台账"].iter_rows(values_only=True))
        assert rows[1][0] == f"V{visit.id}" and rows[1][3] == "姜卫国"

        with page.expect_navigation():
            page.locator("#ledger-print").click()
        text = page.locator("body").inner_text()
        assert "新丰路社区" in text and "制表人" in text and "审核人" in text
        phone.fits("the printable page")
        page.emulate_media(media="print")
        assert page.locator(".screen-only").is_hidden()
        assert not phone.console_errors, phone.console_errors
    finally:
        phone.context.close()
