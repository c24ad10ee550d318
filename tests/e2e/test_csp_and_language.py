"""The strict CSP holds on real pages (htmx included), and the language switch works."""

from __future__ import annotations

from tests.e2e.conftest import Visitor, World

# Recorded before any page script runs; init scripts are not subject to the page's CSP.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _violations(visitor: Visitor) -> list[str]:
    return list(visitor.page.evaluate("() => window.__cspViolations || []"))


def test_no_csp_violation_on_the_main_pages(visitor: Visitor, world: World) -> None:
    visitor.context.add_init_script(script=RECORD_CSP_VIOLATIONS)
    page = visitor.page
    found: dict[str, list[str]] = {}

    def visit(path: str) -> None:
        response = visitor.go(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        page.wait_for_load_state("load")
        if _violations(visitor):
            found[path] = _violations(visitor)

    for path in ("/", "/sign-in", f"/c/{world.community_code}/board", "/offline"):
        visit(path)
    visitor.sign_in_quickly(world.people["secretary"].phone)
    for path in (
        "/area",
        f"/buildings/{world.building_id}",
        f"/households/{world.household_id}",
        f"/residents/{world.resident_id}",
        "/secretary/posts",
    ):
        visit(path)

    # htmx runs under the CSP: the room search swaps in the fragment from the server.
    visit(f"/buildings/{world.building_id}")
    assert page.locator("#household_list li").count() == 2
    with page.expect_response(lambda r: "/buildings/" in r.url and "q=6" in r.url) as answer:
        page.fill("#room-q", "6")
    assert answer.value.request.headers.get("hx-request") == "true"
    page.wait_for_function("document.querySelectorAll('#household_list li').length === 1")
    assert "601" in page.locator("#household_list").inner_text()
    if _violations(visitor):
        found["htmx search"] = _violations(visitor)

    refused = [text for text in visitor.console_errors if "Refused to" in text]
    assert not found and not refused, f"CSP violations: {found}\nconsole: {refused}"


def test_csp_really_blocks_inline_script(visitor: Visitor) -> None:
    """Guard the guard: the recorder does see a violation when one happens."""
    visitor.context.add_init_script(script=RECORD_CSP_VIOLATIONS)
    visitor.go("/offline")
    visitor.page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__ran = true'; document.body.append(s); }"""
    )
    visitor.page.wait_for_function("() => window.__cspViolations.length > 0")
    assert visitor.page.evaluate("() => window.__ran === undefined")
    assert any("script-src" in v for v in _violations(visitor))


def test_language_switch(visitor: Visitor, world: World) -> None:
    page = visitor.page
    board = f"/c/{world.community_code}/board"
    visitor.go(board)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "公示牌" in page.locator("h1").inner_text()
    assert page.locator(".topnav a[href='/sign-in']").inner_text() == "登录"
    with page.expect_navigation():
        page.locator(".topnav button[name=lang]", has_text="English").click()
    # The switch brings the reader back to the same page, now in English.
    assert page.url == visitor.base_url + board
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Notice board" in page.locator("h1").inner_text()
    assert page.locator(".topnav a[href='/sign-in']").inner_text() == "Sign in"

    # It sticks across pages, and after signing in.
    visitor.sign_in(world.people["patroller"].phone)
    assert page.locator("html").get_attribute("lang") == "en"
    assert "My work" in page.locator("h1").inner_text()

    with page.expect_navigation():
        page.locator(".topnav button[name=lang]", has_text="中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.url == visitor.base_url + "/my/work"
    assert "我的工作" in page.locator("h1").inner_text()
    assert page.locator(".topnav button[name=lang]").inner_text() == "English"
