"""双报到 on a 360 px phone: a party member reports in on the page the community's QR code
opens, the secretary approves them and opens the unit's quarter, and nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser
from sqlalchemy import select

from models import PartnerUnit, Person, ReportIn, db
from tests.e2e.conftest import LiveServer, new_visitor
from tests.e2e.test_accessibility import TAP_TARGETS

SMALL = """(selector) => [...document.querySelectorAll(selector)]
    .filter((e) => e.offsetParent !== null)
    .filter((e) => e.getBoundingClientRect().height < 47.5)
    .map((e) => e.outerHTML.slice(0, 80))"""
PHONE = {"width": 360, "height": 740}


def test_a_member_reports_in_on_the_qr_page_and_the_secretary_approves(
    chromium: Browser, live_server: LiveServer, make: Any
) -> None:
    community = make.community(code="dongyue", name="东岳社区")
    secretary = make.person(name="李书记")
    make.post(secretary, "secretary", community=community)
    unit = PartnerUnit(
        community_id=community.id, name="渭南市华州区供电分公司", contact_phone=make.phone()
    )
    db.session.add(unit)
    db.session.commit()
    member_phone = make.phone()

    phone = new_visitor(chromium, live_server, viewport=PHONE)
    try:
        page = phone.page
        phone.go("/join/dongyue")
        phone.fits("the report-in page")
        assert not page.evaluate(SMALL, TAP_TARGETS)
        # Left empty, the browser keeps the form; a bad phone is answered by the server.
        page.select_option("#j-unit", label="渭南市华州区供电分公司")
        page.fill("#j-name", "张三")
        page.fill("#j-phone", "12345")
        with page.expect_navigation():
            page.get_by_role("button", name="报到", exact=True).click()
        assert "不是" in page.locator("[role=alert]").inner_text()
        assert page.locator("#j-name").input_value() == "张三"
        page.fill("#j-phone", member_phone)
        with page.expect_navigation():
            page.get_by_role("button", name="报到", exact=True).click()
        assert "已收到您的报到" in page.locator("main").inner_text()
        phone.fits(phone.page.url)
        # The refused phone number was answered 422, as it should; nothing else went wrong.
        unexpected = [e for e in phone.console_errors if "422" not in e]
        assert not unexpected, unexpected
    finally:
        phone.context.close()

    db.session.rollback()
    report = db.session.scalar(select(ReportIn))
    assert report is not None and report.status == "pending" and report.via == "page"

    office = new_visitor(chromium, live_server, viewport=PHONE)
    try:
        page = office.page
        office.sign_in_quickly(secretary.phone)
        office.go("/area")
        with page.expect_navigation():
            page.get_by_role("link", name="双报到").first.click()
        text = page.locator("main").inner_text()
        assert "张三" in text and "扫码报到" in text and "member" not in text
        office.fits("the report-in list")
        assert not page.evaluate(SMALL, TAP_TARGETS)
        with page.expect_navigation():
            page.get_by_role("button", name="通过", exact=True).click()
        assert "已通过：张三" in page.locator("main").inner_text()
        with page.expect_navigation():
            page.get_by_role("link", name="渭南市华州区供电分公司").click()
        text = page.locator("main").inner_text()
        assert "在职党员1人" in text and "张三" in text
        office.fits("the unit's page")
        assert not page.evaluate(SMALL, TAP_TARGETS)
        assert not office.console_errors, office.console_errors
    finally:
        office.context.close()

    db.session.rollback()
    member = db.session.scalar(select(Person).where(Person.name == "张三"))
    assert member is not None and member.partner_unit_id == unit.id


QR_LOADED = """() => [...document.querySelectorAll("img.qr")]
    .map((img) => img.complete && img.naturalWidth > 0)"""


def test_the_liaison_finds_the_units_page_shows_the_qr_code_and_answers_on_a_phone(
    chromium: Browser, live_server: LiveServer, make: Any
) -> None:
    community = make.community(code="dongyue", name="东岳社区")
    secretary = make.person(name="李书记")
    make.post(secretary, "secretary", community=community)
    liaison = make.person(name="王联络")
    unit = PartnerUnit(
        community_id=community.id,
        name="渭南市华州区供电分公司",
        contact_name="王联络",
        contact_phone=liaison.phone,
    )
    db.session.add(unit)
    db.session.flush()
    make.person(name="赵在职", partner_unit_id=unit.id)
    db.session.commit()

    phone = new_visitor(chromium, live_server, viewport=PHONE)
    try:
        page = phone.page
        phone.sign_in_quickly(liaison.phone)
        # Holding no post and no household, the liaison lands on their own home: the unit is
        # one tap away.
        phone.go("/home")
        with page.expect_navigation():
            page.get_by_role("link", name="我的共建单位：渭南市华州区供电分公司").click()
        text = page.locator("main").inner_text()
        assert (
            "赵在职" in text
            and "本单位党员如何报到" in text
            and "报到 渭南市华州区供电分公司 姓名" in text
        )
        assert page.evaluate(QR_LOADED) == [True], "the QR code did not load (CSP or route)"
        phone.fits("the liaison's page")
        assert not page.evaluate(SMALL, TAP_TARGETS)
        # A wrong phone is answered and what was typed stays; then the colleague waits.
        page.fill("#l-name", "钱同事")
        page.fill("#l-phone", "12345")
        with page.expect_navigation():
            page.get_by_role("button", name="录入", exact=True).click()
        assert page.locator("[role=alert]").count() == 1
        assert page.locator("#l-name").input_value() == "钱同事"
        page.fill("#l-phone", make.phone())
        with page.expect_navigation():
            page.get_by_role("button", name="录入", exact=True).click()
        assert "钱同事" in page.locator("main").inner_text()
        page.fill("#f-text", "服务及时，希望多安排周末活动")
        with page.expect_navigation():
            page.get_by_role("button", name="提交反馈", exact=True).click()
        assert "服务及时，希望多安排周末活动" in page.locator("main").inner_text()
        phone.fits(phone.page.url)
        unexpected = [e for e in phone.console_errors if "422" not in e]
        assert not unexpected, unexpected
    finally:
        phone.context.close()

    office = new_visitor(chromium, live_server, viewport=PHONE)
    try:
        page = office.page
        office.sign_in_quickly(secretary.phone)
        office.go(f"/report-in/poster?community={community.id}")
        text = page.locator("main").inner_text()
        assert "扫描二维码" in text and "/join/dongyue" in text
        assert page.evaluate(QR_LOADED) == [True], "the poster's QR code did not load"
        office.fits("the poster")
        assert not office.console_errors, office.console_errors
    finally:
        office.context.close()
