"""A policy campaign in the browser on a 360 px phone, in Chinese (CSP on): the secretary counts
who it reaches, confirms and starts it; the building head ticks the household told in one tap;
the resident reads the policy from their home page."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import CampaignHousehold, Person, db, utcnow
from models.clock import ZONE
from tests.e2e.conftest import LiveServer, Visitor, World, new_visitor
from tests.e2e.test_accessibility import AxeAudit


def _phone(chromium: Browser, live_server: LiveServer) -> Visitor:
    return new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})


def test_a_campaign_from_writing_to_the_household_told(
    chromium: Browser, live_server: LiveServer, world: World
) -> None:
    db.session.rollback()  # hold no transaction (nor SQLite's lock) while the server works
    secretary = _phone(chromium, live_server)
    try:
        audit = AxeAudit(secretary)
        page = secretary.page
        secretary.sign_in_quickly(world.people["secretary"].phone)
        secretary.go("/campaigns")
        page.get_by_role("link", name="新建宣传").click()
        audit.check()
        secretary.fits("the new campaign form")
        page.fill("#c-title", "医保缴费")
        # Too long for one SMS with the signature: said, and nothing typed is lost.
        page.fill("#c-summary", "很" * 35)
        page.fill("#c-title", "很" * 20)
        page.fill("#c-text", "缴费方式：到社区服务站现场缴纳。")
        deadline = (utcnow() + timedelta(days=20)).astimezone(ZONE).strftime("%Y-%m-%d")
        page.fill("#c-deadline", deadline)
        page.fill("#c-age", "80")
        page.get_by_role("button", name="统计发送人数").click()
        expect(page.locator(".error")).to_contain_text("超出一条1个字")
        assert page.input_value("#c-text") == "缴费方式：到社区服务站现场缴纳。"
        page.fill("#c-title", "医保缴费")
        page.fill("#c-summary", "医保12月31日前缴费，每人380元。")
        page.get_by_role("button", name="统计发送人数").click()
        expect(page.locator(".hint")).to_contain_text("涉及1户、2位居民；其中1位可收到短信。")
        page.get_by_role("button", name="开始宣传").click()
        expect(page.locator("h1")).to_have_text("开始这项政策宣传？")
        secretary.fits("the confirmation")
        page.get_by_role("button", name="开始（1户）").click()
        expect(page.locator(".flashes")).to_contain_text("需告知1户")
        expect(page.locator("[data-progress]").last).to_contain_text("0 / 1")
        audit.check()
        secretary.fits("the campaign page")
        campaign_path = page.url.removeprefix(live_server.url)
        audit.assert_clean()
        # The refused summary answered 422 on purpose; nothing else went wrong.
        assert [e for e in secretary.console_errors if "422" not in e] == []
    finally:
        secretary.context.close()

    head = _phone(chromium, live_server)
    try:
        page = head.page
        head.sign_in_quickly(world.people["building_head"].phone)
        head.go("/area")
        page.get_by_role("link", name="政策宣传").click()
        page.get_by_role("link", name="我负责范围内未告知：1户").click()
        head.fits("the households not yet reached")
        row = page.locator(f'[data-household="{world.household_id}"]')
        expect(row).to_contain_text("幸福小区 3号楼 2单元501")
        row.get_by_role("button", name="当面告知").click()
        expect(page.locator(".flashes")).to_contain_text("已标记：当面告知。")
        expect(page.locator("#unreached")).to_contain_text("您负责范围内的住户都已告知。")
        head.go(campaign_path)
        expect(page.locator("[data-progress]").last).to_contain_text("1 / 1")
        assert head.console_errors == []
    finally:
        head.context.close()

    db.session.rollback()
    row = db.session.scalar(
        select(CampaignHousehold).where(CampaignHousehold.household_id == world.household_id)
    )
    who = db.session.scalar(
        select(Person.id).where(Person.phone == world.people["building_head"].phone)
    )
    assert row is not None and row.method == "in_person" and row.informed_by_id == who
    db.session.rollback()

    resident = _phone(chromium, live_server)
    try:
        page = resident.page
        resident.sign_in_quickly(world.people["resident"].phone)
        resident.go("/me")
        page.get_by_role("link", name="与我家有关的政策").click()
        page.get_by_role("link", name="医保缴费").click()
        expect(page.locator("article")).to_contain_text("缴费方式：到社区服务站现场缴纳。")
        resident.fits("the policy page")
        assert resident.console_errors == []
    finally:
        resident.context.close()
