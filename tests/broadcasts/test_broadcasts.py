"""Broadcasts: a mobilisation answered with "1" (the latest question wins, places stop at the
number needed), its live page, and an information broadcast to residents aged 80+ with its
delivery report."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select

from models import (
    Broadcast,
    BroadcastRecipient,
    Delivery,
    DeliveryState,
    PartnerUnit,
    WorkOrder,
    WorkOrderClaim,
    db,
    utcnow,
)
from notify.dispatch import Dispatcher
from notify.queueing import enqueue_now
from notify.sweep import SENDING_STALE_SECONDS, sweep
from services.broadcasts import operations as broadcasts
from services.broadcasts import queries
from services.errors import InvalidInput
from services.work_orders.audiences import Audience
from tasks import broadcasts as broadcast_jobs
from tests.support import run_jobs, sign_in
from tests.work_orders.test_work_orders import NOW, TODAY, World, sms

# The messages these tests read are the English ones.
pytestmark = pytest.mark.usefixtures("english")

TEXT = "需要20人07:00清扫积雪，回复1报名"


def mobilise(world: World, **kw: Any) -> Broadcast:
    kw.setdefault("text", TEXT)
    kw.setdefault("title", "清扫积雪")
    kw.setdefault("starts_at", NOW + timedelta(hours=21))
    kw.setdefault("ends_at", NOW + timedelta(hours=23))
    kw.setdefault("places_needed", 2)
    kw.setdefault("audience", Audience(roles=("patroller",)))
    kw.setdefault("by", world.secretary)
    kw.setdefault("now", NOW)
    kw.setdefault("today", TODAY)
    broadcast = broadcasts.mobilise(world.community, **kw)
    prepare(broadcast.id)  # the job the commit queues, run here
    return broadcast


def prepare(broadcast_id: int) -> str:
    """Commit, then run the preparing job as a worker would (holding no lock meanwhile)."""
    db.session.commit()
    return broadcast_jobs.prepare(broadcast_id)


@pytest.fixture
def world(make: Any) -> World:
    w = World(make, volunteers=3)
    unit = PartnerUnit(community_id=w.community.id, name="区供电局")
    db.session.add(unit)
    db.session.commit()
    w.unit = unit  # type: ignore[attr-defined]
    w.member = make.person(name="在职党员", partner_unit_id=unit.id)  # type: ignore[attr-defined]
    return w


def test_mobilisation_reply_1_claims_until_filled(world: World) -> None:
    b = mobilise(world, audience=Audience(roles=("patroller",), partner_units=(world.unit.id,)))  # type: ignore[attr-defined]
    order = db.session.get(WorkOrder, b.order_id)
    assert order is not None and order.priority == "urgent"
    rows = db.session.scalars(select(Delivery).where(Delivery.batch_key == b.batch_key)).all()
    assert len(rows) == 4 and all(d.urgent and d.kind == "mobilisation" for d in rows)
    assert rows[0].params["_actions"] == [["报名 Join", f"认领 {order.ref}"]]
    recipients = {
        r.person_id: r
        for r in db.session.scalars(
            select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == b.id)
        )
    }
    assert recipients[world.volunteers[0].id].grid_id == world.grid1.id
    assert recipients[world.member.id].partner_unit_id == world.unit.id  # type: ignore[attr-defined]
    a, b2, c = world.volunteers
    assert "报名请回复1" in sms(a.phone, "2")
    assert "已认领任务" in sms(a.phone, "1")
    assert "已认领任务" in sms(b2.phone, "１")  # a full-width digit from an old phone
    assert "已满员" in sms(c.phone, "1")
    replied = db.session.scalar(
        select(func.count()).where(
            BroadcastRecipient.broadcast_id == b.id, BroadcastRecipient.replied_at.isnot(None)
        )
    )
    assert replied == 3
    report = queries.report(b)
    assert (report.overall.total, report.overall.replied, report.overall.claimed) == (4, 3, 2)
    grid1 = next(t for t in report.by_grid if t.label == world.grid1.name)
    assert (grid1.total, grid1.replied, grid1.claimed) == (3, 3, 2)
    assert [(u.label, u.total, u.claimed) for u in report.by_unit] == [("区供电局", 1, 0)]


def test_the_latest_mobilisation_gets_the_1(world: World) -> None:
    first = mobilise(world, places_needed=5)
    second = mobilise(
        world, text="需要3人今晚巡逻，回复1报名", places_needed=3, now=NOW + timedelta(minutes=5)
    )
    v = world.volunteers[0]
    sms(v.phone, "1", now=NOW + timedelta(minutes=6))
    claims = db.session.scalars(select(WorkOrderClaim.order_id)).all()
    assert claims == [second.order_id]
    assert first.order_id != second.order_id


def test_a_1_with_no_mobilisation_is_not_understood(world: World) -> None:
    reply = sms(world.volunteers[0].phone, "1")
    assert "没有看懂" in reply
    assert db.session.scalar(select(func.count(WorkOrderClaim.id))) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"text": "   "}, "message"),
        ({"text": "雪" * 10000}, "too long"),
        ({"audience": Audience()}, "whom it goes to"),
        ({"places_needed": 0}, "At least one"),
        ({"ends_at": NOW + timedelta(hours=20)}, "end after"),
    ],
)
def test_bad_mobilisation_is_refused_and_nothing_saved(
    world: World, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        mobilise(world, **change)
    assert message in error.value.message
    db.session.rollback()
    for model in (Broadcast, WorkOrder, Delivery, BroadcastRecipient):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def _residents(world: World) -> dict[str, Any]:
    make = world.make
    building = make.building(world.grid1)
    other = make.building(world.grid2)
    h1 = make.household(building, contact_phone="+8613911112222", contact_name="儿子")
    h2 = make.household(other)
    return {
        "old_phone": make.resident(h1, birth_year=1940, phone="+8613911110001", sms_consent=True),
        "old_no_phone": make.resident(h1, birth_year=1938, sms_consent=True),
        "old_no_consent": make.resident(h2, birth_year=1941, phone="+8613911110003"),
        "young": make.resident(h2, birth_year=1980, phone="+8613911110004", sms_consent=True),
        "old_grid2": make.resident(h2, birth_year=1944, phone="+8613911110005", sms_consent=True),
    }


def test_information_broadcast_to_residents_aged_80_and_over(app: Any, world: World) -> None:
    people = _residents(world)
    # No quiet hours in this community, so the test does not depend on the clock.
    world.community.quiet_from = world.community.quiet_until = time(0, 0)
    db.session.commit()
    criteria = queries.Criteria(min_age=80)
    assert queries.count_matching(world.community, criteria, TODAY) == (4, 3)
    b = broadcasts.inform(
        world.community,
        text="80周岁以上老人可申领高龄补贴，请带身份证到社区办理。",
        criteria=criteria,
        by=world.secretary,
        now=utcnow(),  # the workers send at the real time: the delivery must not be stale
        today=TODAY,
    )
    prepare(b.id)
    assert (b.recipient_count, b.skipped_count) == (3, 1)
    rows = db.session.scalars(select(Delivery).where(Delivery.batch_key == b.batch_key)).all()
    assert {d.resident_id for d in rows} == {
        people["old_phone"].id,
        people["old_no_phone"].id,
        people["old_grid2"].id,
    }
    relay = next(d for d in rows if d.resident_id == people["old_no_phone"].id)
    assert relay.address == "+8613911112222" and not relay.urgent
    run_jobs(app)
    db.session.rollback()
    report = queries.report(b)
    assert report.overall.total == 3
    assert report.overall.reached == 3, report.overall.states
    by_grid = {t.label: t.total for t in report.by_grid}
    assert by_grid == {world.grid1.name: 2, world.grid2.name: 1}
    states = queries.counts_by_state(b)
    assert sum(states[s] for s in (DeliveryState.SENT, DeliveryState.DELIVERED)) == 3


def test_information_broadcast_bad_input(world: World) -> None:
    _residents(world)
    for text, criteria, message in (
        ("", queries.Criteria(min_age=80), "message"),
        ("x" * 10000, queries.Criteria(min_age=80), "too long"),
        ("通知", queries.Criteria(min_age=110), "No resident"),
        ("通知", queries.Criteria(grids=(999999,)), "not in your area"),
    ):
        with pytest.raises(InvalidInput) as error:
            broadcasts.inform(
                world.community,
                text=text,
                criteria=criteria,
                by=world.secretary,
                now=NOW,
                today=TODAY,
            )
        assert message in error.value.message
        db.session.rollback()
    assert db.session.scalar(select(func.count(Broadcast.id))) == 0
    assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_live_page_updates_without_reloading(client: FlaskClient, world: World) -> None:
    b = mobilise(world)
    sign_in(client, world.secretary.phone)
    page = client.get(f"/broadcasts/{b.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'hx-trigger="every 3s"' in html and f"/broadcasts/{b.id}/live" in html
    assert 'data-figure="claimed">0<' in html
    sms(world.volunteers[0].phone, "1")
    fragment = client.get(f"/broadcasts/{b.id}/live", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'data-figure="claimed">1<' in body and 'data-figure="replied">1<' in body
    assert "HX-Request" in fragment.headers["Vary"]
    # A grid leader sees only their grid's mobilisations; a volunteer none of these pages.
    for outsider in (world.leader2, world.volunteers[1]):
        client.post("/sign-out")
        sign_in(client, outsider.phone)
        assert client.get(f"/broadcasts/{b.id}").status_code == 404
        assert client.get(f"/broadcasts/{b.id}/live").status_code == 404


def test_pages_create_mobilisation_and_information(
    app: Any, client: FlaskClient, world: World
) -> None:
    _residents(world)
    sign_in(client, world.secretary.phone)
    assert client.get("/broadcasts/mobilise").status_code == 200
    bad = client.post(
        "/broadcasts/mobilise",
        data={
            "text": TEXT,
            "starts_at": "2026-11-26T07:00",
            "ends_at": "2026-11-26T06:00",
            "places_needed": "20",
            "roles": ["patroller"],
        },
    )
    assert bad.status_code == 422 and "end after" in bad.get_data(as_text=True)
    start = (NOW + timedelta(days=400)).strftime("%Y-%m-%dT07:00")
    end = (NOW + timedelta(days=400)).strftime("%Y-%m-%dT09:00")
    form = {
        "text": TEXT,
        "title": "扫雪",
        "starts_at": start,
        "ends_at": end,
        "places_needed": "20",
        "roles": ["patroller", "observer"],
        "grids": [str(world.grid2.id)],
    }
    # Patrollers and observers in grid 2: its observer only (not grid 1's patrollers, not
    # grid 2's leader). The first submit asks to confirm that count.
    asked = client.post("/broadcasts/mobilise", data=form)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "People it reaches: 1." in page
    assert db.session.scalar(select(func.count(Broadcast.id))) == 0
    # "Change it" goes back to the form with everything kept.
    back = client.post("/broadcasts/mobilise", data={**form, "edit": "1"})
    assert back.status_code == 200 and TEXT in back.get_data(as_text=True)
    assert 'name="confirmed"' not in back.get_data(as_text=True)
    # A count that changed since the page was shown is asked again, and nothing is sent.
    stale = client.post("/broadcasts/mobilise", data={**form, "confirmed": "7"})
    assert stale.status_code == 200 and "has changed" in stale.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Broadcast.id))) == 0
    ok = client.post("/broadcasts/mobilise", data={**form, "confirmed": "1"})
    assert ok.status_code == 302, ok.get_data(as_text=True)
    said = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "Mobilisation sent; people told: 1." in said
    run_jobs(app)
    b = db.session.scalar(select(Broadcast))
    assert b is not None and b.recipient_count == 1
    told = set(
        db.session.scalars(select(Delivery.person_id).where(Delivery.batch_key == b.batch_key))
    )
    assert told == {world.other.id}
    preview = client.post("/broadcasts/inform", data={"min_age": "80", "preview": "1"})
    assert "4" in preview.get_data(as_text=True)
    none = client.post("/broadcasts/inform", data={"text": "", "min_age": "80"})
    assert none.status_code == 422
    age = client.post("/broadcasts/inform", data={"text": "通知", "min_age": "abc"})
    assert age.status_code == 422
    notice = {"text": "高龄补贴申领提醒", "min_age": "80"}
    asked = client.post("/broadcasts/inform", data=notice)
    page = asked.get_data(as_text=True)
    assert "Residents who will receive it: 3." in page and 'value="3"' in page
    assert db.session.scalar(select(func.count(Broadcast.id))) == 1
    sent = client.post("/broadcasts/inform", data={**notice, "confirmed": "3"})
    assert sent.status_code == 302
    assert "Notice queued; residents: 3." in client.get(sent.headers["Location"]).get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count(Broadcast.id))) == 2
    assert client.get("/broadcasts").status_code == 200


def test_grid_leader_mobilises_only_their_grid(app: Any, world: World) -> None:
    leader = app.test_client()
    sign_in(leader, world.leader1.phone)
    start = (NOW + timedelta(days=400)).strftime("%Y-%m-%dT07:00")
    end = (NOW + timedelta(days=400)).strftime("%Y-%m-%dT09:00")
    form = {"text": TEXT, "starts_at": start, "ends_at": end, "places_needed": "2"}
    other_grid = leader.post("/broadcasts/mobilise", data={**form, "grids": [str(world.grid2.id)]})
    assert other_grid.status_code == 422
    assert leader.get("/broadcasts/inform").status_code == 404  # residents: the staff's
    ok = leader.post(
        "/broadcasts/mobilise",
        data={**form, "roles": ["patroller", "observer"], "confirmed": str(len(world.volunteers))},
    )
    assert ok.status_code == 302
    run_jobs(app)
    b = db.session.scalar(select(Broadcast))
    assert b is not None
    told = set(
        db.session.scalars(select(Delivery.person_id).where(Delivery.batch_key == b.batch_key))
    )
    assert told == {v.id for v in world.volunteers}  # grid 2's observer is not told
    assert leader.get(f"/broadcasts/{b.id}").status_code == 200


def test_the_report_counts_uncertain_deliveries_and_those_sent_again(
    app: Any, client: FlaskClient, world: World
) -> None:
    b = mobilise(world)
    ids = list(db.session.scalars(select(Delivery.id).where(Delivery.batch_key == b.batch_key)))
    assert len(ids) >= 3
    # A worker claims two and dies before recording anything: the sweep, 91 s later, marks
    # them uncertain and queues them again; a worker sends them (perhaps a second time).
    assert len(Dispatcher({}, None).claim(ids[:2], utcnow())) == 2
    again = sweep(now=utcnow() + timedelta(seconds=SENDING_STALE_SECONDS + 1))
    assert set(ids[:2]) <= set(again)
    enqueue_now(ids[:2], redis=Redis.from_url(app.config["REDIS_URL"]), queue_name="linli")
    run_jobs(app)
    # A third was left by a dead worker too, and is not sent again yet.
    third = db.session.get(Delivery, ids[2])
    third.uncertain, third.state = True, DeliveryState.QUEUED
    db.session.commit()

    report = queries.report(db.session.get(Broadcast, b.id))
    assert (report.uncertain, report.sent_again) == (3, 2)
    sign_in(client, world.secretary.phone)
    html = client.get(f"/broadcasts/{b.id}").get_data(as_text=True)
    assert 'data-figure="uncertain">3<' in html and 'data-figure="sent-again">2<' in html
    assert "may have reached the same phone twice" in html
    # Without any, the figures read 0 and no explanation is shown.
    other = mobilise(world, title="另一次")
    html = client.get(f"/broadcasts/{other.id}").get_data(as_text=True)
    assert 'data-figure="uncertain">0<' in html and 'data-figure="sent-again">0<' in html
    assert "may have reached the same phone twice" not in html
