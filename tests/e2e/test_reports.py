"""Observers' reports and property matters in the browser on a 360 px phone, in Chinese (CSP
on): an observer reports a broken light with a photo (first forgetting the place: told so, the
text kept), it goes to the property company, whose contact answers on the link's page; the
property liaison follows it on their page, and the observer sees the answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import Community, Grid, Need, NeedStatus, PartnerUnit, db
from models.base import writing
from services.needs import referrals
from tests.e2e.conftest import LiveServer, World, new_visitor
from tests.e2e.test_accessibility import AxeAudit

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True}


def _people(world: World, make: Any) -> tuple[str, str]:
    """Add grid 1's observer and property liaison, and the community's property company."""
    community = db.session.scalar(select(Community).where(Community.code == world.community_code))
    grid = db.session.get(Grid, world.grid_id)
    assert community is not None and grid is not None
    observer = make.person(name="吴观察")
    make.post(observer, "observer", community=community, grid=grid)
    liaison = make.person(name="冯物管")
    make.post(liaison, "property_liaison", community=community, grid=grid)
    with writing():
        db.session.add(
            PartnerUnit(
                community_id=community.id,
                name="安居物业",
                kind="物业公司",
                contact_name="周经理",
                contact_phone="+8613900006609",
            )
        )
        db.session.commit()
    return observer.phone, liaison.phone


def test_a_report_goes_to_the_property_company_and_its_answer_comes_back(
    chromium: Browser, live_server: LiveServer, world: World, tmp_path: Path, make: Any
) -> None:
    observer_phone, liaison_phone = _people(world, make)
    picture = tmp_path / "light.jpg"
    Image.new("RGB", (1200, 900), (30, 30, 40)).save(picture, format="JPEG")
    observer = new_visitor(chromium, live_server, **PHONE)
    try:
        observer.sign_in_quickly(observer_phone)
        audit = AxeAudit(observer)
        audit.check("/reports/new")
        observer.fits("the report form")
        page = observer.page
        page.fill("#r-text", "门口路灯不亮，晚上很黑")
        page.select_option("#r-category", "property")
        page.set_input_files("#r-photo", str(picture))
        page.get_by_role("button", name="提交反映").click()
        # No building and no place: told where it went wrong, the text kept.
        expect(page.locator("#r-error")).to_contain_text("请说明问题在哪里")
        assert page.input_value("#r-text") == "门口路灯不亮，晚上很黑"
        observer.fits("the refused report form")
        page.select_option("#r-building", label=world.building_label)
        page.fill("#r-place", "2单元门口")
        page.set_input_files("#r-photo", str(picture))
        page.get_by_role("button", name="提交反映").click()
        expect(page.locator(".flashes")).to_contain_text("已转物业公司")
        audit.check()
        audit.assert_clean()
        # The refused form's own 422 is the one error the console may show.
        assert [e for e in observer.console_errors if "422" not in e] == []
    except BaseException:
        observer.context.close()
        raise

    db.session.rollback()
    need = db.session.scalar(select(Need))
    assert need is not None and need.status == NeedStatus.IN_HAND and need.photo_id is not None
    need_id, ref = need.id, need.ref
    with writing():
        referral = referrals.latest(need)
        assert referral is not None
        token = "e2e-property-link-token-0123456789"
        referral.token_hash = referrals.digest(token)
        db.session.commit()

    liaison = new_visitor(chromium, live_server, **PHONE)
    try:
        liaison.sign_in_quickly(liaison_phone)
        liaison.go("/property")
        liaison.fits("the property matters page")
        text = liaison.page.locator("main").inner_text()
        assert ref in text and "等待物业答复" in text and "门口路灯不亮" in text
        assert liaison.console_errors == []
    finally:
        liaison.context.close()

    company = new_visitor(chromium, live_server, **PHONE)
    try:
        company.go(f"/p/{token}")
        company.fits("the company's link page")
        page = company.page
        shown = page.locator("main").inner_text()
        assert "门口路灯不亮" in shown and "2单元门口" in shown and "请在" in shown
        assert "吴观察" in shown  # whom to call: the reporter
        page.fill("#p-answer", "已更换灯泡")
        page.get_by_role("button", name="提交答复").click()
        expect(page.locator(".flashes")).to_contain_text("已转告居民")
    finally:
        company.context.close()

    # The observer, still signed in, sees the company's answer among their reports.
    try:
        observer.go("/reports/new")
        mine = observer.page.locator(f"#report-{need_id}").inner_text()
        assert "已更换灯泡" in mine
    finally:
        observer.context.close()
