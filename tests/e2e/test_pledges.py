"""Pledges in the browser on a 360 px phone, in Chinese (CSP on, real gunicorn): a building
head writes pledges (a refusal keeps what was typed), the secretary approves them and they
appear on the notice board, the secretary opens the quarter's rating, a resident rates from
home; the grid, rated low, gets a rectification plan whose action the grid leader marks done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import (
    Community,
    Grid,
    Person,
    Pledge,
    PledgeRating,
    RectificationPlan,
    db,
    utcnow,
)
from pwa import auth
from services.pledges import operations
from services.report_in.quarters import Quarter
from tests.e2e.conftest import LiveServer, Visitor, World, new_visitor
from tests.e2e.test_accessibility import AxeAudit


def _phone(chromium: Browser, live_server: LiveServer) -> Visitor:
    return new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})


def _fresh() -> None:
    db.session.rollback()  # a fresh snapshot: the server wrote through its own connection


def test_pledges_rating_and_rectification_on_a_phone(
    chromium: Browser, live_server: LiveServer, world: World, make: Any
) -> None:
    community = db.session.scalar(select(Community).where(Community.code == world.community_code))
    grid = db.session.get(Grid, world.grid_id)
    assert community is not None and grid is not None
    # Three more households of the building, so the grid's ratings can count (5 at least).
    building = grid.buildings[0]
    for room in ("701", "801", "901"):
        household = make.household(building, unit="2", room=room)
        make.resident(household, name=f"住户{room}")
    db.session.commit()
    year = str(auth.today().year)
    head_id = db.session.scalar(
        select(Person.id).where(Person.phone == world.people["building_head"].phone)
    )
    quarter = Quarter.of(auth.today()).previous

    # The building head writes pledges; a wrong year is refused and the text kept.
    head = _phone(chromium, live_server)
    try:
        audit = AxeAudit(head)
        page = head.page
        head.sign_in_quickly(world.people["building_head"].phone)
        head.go("/area")
        page.get_by_role("link", name="我的承诺").click()
        expect(page.locator("h1")).to_have_text("承诺")
        form = page.locator("section", has_text="我的承诺").locator("form")
        form.locator("input[name=code]").fill("26")
        form.locator("textarea[name=text]").fill("每月走访本楼每一户\n楼道问题当天上报")
        form.get_by_role("button", name="保存承诺").click()
        expect(page.locator(".error")).to_contain_text("四位数字")
        form = page.locator("section", has_text="我的承诺").locator("form")
        expect(form.locator("textarea[name=text]")).to_have_value(
            "每月走访本楼每一户\n楼道问题当天上报"
        )
        form.locator("input[name=code]").fill(year)
        form.get_by_role("button", name="保存承诺").click()
        expect(page.locator(".flashes")).to_contain_text("社区审核通过后")
        audit.check()
        head.fits("the pledges page")
        audit.assert_clean()
    finally:
        head.context.close()
    _fresh()
    [pledge] = db.session.scalars(select(Pledge)).all()
    assert pledge.status == "submitted"

    # The secretary approves; the board shows them; the secretary opens last quarter's rating.
    secretary = _phone(chromium, live_server)
    try:
        page = secretary.page
        secretary.sign_in_quickly(world.people["secretary"].phone)
        secretary.go("/area")
        page.get_by_role("link", name="我的承诺").click()
        waiting = page.locator("#waiting")
        expect(waiting).to_contain_text("每月走访本楼每一户")
        waiting.get_by_role("button", name="通过", exact=True).click()
        expect(page.locator(".flashes")).to_contain_text("已在公示牌上公示")
        secretary.fits("the office's pledges page")
        secretary.go(f"/c/{world.community_code}/board")
        expect(page.locator("main")).to_contain_text("楼道问题当天上报")
        secretary.fits("the notice board")
        secretary.go("/area")
        page.get_by_role("link", name="居民评诺").first.click()
        secretary.go(f"/pledges/ratings?quarter={quarter.code}")
        page.get_by_role("button", name=f"现在开始{quarter.label()}评诺").click()
        expect(page.locator(".flashes")).to_contain_text("评诺已开始")
        secretary.fits("the ratings page")
    except BaseException:
        secretary.context.close()
        raise

    # The resident rates her building head from home.
    resident = _phone(chromium, live_server)
    try:
        page = resident.page
        resident.sign_in_quickly(world.people["resident"].phone)
        resident.go("/me")
        card = page.locator("#pledge-rating")
        expect(card).to_contain_text("刘芳")
        expect(card).to_contain_text("陈建国")
        resident.fits("the home's rating card")
        card.locator("li", has_text="刘芳").get_by_role("button", name="4分").click()
        expect(page.locator(".flashes")).to_contain_text("4分")
        expect(page.locator("#pledge-rating")).to_contain_text("您打了4分")
    finally:
        resident.context.close()
    _fresh()
    rated = db.session.scalar(select(PledgeRating).where(PledgeRating.value.is_not(None)))
    assert rated is not None and rated.value == 4 and rated.rated_via == "app"

    # The other households answered badly: the grid falls below the threshold.
    rows = db.session.scalars(select(PledgeRating).where(PledgeRating.value.is_(None))).all()
    assert len(rows) >= 5
    for row in rows:
        operations.rate(row, 2, by=None, via="sms", now=utcnow(), today=auth.today())
    db.session.commit()

    try:
        page = secretary.page
        secretary.go(f"/rectification?quarter={quarter.code}")
        low = page.locator("#low-grids")
        expect(low).to_contain_text(world.grid_name)
        secretary.fits("the rectification list")
        low.get_by_role("link", name="建立整改计划").click()
        page.fill("#text-1", "楼栋长每周走访独居老人")
        page.fill("#recheck", (auth.today() + timedelta(days=60)).isoformat())
        page.get_by_role("button", name="建立整改计划").click()
        expect(page.locator(".error")).to_contain_text("负责人")
        expect(page.locator("#text-1")).to_have_value("楼栋长每周走访独居老人")
        page.select_option("#holder-1", value=str(head_id))
        page.fill("#due-1", (auth.today() + timedelta(days=7)).isoformat())
        secretary.fits("the plan form")
        page.get_by_role("button", name="建立整改计划").click()
        expect(page.locator(".flashes")).to_contain_text("整改计划已建立")
        secretary.fits("the plan")
    finally:
        secretary.context.close()
    _fresh()
    [plan] = db.session.scalars(select(RectificationPlan)).all()

    leader = _phone(chromium, live_server)
    try:
        page = leader.page
        leader.sign_in_quickly(world.people["grid_leader"].phone)
        leader.go(f"/rectification/{plan.id}")
        page.get_by_label("完成情况").fill("本周已走访3户独居老人")
        page.get_by_role("button", name="标记完成").click()
        expect(page.locator(".flashes")).to_contain_text("已标记完成")
        expect(page.locator("main")).to_contain_text("本周已走访3户独居老人")
        leader.fits("the plan, one action done")
        assert "记录复查结果" not in page.locator("main").inner_text()  # the office's
    finally:
        leader.context.close()
