"""Mediation in the browser on a 360 px phone, in Chinese (CSP on, real gunicorn): a grid's
mediator opens a case from the roster search (a refusal keeps what was typed), records a
session and the outcome; a building head of the same building gets 404."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import Community, Grid, MediationCase, Person, db
from tests.e2e.conftest import LiveServer, World, new_visitor
from tests.e2e.test_accessibility import AxeAudit


def _cases() -> list[MediationCase]:
    db.session.rollback()  # a fresh snapshot: the server wrote through its own connection
    return list(db.session.scalars(select(MediationCase).order_by(MediationCase.id)))


def test_a_mediator_opens_a_case_records_a_session_and_the_outcome(
    chromium: Browser, live_server: LiveServer, world: World, make: Any
) -> None:
    community = db.session.scalar(select(Community).where(Community.code == world.community_code))
    grid = db.session.get(Grid, world.grid_id)
    mediator = make.person(name="周调解")
    make.post(mediator, "mediator", community=community, grid=grid, duties="调解邻里纠纷")
    mediator_phone = mediator.phone
    db.session.commit()
    phone = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        audit = AxeAudit(phone)
        page = phone.page
        phone.sign_in_quickly(mediator_phone)
        phone.go("/my/work")
        page.get_by_role("link", name="矛盾调解").click()
        expect(page.locator("h1")).to_have_text("矛盾调解")
        page.get_by_role("link", name="新建调解").click()
        expect(page.locator("h1")).to_have_text("新建调解")
        audit.check()
        phone.fits("/mediation/new")
        # Find the first party by name, tick her; find the other household by its room.
        page.fill("#q", "孙桂兰")
        page.get_by_role("button", name="查找").click()
        page.get_by_label("孙桂兰", exact=False).check()
        page.fill("#summary", "楼上601装修噪音影响501老人休息")
        page.fill("#q", "601")
        page.get_by_role("button", name="查找").click()
        # The ticked party and the description are kept while searching again.
        expect(page.locator("#summary")).to_have_value("楼上601装修噪音影响501老人休息")
        assert page.locator("input[name=party][value^='r'][checked]").count() == 1
        page.locator("label", has_text="601").locator("input[name=party]").check()
        phone.fits("the search results")
        # No category: refused in Chinese, nothing lost.
        page.select_option("#source", "resident")
        page.get_by_role("button", name="受理调解").click()
        expect(page.locator(".error")).to_contain_text("请选择纠纷类别")
        expect(page.locator("#summary")).to_have_value("楼上601装修噪音影响501老人休息")
        assert _cases() == []
        page.select_option("#category", "noise")
        page.get_by_role("button", name="受理调解").click()
        expect(page.locator(".flashes")).to_contain_text("已受理")
        [case] = _cases()
        assert len(case.parties) == 2 and case.category == "noise"
        expect(page.locator("h1")).to_have_text(f"调解 {case.ref}")
        text = page.locator("main").inner_text()
        assert "噪音扰民" in text and "居民求助" in text and "孙桂兰" in text
        audit.check()
        phone.fits("the case page")
        # A session, then the outcome.
        page.fill("#attendees", "双方住户、楼栋长")
        page.fill("#notes", "装修方同意中午和晚上不施工")
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".flashes")).to_contain_text("调解记录已保存")
        expect(page.locator("main")).to_contain_text("装修方同意中午和晚上不施工")
        page.select_option("#outcome", "agreed")
        page.fill("#agreement", "工作日8:00-12:00、14:00-18:00施工，周末不施工")
        page.get_by_role("button", name="记录调解结果").click()
        expect(page.locator(".flashes")).to_contain_text("调解结果已记录")
        text = page.locator("main").inner_text()
        assert "已达成协议" in text and "记录回访" in text
        phone.fits("the concluded case")
        # The one refusal above answers 422, which the browser reports; nothing else.
        assert [e for e in phone.console_errors if "422" not in e] == []
        case_id = case.id
    finally:
        phone.context.close()

    # The building head of the parties' own building does not see it.
    head = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        head.sign_in_quickly(world.people["building_head"].phone)
        assert head.go(f"/mediation/{case_id}").status == 404
        assert head.go("/mediation").status == 404
    finally:
        head.context.close()
    assert db.session.scalar(select(Person).where(Person.phone == mediator_phone)) is not None
