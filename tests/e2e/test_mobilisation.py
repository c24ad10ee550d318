"""The mobilisation page in the browser (real gunicorn, CSP on, htmx): a "1" by SMS shows up as
replied and claimed without the page reloading."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models import Broadcast, Person, db, utcnow
from models.base import writing
from notify import inbound
from services.broadcasts import fanout
from services.broadcasts import operations as broadcasts
from services.work_orders.audiences import Audience
from tests.e2e.conftest import LiveServer, Visitor, World, new_visitor


def test_mobilisation_page_updates_live(visitor: Visitor, world: World) -> None:
    people = {
        role: db.session.scalar(select(Person).where(Person.phone == someone.phone))
        for role, someone in world.people.items()
        if role != "resident"
    }
    from models import Community

    community = db.session.scalar(select(Community).where(Community.code == world.community_code))
    assert community is not None
    now = utcnow()
    with writing():
        db.session.commit()
        b = broadcasts.mobilise(
            community,
            text="需要2人07:00清扫积雪，回复1报名",
            title="清扫积雪",
            starts_at=now + timedelta(hours=10),
            ends_at=now + timedelta(hours=12),
            places_needed=2,
            audience=Audience(roles=("patroller", "building_head")),
            by=people["secretary"],
            now=now,
            today=now.date(),
        )
        fanout.prepare_now(b, now)  # its job's work, done here: the page is what is tested
        broadcast_id = b.id  # read before the commit: afterwards it would begin a transaction
        db.session.commit()

    db.session.rollback()  # hold no transaction (nor SQLite's lock) while the server works
    visitor.sign_in_quickly(world.people["secretary"].phone)
    visitor.go(f"/broadcasts/{broadcast_id}")
    page = visitor.page
    claimed = page.locator('[data-figure="claimed"]')
    assert claimed.inner_text() == "0"
    assert page.locator('[data-figure="total"]').inner_text() == "2"
    page.evaluate("window.__stayed = true")  # gone if the page reloads

    with writing():
        db.session.commit()
        handled = inbound.handle(
            channel="sms",
            provider_id="e2e-mobilisation-1",
            address=world.people["patroller"].phone,
            phone=world.people["patroller"].phone,
            text="1",
            now=utcnow(),
        )
        reply = handled.reply
        db.session.commit()
    assert reply and "已认领任务" in reply

    expect(page.locator('[data-figure="claimed"]')).to_have_text("1", timeout=15000)
    assert page.locator('[data-figure="replied"]').inner_text() == "1"
    assert page.evaluate("window.__stayed === true"), "the page reloaded"
    assert visitor.console_errors == []
    db.session.rollback()
    assert db.session.get(Broadcast, broadcast_id) is not None


def test_work_order_and_broadcast_pages_are_accessible(
    visitor: Visitor, world: World, chromium: Browser, live_server: LiveServer
) -> None:
    from models import Community
    from services.work_orders import operations as work_orders
    from tests.e2e.test_accessibility import AxeAudit

    community = db.session.scalar(select(Community).where(Community.code == world.community_code))
    secretary = db.session.scalar(
        select(Person).where(Person.phone == world.people["secretary"].phone)
    )
    assert community is not None and secretary is not None
    now = utcnow()
    with writing():
        db.session.commit()
        order = work_orders.create_order(
            community,
            title="学校周边巡逻",
            location="实验小学",
            starts_at=now + timedelta(hours=10),
            ends_at=now + timedelta(hours=11),
            places_needed=2,
            audience=Audience(roles=("patroller",)),
            by=secretary,
            now=now,
            today=now.date(),
        )
        order_id = order.id
        b = broadcasts.mobilise(
            community,
            text="需要2人07:00清扫积雪，回复1报名",
            title="清扫积雪",
            starts_at=now + timedelta(hours=10),
            ends_at=now + timedelta(hours=12),
            places_needed=2,
            audience=Audience(roles=("patroller",)),
            by=secretary,
            now=now,
            today=now.date(),
        )
        fanout.prepare_now(b, now)
        broadcast_id = b.id
        db.session.commit()
    db.session.rollback()
    visitor.sign_in_quickly(world.people["secretary"].phone)
    audit = AxeAudit(visitor)
    for path in (
        "/work-orders",
        "/work-orders/new",
        f"/work-orders/{order_id}",
        "/broadcasts",
        "/broadcasts/mobilise",
        "/broadcasts/inform",
        f"/broadcasts/{broadcast_id}",
    ):
        audit.check(path)
    audit.assert_clean()
    volunteer = new_visitor(chromium, live_server)
    try:
        volunteer.sign_in_quickly(world.people["patroller"].phone)
        mine = AxeAudit(volunteer)
        mine.check("/my/orders")
        assert "学校周边巡逻" in volunteer.page.locator("main").inner_text()
        mine.check("/my/work")
        mine.assert_clean()
    finally:
        volunteer.context.close()
