"""Log a visit with no network: it waits on the phone, goes when the network returns, once."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from models import Visit, db
from tests.e2e.conftest import Visitor, World


def _visits(household_id: int) -> list[Visit]:
    db.session.rollback()  # a fresh snapshot: the server wrote through its own connection
    return list(db.session.scalars(select(Visit).where(Visit.household_id == household_id)))


def _wait_for(condition, seconds: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_visit_logged_offline_is_saved_once_when_back_online(
    visitor: Visitor, world: World
) -> None:
    visitor.sign_in_quickly(world.people["building_head"].phone)
    visitor.go(f"/visits/log?household={world.household_id}")
    page = visitor.page
    page.fill("#met", "孙大爷")
    page.fill("#note", "身体不错，想了解高龄补贴")
    page.select_option("#need_category_0", "paperwork")
    page.fill("#need_text_0", "高龄补贴怎么申请")
    key = page.input_value("input[name=key]")

    visitor.context.set_offline(True)
    page.click("#visit-form button[type=submit]")
    queued = page.locator(f'#visit-queue li[data-key="{key}"]')
    queued.wait_for()
    assert "waiting" in (queued.get_attribute("class") or "")
    assert page.locator("#visit-status").inner_text().strip() != ""
    # It is only on the phone so far, and survives a second tap on another visit's form.
    assert _visits(world.household_id) == []
    assert page.input_value("input[name=key]") != key

    visitor.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # as a phone does on reconnect
    page.locator(f'#visit-queue li.saved[data-key="{key}"]').wait_for(timeout=20_000)
    assert _wait_for(lambda: len(_visits(world.household_id)) == 1)
    visit = _visits(world.household_id)[0]
    assert visit.key == key and visit.via == "offline" and visit.note.startswith("身体不错")
    assert len(visit.needs) == 1 and visit.needs[0].text == "高龄补贴怎么申请"

    # Re-sending the same queued visit (a flaky network, a second tab) saves nothing new.
    page.evaluate(
        """() => {
          const items = JSON.parse(localStorage.getItem('linli-visit-queue'));
          items.forEach((i) => { i.state = 'waiting'; });
          localStorage.setItem('linli-visit-queue', JSON.stringify(items));
          window.dispatchEvent(new Event('online'));
        }"""
    )
    page.locator(f'#visit-queue li.saved[data-key="{key}"]').wait_for(timeout=20_000)
    time.sleep(0.5)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Visit.id))) == 1
    assert visitor.console_errors == []


def test_a_visit_logged_online_through_the_form_script(visitor: Visitor, world: World) -> None:
    visitor.sign_in_quickly(world.people["building_head"].phone)
    visitor.go(f"/visits/log?household={world.household_id}")
    page = visitor.page
    page.fill("#note", "一切都好")
    page.click("#visit-form button[type=submit]")
    page.locator("#visit-queue li.saved").wait_for()
    assert len(_visits(world.household_id)) == 1
    # Bad input while online: the message shows and the form keeps what was typed.
    # (Set by script: the field's maxlength stops a person typing this much.)
    page.evaluate("document.querySelector('#note').value = '好'.repeat(1001)")
    page.click("#visit-form button[type=submit]")
    page.locator("#visit-status.error").wait_for()
    assert "1000" in page.locator("#visit-status").inner_text()
    assert len(page.input_value("#note")) == 1001
    assert len(_visits(world.household_id)) == 1


def test_visit_pages_pass_axe(visitor: Visitor, world: World) -> None:
    from models import Household, utcnow
    from services.needs import operations as needs
    from tests.e2e.test_accessibility import AxeAudit

    household = db.session.get(Household, world.household_id)
    needs.raise_need(
        community_id=household.building.community_id,  # type: ignore[union-attr]
        household=household,
        source="observer",
        by=None,
        category="repairs",
        text="楼道灯不亮",
        now=utcnow(),
    )
    db.session.commit()
    audit = AxeAudit(visitor)
    visitor.sign_in_quickly(world.people["grid_leader"].phone)
    for path in (
        "/visits",
        f"/visits/log?household={world.household_id}",
        "/visits/log",
        f"/visits/households/{world.household_id}",
        "/needs",  # with one open need, so its decision form is audited too
        "/needs/new",
        "/coverage",
        f"/coverage?building={world.building_id}",
    ):
        audit.check(path)
    audit.assert_clean()
