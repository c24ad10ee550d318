"""Meetings in the browser on a 360 px phone, in Chinese (CSP on, htmx): the secretary calls a
meeting and sees the count follow the picker (a resident found by search included), confirms,
a volunteer answers in the app; at the door attendance is one tap and a walk-in is added;
the minutes are written and a resident's suggestion becomes a work order in one tap."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import Community, Grid, Meeting, Person, Resident, db, utcnow
from models.base import writing
from models.clock import ZONE, today_of
from services.meetings import operations as meetings
from services.meetings.operations import Invitees
from services.work_orders.audiences import Audience
from tests.e2e.conftest import LiveServer, World, new_visitor
from tests.e2e.test_accessibility import AxeAudit


def test_call_answer_and_hold_a_meeting_on_a_phone(
    chromium: Browser, live_server: LiveServer, world: World
) -> None:
    secretary = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    # Signed in before the invitations go: the sign-in helper reads the phone's newest SMS.
    volunteer = new_visitor(chromium, live_server, viewport={"width": 360, "height": 740})
    try:
        volunteer.sign_in_quickly(world.people["patroller"].phone)
        audit = AxeAudit(secretary)
        page = secretary.page
        secretary.sign_in_quickly(world.people["secretary"].phone)
        audit.check("/meetings/new")
        secretary.fits("/meetings/new")
        page.select_option("#m-kind", "regular")
        page.fill("#m-title", "一网格12月例会")
        day = (utcnow() + timedelta(days=3)).astimezone(ZONE).strftime("%Y-%m-%d")
        page.fill("#m-start", f"{day}T14:30")
        page.fill("#m-place", "社区二楼会议室")
        page.fill("#m-agenda", "冬季防火；走访情况")
        page.get_by_label("第一网格", exact=True).check()
        # The grid's leader, building head and patroller.
        expect(page.locator("#reach")).to_contain_text("邀请人数：3。", timeout=10000)
        page.fill("#m-find", "孙桂")
        found = page.locator("#found").get_by_label("孙桂兰", exact=False)
        expect(found).to_be_visible(timeout=10000)
        found.check()
        expect(page.locator("#reach")).to_contain_text("邀请人数：4。", timeout=10000)
        secretary.fits("the picker with a resident found")
        page.get_by_role("button", name="下一步：核对邀请人员").click()
        expect(page.locator("h1")).to_have_text("发出会议邀请？")
        audit.check()
        secretary.fits("the confirmation")
        page.get_by_role("button", name="发出邀请（4人）").click()
        expect(page.locator(".flashes")).to_contain_text("已发出邀请4份")
        assert "孙桂兰" in page.locator("main").inner_text()
        audit.check()
        secretary.fits("the meeting's page")

        # The patroller answers in the app.
        AxeAudit(volunteer).check("/my/meetings")
        vpage = volunteer.page
        expect(vpage.locator("main")).to_contain_text("一网格12月例会")
        vpage.get_by_role("button", name="我参加").click()
        expect(vpage.locator("#my-meetings")).to_contain_text("您的答复: 参加")
        volunteer.fits("/my/meetings")
        assert volunteer.console_errors == []

        # A grid meeting that began ten minutes ago: the door, the minutes, a suggestion.
        with writing():
            db.session.commit()
            community = db.session.scalar(
                select(Community).where(Community.code == world.community_code)
            )
            grid = db.session.get(Grid, world.grid_id)
            leader = db.session.scalar(
                select(Person).where(Person.phone == world.people["secretary"].phone)
            )
            resident = db.session.get(Resident, world.resident_id)
            assert community is not None and leader is not None and resident is not None
            now = utcnow()
            held = meetings.call_meeting(
                community,
                kind="forum",
                title="居民座谈会",
                starts_at=now - timedelta(minutes=10),
                place="小区凉亭",
                invitees=Invitees(
                    audience=Audience(roles=("patroller",)), residents=(resident.id,)
                ),
                by=leader,
                now=now - timedelta(days=1),
                today=today_of(now),
                grid=grid,
            )
            held_id = held.id
            db.session.commit()
        db.session.rollback()
        audit.check(f"/meetings/{held_id}/door")
        secretary.fits("the door")
        row = page.locator("li", has_text="张伟")
        row.get_by_role("button", name="到会").click()
        expect(page.locator("#door")).to_contain_text("到会1 · 缺席0 · 未签到1")
        page.locator("li", has_text="孙桂兰").get_by_role("button", name="缺席").click()
        expect(page.locator("#door")).to_contain_text("到会1 · 缺席1 · 未签到0")
        page.fill("#w-name", "路过的李阿姨")
        page.get_by_role("button", name="记为到会").click()
        expect(page.locator(".flashes")).to_contain_text("路过的李阿姨已记为到会")
        expect(page.locator("#door")).to_contain_text("到会2 · 缺席1")
        secretary.fits("the door after a walk-in")

        secretary.go(f"/meetings/{held_id}")
        page.fill("#m-minutes", "听取居民对供暖的意见。")
        page.fill("#m-decisions", "联系热力公司检修3号楼管道。")
        page.get_by_role("button", name="保存会议记录").click()
        expect(page.locator(".flashes")).to_contain_text("会议记录已保存")
        page.fill("#s-text", "3号楼暖气不热")
        page.select_option("#s-who", str(world.resident_id))
        page.get_by_role("button", name="记录建议").click()
        expect(page.locator(".flashes")).to_contain_text("建议已记录")
        page.select_option("#suggestions select[name=category]", "repairs")
        page.get_by_role("button", name="转为任务").click()
        expect(page.locator(".flashes")).to_contain_text("建议已转为任务T")
        expect(page.locator("#suggestions")).to_contain_text("已列入需求清单：N")
        audit.check()
        secretary.fits("the meeting with its minutes")
        audit.assert_clean()
        assert secretary.console_errors == []
    finally:
        volunteer.context.close()
        secretary.context.close()
    with writing():
        db.session.commit()
        made = db.session.get(Meeting, held_id)
        assert made is not None and made.minutes and made.suggestions[0].work_order_ref
