"""A street's administrator compares its communities on a 360 px phone, picks a month, sorts
by a figure and opens one community's grids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import Browser

from models import Street, db
from models.clock import month_start
from pwa import auth
from services.administration import operations
from tests.e2e.conftest import LiveServer, new_visitor
from tests.e2e.test_accessibility import TAP_TARGETS

ROWS = """() => [...document.querySelectorAll('#figures tbody tr')].map((r) => r.dataset.row)"""


def test_the_street_on_a_phone(chromium: Browser, live_server: LiveServer, make: Any) -> None:
    street = Street(name="城关街道", code="chengguan")
    db.session.add(street)
    db.session.flush()
    big = make.community(name="幸福社区", code="xingfu", street_id=street.id)
    small = make.community(name="和平社区", code="heping", street_id=street.id)
    for community, households in ((big, 3), (small, 1)):
        building = make.building(make.grid(community, name=f"{community.name}第一网格"))
        for _ in range(households):
            make.household(building)
    admin = make.person(name="张三")
    operations.grant(admin, street=street, by=None, today=auth.today())
    db.session.commit()
    last_month = month_start(month_start(auth.today()) - timedelta(days=1))

    phone = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        page = phone.page
        phone.sign_in_quickly(admin.phone)
        phone.go("/admin")
        with page.expect_navigation():
            page.get_by_role("link", name="城关街道：各社区对比").click()
        assert page.url.endswith("/admin/streets/chengguan"), page.url
        phone.fits("the street's page")
        small_targets = page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                .filter((e) => e.offsetParent !== null)
                .filter((e) => e.getBoundingClientRect().height < 47.5)
                .map((e) => e.outerHTML.slice(0, 80))""",
            TAP_TARGETS,
        )
        assert not small_targets, "tap targets under 48px: " + ", ".join(small_targets)
        # Each community is a card naming every figure.
        card = page.locator('#figures tr[data-row="xingfu"]')
        labels = card.evaluate(
            "(row) => [...row.querySelectorAll('td')].map((td) => getComputedStyle(td, '::before')"
            ".content)"
        )
        assert '"走访覆盖率"' in labels and '"待认领心愿"' in labels, labels
        page.screenshot(path="/tmp/i14-street-360.png", full_page=True)
        assert page.evaluate(ROWS) == ["heping", "xingfu"]  # by name
        # Sorting by households, largest first; then last month.
        page.select_option("#sort", "households")
        page.select_option("#order", "desc")
        page.fill("#month", f"{last_month:%Y-%m}")
        with page.expect_navigation():
            page.get_by_role("button", name="显示").click()
        assert page.evaluate(ROWS) == ["xingfu", "heping"]
        assert f"{last_month:%Y-%m}" in page.locator("main").inner_text()
        phone.fits(phone.page.url)
        # Drill-down: the community's grids, for the same month.
        with page.expect_navigation():
            page.get_by_role("link", name="幸福社区").click()
        assert f"/admin/communities/xingfu?month={last_month:%Y-%m}" in page.url
        assert "幸福社区第一网格" in page.locator("main").inner_text()
        phone.fits("a community's grids")
        assert not phone.console_errors, phone.console_errors
    finally:
        phone.context.close()
