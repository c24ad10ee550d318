"""An administrator creates a community on a 360 px phone, and its secretary signs in."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser
from sqlalchemy import select

from models import Community, Street, db
from pwa import auth
from services.administration import operations
from tests.e2e.conftest import LiveServer, new_visitor
from tests.e2e.test_accessibility import TAP_TARGETS


def test_an_administrator_creates_a_community_on_a_phone(
    chromium: Browser, live_server: LiveServer, make: Any
) -> None:
    street = Street(name="城关街道", code="chengguan")
    db.session.add(street)
    db.session.flush()
    admin = make.person(name="张三")
    operations.grant(admin, street=street, by=None, today=auth.today())
    db.session.commit()
    secretary_phone = make.phone()

    phone = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        page = phone.page
        phone.sign_in(admin.phone)
        assert page.url == phone.base_url + "/admin", page.url
        phone.fits("/admin")
        with page.expect_navigation():
            page.get_by_role("link", name="创建社区").first.click()
        phone.fits("the new community form")
        small = page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                .filter((e) => e.offsetParent !== null)
                .filter((e) => e.getBoundingClientRect().height < 47.5)
                .map((e) => e.outerHTML.slice(0, 80))""",
            TAP_TARGETS,
        )
        assert not small, "tap targets under 48px: " + ", ".join(small)
        # The app's defaults are filled in; the administrator types what is the community's own.
        assert page.locator("#s-reminder-day").input_value() == "20"
        page.fill("#c-name", "新丰路社区")
        page.fill("#c-code", "xinfeng-lu")
        page.fill("#s-signature", "新丰路社区")
        page.fill("#s-wo-hours", "3")
        page.fill("#c-sec-name", "李书记")
        page.fill("#c-sec-phone", secretary_phone)
        with page.expect_navigation():
            page.get_by_role("button", name="创建社区").click()
        assert page.url.endswith("/admin/communities/xinfeng-lu/settings?created=1"), page.url
        assert "社区已创建" in page.locator("main").inner_text()
        # What comes next, in Chinese: the secretary named, their sign-in, the roster's import.
        steps = page.locator("#setup").inner_text()
        assert "社区设置步骤" in steps and "已指定书记：李书记。" in steps
        assert "书记导入花名册" in steps, steps
        assert page.locator("#s-signature").input_value() == "【新丰路社区】"
        phone.fits("the settings page")
        assert not phone.console_errors, phone.console_errors
    finally:
        phone.context.close()

    db.session.rollback()
    community = db.session.scalar(select(Community).where(Community.code == "xinfeng-lu"))
    assert community is not None and community.work_order_escalate_hours == 3.0

    secretary = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        secretary.sign_in_quickly(secretary_phone)
        secretary.go("/area")
        assert "新丰路社区" in secretary.page.locator("main").inner_text()
        with secretary.page.expect_navigation():
            secretary.page.get_by_role("link", name="社区设置").click()
        assert secretary.page.url.endswith("/admin/communities/xinfeng-lu/settings")
        # The set-up's next step is the secretary's: the roster's import, one tap away.
        with secretary.page.expect_navigation():
            secretary.page.locator("#setup").get_by_role("link", name="导入花名册").click()
        assert secretary.page.url.endswith("/secretary/roster/import"), secretary.page.url
        secretary.fits("the import page")
        assert not secretary.console_errors, secretary.console_errors
    finally:
        secretary.context.close()
