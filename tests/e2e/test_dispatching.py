"""Dispatching in the browser on a 360 px phone (CSP on, htmx): the count follows the audience
as it is ticked, the confirmation and cancellation steps are accessible and fit the screen,
and a partner unit's contact answers on the page of their link without signing in."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import Community, Household, Need, PartnerUnit, Person, db, utcnow
from models.base import writing
from models.clock import ZONE
from pwa import auth
from services.needs import operations as needs
from services.needs import referrals
from tests.e2e.conftest import LiveServer, World, new_visitor
from tests.e2e.test_accessibility import AxeAudit


def test_send_and_cancel_a_work_order_on_a_phone(
    chromium: Browser, live_server: LiveServer, world: World
) -> None:
    phone = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        audit = AxeAudit(phone)
        page = phone.page
        phone.sign_in_quickly(world.people["secretary"].phone)
        audit.check("/work-orders/new")
        phone.fits("/work-orders/new")
        page.get_by_label("义务巡逻员", exact=True).check()
        expect(page.locator("#reach")).to_contain_text("将发送给1人", timeout=10000)
        page.get_by_label("网格党小组长", exact=True).check()
        expect(page.locator("#reach")).to_contain_text("将发送给2人", timeout=10000)
        page.get_by_label("第一网格", exact=True).check()
        expect(page.locator("#reach")).to_contain_text("将发送给2人", timeout=10000)
        # The picker names each person with their grid and post.
        assert "张伟（第一网格 · 义务巡逻员）" in page.locator("#a-people").inner_text()
        day = (utcnow() + timedelta(days=400)).astimezone(ZONE).strftime("%Y-%m-%d")
        page.fill("#o-title", "学校周边巡逻")
        page.fill("#o-start", f"{day}T21:00")
        page.fill("#o-end", f"{day}T22:00")
        page.fill("#o-places", "2")
        page.get_by_role("button", name="下一步：核对发送对象").click()
        expect(page.locator("h1")).to_have_text("发送这个任务吗？")
        assert "将发送给2人" in page.locator("main").inner_text()
        audit.check()
        phone.fits("the confirmation")
        page.get_by_role("button", name="确认发送（2人）").click()
        expect(page.locator(".flashes")).to_contain_text("已通知2人")
        page.get_by_role("button", name="取消这个任务…").click()
        expect(page.locator("h1")).to_contain_text("取消T")
        audit.check()
        phone.fits("the cancellation")
        page.get_by_role("button", name="取消任务").click()
        expect(page.locator(".flashes")).to_contain_text("已取消")
        audit.assert_clean()
        assert phone.console_errors == []
    finally:
        phone.context.close()


def test_a_partner_contact_answers_on_the_link_page(
    chromium: Browser, live_server: LiveServer, world: World
) -> None:
    with writing():
        db.session.commit()
        community = db.session.scalar(
            select(Community).where(Community.code == world.community_code)
        )
        leader = db.session.scalar(
            select(Person).where(Person.phone == world.people["grid_leader"].phone)
        )
        household = db.session.get(Household, world.household_id)
        assert community is not None and leader is not None and household is not None
        unit = PartnerUnit(
            community_id=community.id, name="区供电局", contact_phone="+8613900005555"
        )
        db.session.add(unit)
        need = needs.raise_need(
            community_id=community.id,
            household=household,
            source="observer",
            by=leader,
            category="safety",
            text="楼道电表箱冒烟",
            resident_id=world.resident_id,
            now=utcnow(),
        )
        db.session.flush()
        needs.decide(
            need,
            by=leader,
            decision="referred",
            partner_unit_id=unit.id,
            today=auth.today(),
            now=utcnow(),
        )
        referral = referrals.latest(need)
        assert referral is not None
        token = "e2e-partner-link-token-0123456789"
        referral.token_hash = referrals.digest(token)
        need_id = need.id
        db.session.commit()
    db.session.rollback()
    phone = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        audit = AxeAudit(phone)
        audit.check(f"/p/{token}")
        phone.fits("the partner page")
        page = phone.page
        assert "楼道电表箱冒烟" in page.locator("main").inner_text()
        page.fill("#p-answer", "已安排明早检修")
        page.get_by_role("button", name="提交答复").click()
        expect(page.locator(".flashes")).to_contain_text("已转告居民")
        audit.check()
        audit.assert_clean()
        assert phone.console_errors == []
    finally:
        phone.context.close()
    db.session.rollback()
    found = db.session.get(Need, need_id)
    assert found is not None and found.answer == "已安排明早检修"
