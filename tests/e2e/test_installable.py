"""The app installs, keeps its shell offline, and never keeps personal pages."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, Visitor, World


def test_chromium_finds_the_app_installable(
    playwright_driver: Playwright, live_server: LiveServer, tmp_path: Path
) -> None:
    # Chromium never offers to install from an incognito profile, and every new_context() is
    # one: a persistent profile is what a phone's browser has.
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        locale="zh-CN",
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(live_server.url + "/")
        page.wait_for_function(
            "() => navigator.serviceWorker.ready.then((r) => r.active.state === 'activated')"
        )
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        assert manifest["url"] == live_server.url + "/manifest.webmanifest"
    finally:
        context.close()


def test_manifest_as_the_browser_reads_it(visitor: Visitor) -> None:
    visitor.go("/")
    page = visitor.page
    href = page.locator("link[rel=manifest]").get_attribute("href")
    assert href == "/manifest.webmanifest"
    response = visitor.context.request.get(visitor.base_url + href)
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "邻里 Linli"
    assert manifest["short_name"] == "邻里"
    assert manifest["start_url"] == "/home?source=pwa"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#b3261e"
    assert manifest["lang"] == "zh-CN"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        got = visitor.context.request.get(visitor.base_url + icon["src"])
        assert got.ok and got.headers["content-type"] == "image/png", icon
    theme = page.locator("meta[name=theme-color]").get_attribute("content")
    assert theme == manifest["theme_color"]


def test_offline_shows_the_offline_page_then_recovers(visitor: Visitor, world: World) -> None:
    page = visitor.page
    visitor.go("/")
    visitor.wait_for_service_worker()
    board = f"/c/{world.community_code}/board"

    visitor.context.set_offline(True)
    try:
        visitor.go(board)
        assert page.locator("section.offline").is_visible()
        assert page.locator("h1").inner_text() == page.evaluate("document.title").split(" · ")[0]
        # The address stays the one asked for, so "try again" reloads it.
        assert page.url == visitor.base_url + board
        assert world.community_name not in page.locator("main").inner_text()
    finally:
        visitor.context.set_offline(False)

    with page.expect_navigation():
        page.locator("section.offline a.primary").click()
    assert page.url == visitor.base_url + board
    assert page.locator("section.offline").count() == 0
    assert world.community_name in page.locator("h1").inner_text()
    assert world.people["grid_leader"].name in page.locator("main").inner_text()


def _cached_urls(visitor: Visitor) -> dict[str, list[str]]:
    return visitor.page.evaluate(
        """async () => {
            const out = {};
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                out[name] = (await cache.keys()).map((r) => {
                    const url = new URL(r.url);
                    return url.pathname + url.search;
                });
            }
            return out;
        }"""
    )


def test_only_the_shell_is_cached_never_personal_pages(visitor: Visitor, world: World) -> None:
    # A cache from an older deploy, made before the worker is registered.
    visitor.go("/manifest.webmanifest")
    visitor.page.evaluate(
        "() => caches.open('linli-shell-old').then((c) => c.put('/old', new Response('old')))"
    )
    visitor.sign_in_quickly(world.people["secretary"].phone)
    visitor.go("/area")
    visitor.wait_for_service_worker()
    for path in ("/area", f"/households/{world.household_id}", f"/residents/{world.resident_id}"):
        response = visitor.go(path)
        assert response.ok, path

    sw = visitor.context.request.get(visitor.base_url + "/sw.js").text()
    version = re.search(r'const VERSION = "([0-9a-f]+)"', sw)
    assert version, sw[:400]
    shell = re.search(r"const SHELL = (\[.*?\]);", sw)
    assert shell
    expected = sorted(re.findall(r'"([^"]+)"', shell.group(1)))

    cached = _cached_urls(visitor)
    assert list(cached) == [f"linli-shell-{version.group(1)}"], cached
    # Static files are taken from the HTTP cache when installing, or kept on first use: one
    # the browser was still writing may come a page later, never a personal page.
    kept = cached[f"linli-shell-{version.group(1)}"]
    assert set(kept) <= set(expected), kept
    assert {"/offline", "/manifest.webmanifest"} <= set(kept)
    assert any(url.startswith("/static/css/app.css?v=") for url in kept), kept
    assert "/offline" in expected
    for personal in ("/area", "/me", "/home", "/households/", "/residents/"):
        assert not any(url.startswith(personal) for url in expected), expected


def test_static_shell_files_come_from_the_cache(visitor: Visitor, world: World) -> None:
    visitor.go("/")
    visitor.wait_for_service_worker()
    scope = visitor.page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == visitor.base_url + "/"
    visitor.go(f"/c/{world.community_code}/board")  # now controlled by the worker
    assert visitor.page.evaluate("navigator.serviceWorker.controller !== null")
    served = visitor.page.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter((e) => e.name.includes('/static/'))
            .map((e) => [new URL(e.name).pathname, e.workerStart > 0, e.transferSize])"""
    )
    by_path = {path: (via_worker, size) for path, via_worker, size in served}
    for path in ("/static/css/app.css", "/static/js/app.js", "/static/vendor/htmx.min.js"):
        assert path in by_path, served
        via_worker, transferred = by_path[path]
        assert via_worker, f"{path} did not go through the service worker"
        assert transferred == 0, f"{path} came over the network ({transferred} bytes)"
