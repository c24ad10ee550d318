"""axe-core finds no accessibility violation on the pages people use, in Chinese and English.

axe runs through page.evaluate, which the strict CSP does not govern, so the pages are tested
with the same headers they have in production.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Browser, FilePayload

from tests.e2e.conftest import LiveServer, Visitor, World, new_visitor


def axe_violations(visitor: Visitor) -> list[dict[str, Any]]:
    page = visitor.page
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def describe(path: str, violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{path}: [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " | ")
            lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


class AxeAudit:
    """Collect every page's violations, so that one report names all of them at once."""

    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor
        # Sent to the browser once, then run in every new document before its own scripts.
        visitor.context.add_init_script(script=AXE_SCRIPT)
        self.report: list[str] = []
        self.checked: list[str] = []

    def check(self, path: str | None = None, *, expect_status: int = 200) -> None:
        if path is not None:
            response = self.visitor.go(path)
            if response.status != expect_status:
                self.report.append(f"{path}: HTTP {response.status}, expected {expect_status}")
                return
        where = path or self.visitor.page.url.removeprefix(self.visitor.base_url)
        lang = self.visitor.page.locator("html").get_attribute("lang")
        self.checked.append(f"{where} ({lang})")
        violations = axe_violations(self.visitor)
        if violations:
            self.report.append(describe(f"{where} ({lang})", violations))

    def assert_clean(self) -> None:
        assert not self.report, "accessibility violations:\n" + "\n".join(self.report)


def switch_language(visitor: Visitor, label: str) -> None:
    page = visitor.page
    with page.expect_navigation():
        page.locator(".topnav button[name=lang]", has_text=label).click()


def test_public_pages(visitor: Visitor, world: World) -> None:
    audit = AxeAudit(visitor)
    audit.check("/")
    audit.check("/sign-in")
    audit.check(f"/c/{world.community_code}/board")
    audit.check("/offline")
    audit.check("/no-such-page", expect_status=404)
    # An error on the form, then the code page.
    page = visitor.page
    visitor.go("/sign-in")
    page.fill("#phone", "12345")
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    audit.check()
    page.fill("#phone", world.people["resident"].phone)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    audit.check("/sign-in/code")
    audit.check(f"/dev/inbox?phone={world.people['resident'].phone.replace('+', '%2B')}")
    audit.assert_clean()


def test_secretary_pages(visitor: Visitor, world: World) -> None:
    visitor.sign_in_quickly(world.people["secretary"].phone)
    audit = AxeAudit(visitor)
    for path in (
        "/area",
        f"/grids/{world.grid_id}",
        f"/buildings/{world.building_id}",
        f"/households/{world.household_id}",
        f"/residents/{world.resident_id}",
        f"/residents/{world.resident_id}/edit",
        f"/households/{world.household_id}/residents/new",
        "/search?q=孙",
        "/secretary/posts",
        "/secretary/posts/new",
        "/secretary/buildings",
        "/secretary/roles",
        "/secretary/audit",
        "/secretary/partners",
        f"/buildings/{world.building_id}/households/new",
        f"/households/{world.household_id}/contact",
        "/work-groups",
        f"/work-groups/{world.grid_id}",
        "/secretary/roster/import",  # last: the upload below runs on it
    ):
        audit.check(path)
    # A multipart form through the browser (CSRF on), then its row-by-row report.
    sheet = (
        "小区,楼栋,单元,房号,姓名,手机\n"
        "幸福小区,3号楼,2,701,周玉兰,13800138000\n"
        "幸福小区,9号楼,1,101,吴刚,\n"  # no such building: a rejected row
    )
    page = visitor.page
    upload: FilePayload = {"name": "roster.csv", "mimeType": "text/csv", "buffer": sheet.encode()}
    page.set_input_files("#sheet", files=[upload])
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    assert page.locator("#import-report").count() == 1, page.locator("main").inner_text()
    audit.check()
    audit.assert_clean()


def test_member_and_resident_pages(
    visitor: Visitor, world: World, chromium: Browser, live_server: LiveServer
) -> None:
    visitor.sign_in_quickly(world.people["patroller"].phone)
    audit = AxeAudit(visitor)
    audit.check("/my/work")
    resident = new_visitor(chromium, live_server)
    try:
        resident.sign_in_quickly(world.people["resident"].phone)
        resident_audit = AxeAudit(resident)
        resident_audit.check("/me")
        audit.report += resident_audit.report
    finally:
        resident.context.close()
    audit.assert_clean()


def test_pages_in_english(visitor: Visitor, world: World) -> None:
    audit = AxeAudit(visitor)
    visitor.go("/")
    switch_language(visitor, "English")
    assert visitor.page.locator("html").get_attribute("lang") == "en"
    audit.check("/")
    audit.check("/sign-in")
    audit.check("/offline")
    visitor.sign_in_quickly(world.people["secretary"].phone)
    audit.check("/area")
    audit.check(f"/buildings/{world.building_id}")
    audit.assert_clean()


TAP_TARGETS = (
    "main .button, main button, main input:not([type=hidden]):not([type=checkbox]), "
    "main select, .topnav a, .topnav button, .brand, .crumbs a, main .list.links > li > a"
)


def test_readable_and_easy_to_tap_on_a_phone(
    chromium: Browser, live_server: LiveServer, world: World
) -> None:
    """Older readers on small phones: 18px text, 48px targets, nothing wider than the screen."""
    phone = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        page = phone.page
        phone.go("/sign-in")
        assert page.evaluate("getComputedStyle(document.body).fontSize") == "18px"
        assert float(page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")) >= 28

        # The skip link is hidden until a keyboard reaches it, then shown on screen.
        skip = page.locator(".skip-link")
        assert not skip.is_visible() or skip.bounding_box()["y"] < -50  # type: ignore[index]
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        box = skip.bounding_box()
        assert box and box["y"] >= 0 and box["height"] >= 40, box

        phone.sign_in_quickly(world.people["secretary"].phone)
        small: list[str] = []
        for path in (
            "/area",
            f"/buildings/{world.building_id}",
            f"/residents/{world.resident_id}",
            "/secretary/posts",
            f"/c/{world.community_code}/board",
            f"/work-groups/{world.grid_id}",
        ):
            phone.go(path)
            phone.fits(path)
            small += [
                f"{path}: {t}"
                for t in page.evaluate(
                    """(selector) => [...document.querySelectorAll(selector)]
                        .filter((e) => e.offsetParent !== null)
                        .filter((e) => e.getBoundingClientRect().height < 47.5)
                        .map((e) => e.outerHTML.slice(0, 80) + " is "
                             + e.getBoundingClientRect().height.toFixed(1) + "px tall")""",
                    TAP_TARGETS,
                )
            ]
        assert not small, "tap targets under 48px:\n" + "\n".join(small)
    finally:
        phone.context.close()
