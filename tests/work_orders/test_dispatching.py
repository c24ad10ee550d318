"""Dispatching: the live count of whom an audience reaches, the people picker's grid and post,
confirming before a cancellation, an order of several places done only when every place
reported (or its organiser closes it), and orders past their window closing by themselves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Delivery, Need, NeedSource, NeedStatus, WorkOrder, db
from models.work_orders import OrderStatus
from pwa.views.needs import NEED_CONVERSIONS
from services.errors import DomainError
from services.needs import operations as needs
from services.work_orders import claims, expiry
from services.work_orders import operations as work_orders
from tasks import work_orders as work_order_jobs
from tests.support import sign_in
from tests.work_orders.test_work_orders import NOW, TODAY, World

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def world(make: Any) -> World:
    w = World(make, volunteers=3)
    w.patroller2 = make.person(name="二网格巡逻员")  # type: ignore[attr-defined]
    make.post(w.patroller2, "patroller", community=w.community, grid=w.grid2)  # type: ignore[attr-defined]
    return w


def _kinds(kind: str) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == kind)))


# -- the live count and the picker ------------------------------------------------------------


def test_the_count_follows_the_choices(client: FlaskClient, world: World) -> None:
    sign_in(client, world.secretary.phone)
    grid1 = str(world.grid1.id)

    def reach(path: str = "/work-orders/reach", **args: Any) -> str:
        response = client.get(path, query_string=args, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        return response.get_data(as_text=True)

    # Grid 1 and patrollers: grid 1's three patrollers, not grid 2's.
    assert "People it reaches: 3." in reach(grids=grid1, roles="patroller")
    assert "People it reaches: 4." in reach(roles="patroller")
    assert "People it reaches: 4." in reach(grids=grid1)  # its leader and patrollers
    assert "People it reaches: 1." in reach(grids=grid1, roles="grid_leader")
    assert "Nobody serves" in reach(grids=grid1, roles="mediator")
    assert "Choose whom it goes to" in reach()
    assert "unknown choice" in reach(grids="abc")
    assert "not in your area" in reach(grids="999999")
    assert "Unknown post" in reach(roles="astronaut")
    assert "People it reaches: 3." in reach("/broadcasts/reach", grids=grid1, roles="patroller")
    # The form carries the count under the picker, asked as the choices change.
    page = client.get("/work-orders/new").get_data(as_text=True)
    assert 'hx-get="/work-orders/reach"' in page and 'hx-trigger="change"' in page
    assert 'id="reach"' in page
    mobilise = client.get("/broadcasts/mobilise").get_data(as_text=True)
    assert 'hx-get="/broadcasts/reach"' in mobilise


def test_a_grid_leader_counts_in_their_grid_only(client: FlaskClient, world: World) -> None:
    sign_in(client, world.leader1.phone)
    reached = client.get("/work-orders/reach", query_string={"roles": "patroller"})
    assert "People it reaches: 3." in reached.get_data(as_text=True)
    other = client.get("/work-orders/reach", query_string={"grids": str(world.grid2.id)})
    assert "not in your area" in other.get_data(as_text=True)
    client.post("/sign-out")
    sign_in(client, world.volunteers[0].phone)
    assert client.get("/work-orders/reach", query_string={"roles": "patroller"}).status_code == 404


def test_the_people_picker_shows_grid_and_post(client: FlaskClient, world: World) -> None:
    sign_in(client, world.secretary.phone)
    page = client.get("/work-orders/new").get_data(as_text=True)
    assert f"志愿者0（{world.grid1.name} · Patroller）" in page
    assert f"二网格巡逻员（{world.grid2.name} · Patroller）" in page
    assert f"网格长二（{world.grid2.name} · Grid leader）" in page


def test_a_bad_confirmation_is_refused_and_saves_nothing(client: FlaskClient, world: World) -> None:
    sign_in(client, world.secretary.phone)
    start = (NOW + timedelta(days=400)).strftime("%Y-%m-%dT07:00")
    end = (NOW + timedelta(days=400)).strftime("%Y-%m-%dT09:00")
    form = {
        "title": "巡逻",
        "starts_at": start,
        "ends_at": end,
        "places_needed": "2",
        "roles": ["patroller"],
        "confirmed": "4",
    }
    bad = client.post("/work-orders/new", data={**form, "places_needed": "0"})
    assert bad.status_code == 422 and "At least one" in bad.get_data(as_text=True)
    nobody = client.post("/work-orders/new", data={**form, "roles": ["mediator"]})
    assert nobody.status_code == 422 and "Nobody serves" in nobody.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(WorkOrder)) is None


# -- done, closed, cancelled, expired -----------------------------------------------------------


def test_three_places_are_done_when_all_three_reported(world: World) -> None:
    order = world.order(places_needed=3)
    a, b, c = world.volunteers
    for v in (a, b):
        claims.claim(order, by=v, via="app", now=NOW, today=TODAY)
    # The first reports two days early: still open, and one place is still free.
    claims.mark_done(order, by=a, via="app", now=NOW, note="扫完东段")
    db.session.commit()
    assert order.status == OrderStatus.OPEN and order.done_at is None
    claims.mark_done(order, by=b, via="app", now=NOW, note="扫完西段")
    db.session.commit()
    assert order.status == OrderStatus.OPEN  # every claimer reported, but a place is free
    claims.claim(order, by=c, via="sms", now=NOW, today=TODAY)
    db.session.commit()
    assert order.status == OrderStatus.FILLED
    assert _kinds("work_order_to_check") == []
    claims.mark_done(order, by=c, via="sms", now=NOW, note="扫完北段")
    db.session.commit()
    assert order.status == OrderStatus.DONE
    [to_check] = _kinds("work_order_to_check")
    assert to_check.person_id == world.secretary.id


def test_the_organiser_closes_early_but_not_with_nothing_reported(world: World) -> None:
    order = world.order(places_needed=3)
    a, b, _c = world.volunteers
    claims.claim(order, by=a, via="app", now=NOW, today=TODAY)
    claims.claim(order, by=b, via="app", now=NOW, today=TODAY)
    with pytest.raises(DomainError) as error:
        work_orders.close(order, by=world.secretary, now=NOW)
    assert "cancel it instead" in error.value.message
    claims.mark_done(order, by=a, via="app", now=NOW, note="完成")
    assert work_orders.close(order, by=world.secretary, now=NOW) == 1
    db.session.commit()
    assert order.status == OrderStatus.DONE
    work_orders.verify(order, by=world.secretary, now=NOW)
    db.session.commit()
    assert order.status == OrderStatus.VERIFIED
    with pytest.raises(DomainError):
        work_orders.close(order, by=world.secretary, now=NOW)


def _need_order(world: World, **kw: Any) -> tuple[Need, WorkOrder]:
    building = world.make.building(world.grid1)
    household = world.make.household(building)
    need = needs.raise_need(
        community_id=world.community.id,
        household=household,
        source=NeedSource.OBSERVER,
        by=world.leader1,
        category="environment",
        text="楼道堆物需清理",
        now=NOW,
    )
    needs.decide(
        need,
        by=world.leader1,
        decision="work_order",
        today=TODAY,
        now=NOW,
        conversions=NEED_CONVERSIONS,
    )
    db.session.commit()
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.need_id == need.id))
    assert order is not None
    return need, order


def test_cancelling_asks_first_then_gives_the_need_back(client: FlaskClient, world: World) -> None:
    need, order = _need_order(world)
    claims.claim(order, by=world.volunteers[0], via="app", now=NOW, today=TODAY)
    db.session.commit()
    sign_in(client, world.secretary.phone)
    detail = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "Cancel this work order…" in detail
    asked = client.post(f"/work-orders/{order.id}/cancel")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and f"Cancel {order.ref}?" in page
    assert "Claimers who will be told: 1." in page and 'value="1"' in page
    assert f"N{need.id} goes back undecided" in page
    db.session.rollback()
    assert db.session.get(WorkOrder, order.id).status == OrderStatus.FILLED
    done = client.post(f"/work-orders/{order.id}/cancel", data={"confirmed": "1"})
    assert done.status_code == 302
    said = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"{order.ref} cancelled; claimers told: 1." in said
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == OrderStatus.CANCELLED
    need = db.session.get(Need, need.id)
    assert need.status == NeedStatus.OPEN and need.decision is None
    assert need.converted_ref is None and need.decided_by_id is None
    [back] = _kinds("need_back_cancelled")
    assert back.person_id == world.leader1.id and back.params["ref"] == need.ref
    assert len(_kinds("work_order_cancelled")) == 1
    # Cancelling again is refused with a reason, and changes nothing.
    again = client.post(f"/work-orders/{order.id}/cancel", data={"confirmed": "0"})
    assert again.status_code == 422 and "is closed" in again.get_data(as_text=True)
    assert len(_kinds("need_back_cancelled")) == 1


def test_orders_past_their_window_close_by_themselves(world: World) -> None:
    need, undone = _need_order(world)
    reported = world.order(places_needed=3)
    v = world.volunteers[0]
    claims.claim(reported, by=v, via="app", now=NOW, today=TODAY)
    claims.mark_done(reported, by=v, via="app", now=NOW, note="完成一部分")
    live = world.order(starts_at=undone.ends_at, ends_at=undone.ends_at + timedelta(days=2))
    db.session.commit()
    after = max(undone.ends_at, reported.ends_at) + timedelta(minutes=1)
    report = expiry.close_expired(after)
    db.session.commit()
    assert (report.to_check, report.expired) == (1, 1)
    assert undone.status == OrderStatus.EXPIRED
    assert reported.status == OrderStatus.DONE
    assert live.status == OrderStatus.OPEN
    db.session.refresh(need)
    assert need.status == NeedStatus.OPEN
    [back] = _kinds("need_back_expired")
    assert back.person_id == world.leader1.id
    assert [d.person_id for d in _kinds("work_order_to_check")] == [world.secretary.id]
    # Again: nothing left to close, nobody told twice.
    assert expiry.close_expired(after) == expiry.ExpiryReport()
    with pytest.raises(DomainError):
        work_orders.expire(live, now=after)


def test_the_expiry_job_runs(world: World) -> None:
    order = world.order(
        starts_at=NOW - timedelta(days=3),
        ends_at=NOW - timedelta(days=2),
        now=NOW - timedelta(days=4),
    )
    assert work_order_jobs.close_expired() == {"to_check": 0, "expired": 1}
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == OrderStatus.EXPIRED
    db.session.rollback()  # hold no write lock while the job runs
    assert work_order_jobs.close_expired() == {"to_check": 0, "expired": 0}
