"""Patrols in the browser on a 360 px phone, in Chinese: the grid leader adds a route and its
evening shifts (a wrong time is refused with what was typed kept), the patroller signs up,
starts, reports a finding and finishes, the leader makes the finding a work order in one step,
and the month's log shows the patrol."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import PatrolFinding, PatrolSignup, db, utcnow
from models.clock import local
from tests.e2e.conftest import LiveServer, World, new_visitor


def test_a_route_a_shift_a_patrol_and_its_finding_on_a_phone(
    chromium: Browser, live_server: LiveServer, world: World
) -> None:
    leader = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    patroller = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        page = leader.page
        leader.sign_in_quickly(world.people["grid_leader"].phone)
        leader.go("/patrols/manage")
        leader.fits("/patrols/manage")
        page.fill("#r-name", "小区夜巡")
        page.fill("#r-covers", "1-6号楼、东门、地下车库")
        page.get_by_role("button", name="添加路线").click()
        expect(page.locator(".flashes")).to_contain_text("已添加路线“小区夜巡”")
        # A shift that begins in half an hour, so that it can be started now.
        start = local(utcnow() + timedelta(minutes=30))
        end = start + timedelta(hours=1)
        page.get_by_text("添加固定班次").click()
        for day in ("周一", "周二", "周三", "周四", "周五", "周六", "周日"):
            page.get_by_label(day, exact=True).check()
        page.fill("input[name=starts]", "七点")
        page.fill("input[name=ends]", end.strftime("%H:%M"))
        page.get_by_role("button", name="添加班次").click()
        expect(page.locator("[role=alert]")).to_contain_text("如19:00")
        assert page.locator("input[name=starts]").input_value() == "七点"
        page.fill("input[name=starts]", start.strftime("%H:%M"))
        page.get_by_role("button", name="添加班次").click()
        expect(page.locator(".flashes")).to_contain_text("已添加班次：每天")
        leader.fits("/patrols/manage with a route")

        other = patroller.page
        patroller.sign_in_quickly(world.people["patroller"].phone)
        patroller.go("/my/work")
        other.get_by_role("link", name="巡逻").click()
        expect(other).to_have_url(re.compile(r"/patrols$"))
        patroller.fits("/patrols")
        other.get_by_role("button", name="报名").first.click()
        expect(other.locator("[role=status]")).to_contain_text("已报名")
        other.get_by_role("button", name="开始巡逻").click()
        expect(other.locator("[role=status]")).to_contain_text("巡逻开始")
        other.get_by_role("button", name="上报发现").click()
        expect(other.locator("[role=alert]")).to_contain_text("请填写发现的情况")
        other.get_by_label("发现问题").fill("3号楼消防通道堵塞")
        other.get_by_role("button", name="上报发现").click()
        expect(other.locator("[role=status]")).to_contain_text("已记录巡逻发现")
        other.get_by_role("button", name="结束：正常").click()
        expect(other.locator("[role=status]")).to_contain_text("辛苦了")
        patroller.fits("/patrols after the patrol")
        db.session.rollback()
        signup = db.session.scalar(select(PatrolSignup))
        assert signup is not None and signup.started_at and signup.finished_at

        leader.go("/patrols/manage")
        expect(page.locator("#findings")).to_contain_text("3号楼消防通道堵塞")
        page.get_by_role("button", name="转为任务").click()
        expect(page.locator(".flashes")).to_contain_text("已转为T")
        db.session.rollback()
        finding = db.session.scalar(select(PatrolFinding))
        assert finding is not None and finding.order_ref and finding.need_id
        leader.go("/patrols/manage")
        page.get_by_role("link", name="巡逻记录").click()
        log = page.locator("main").inner_text()
        assert "张伟" in log and "3号楼消防通道堵塞" in log and finding.order_ref in log
        leader.fits("/patrols/log")
    finally:
        leader.context.close()
        patroller.context.close()
