"""The assessment in the browser on a 360 px phone, in Chinese: the secretary computes last
quarter's draft, types a bad manual score (told why, what was typed kept), a good one,
publishes; the notice board shows the grids' ranking at once; the building head sees their
stars on their own page."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import Building, HouseholdMonth, db
from models.base import writing
from pwa import auth
from services.assessment.periods import previous_quarter
from tests.e2e.conftest import LiveServer, World, new_visitor
from tests.e2e.test_accessibility import AxeAudit


def test_compute_adjust_publish_and_see_the_stars_on_a_phone(
    chromium: Browser, live_server: LiveServer, world: World
) -> None:
    period = previous_quarter(auth.today())
    with writing():
        building = db.session.scalar(select(Building).where(Building.id == world.building_id))
        assert building is not None
        for month in period.months(auth.today())[:2]:  # visited in two of the three months
            db.session.add(
                HouseholdMonth(
                    household_id=world.household_id,
                    month=month,
                    community_id=building.community_id,
                    grid_id=building.grid_id,
                    building_id=building.id,
                    last_visited_on=date(month.year, month.month, 3),
                )
            )
        db.session.commit()
    secretary = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    head = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        head.sign_in_quickly(world.people["building_head"].phone)
        secretary.sign_in_quickly(world.people["secretary"].phone)
        audit = AxeAudit(secretary)
        page = secretary.page
        audit.check("/assessment")
        secretary.fits("/assessment")
        page.get_by_role("button", name="生成").click()
        label = f"{period.year}年第{period.quarter}季度"
        expect(page.locator(".flashes")).to_contain_text(f"已根据工作记录生成{label}考核")
        main = page.locator("main")
        expect(main).to_contain_text("走访覆盖率")
        expect(main).to_contain_text(world.people["building_head"].name)
        audit.check()
        secretary.fits("the draft")

        row = page.locator("details", has_text=f"为{world.people['building_head'].name}加减分")
        row.locator("summary").click()
        row.get_by_label("加减分（-10至10）").fill("很多")
        row.get_by_label("评语").fill("走访扎实")
        row.get_by_role("button", name="保存").click()
        expect(page.locator("#error")).to_contain_text("加减分必须是数字")
        row = page.locator("details", has_text=f"为{world.people['building_head'].name}加减分")
        expect(row.get_by_label("加减分（-10至10）")).to_have_value("很多")
        expect(row.get_by_label("评语")).to_have_value("走访扎实")
        secretary.fits("the refused score")
        # The refusal is answered 422, which the browser notes as a failed load.
        assert all("422" in e for e in secretary.console_errors), secretary.console_errors
        secretary.console_errors.clear()
        row.get_by_label("加减分（-10至10）").fill("5")
        row.get_by_role("button", name="保存").click()
        expect(page.locator(".flashes")).to_contain_text("已保存")

        page.locator("summary", has_text="公示…").click()
        page.get_by_role("button", name="确认公示").click()
        expect(page.locator(".flashes")).to_contain_text(f"{label}考核已公示")
        expect(main).to_contain_text("各项数据已锁定")
        secretary.fits("the published assessment")

        secretary.go(f"/c/{world.community_code}/board")
        board = page.locator("#assessment")
        expect(board).to_contain_text(f"{label}考核")
        expect(board).to_contain_text("第一网格")
        expect(board).to_contain_text("★")
        secretary.fits("the notice board")
        assert secretary.console_errors == []

        AxeAudit(head).check("/my/stars")
        expect(head.page.locator("main")).to_contain_text(label)
        expect(head.page.locator("main")).to_contain_text("★")
        head.fits("/my/stars")
    finally:
        secretary.context.close()
        head.context.close()
