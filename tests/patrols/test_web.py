"""Patrols in the app: the grid leader sets a route and its shifts (bad input keeps what was
typed), a patroller signs up, starts, reports a finding with a photo and finishes; the leader
makes the finding a work order in one step; the month's log shows it all."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from models import PatrolFinding, PatrolRoute, PatrolSchedule, PatrolShift, WorkOrder, db, utcnow
from models.clock import today_of
from services.patrols import operations, queries
from tests.patrols.test_patrols import World
from tests.support import sign_in


def _png() -> io.BytesIO:
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(picture, "PNG")
    picture.seek(0)
    return picture


def test_leader_sets_up_a_route_and_shifts_bad_input_keeps_what_was_typed(
    client: FlaskClient, make: Any
) -> None:
    w = World(make)
    sign_in(client, w.leader.phone)
    page = client.get("/patrols/manage").get_data(as_text=True)
    assert "小区夜巡" in page and "新增路线" in page
    refused = client.post(
        "/patrols/routes", data={"grid": str(w.grid.id), "name": "", "covers": "东门至北门"}
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "请填写路线名称" in text and "东门至北门" in text
    done = client.post(
        "/patrols/routes",
        data={
            "grid": str(w.grid.id),
            "name": "东区",
            "covers": "东门",
            "partner_units": [str(w.police.id)],
        },
    )
    assert done.status_code == 302
    route = db.session.scalar(select(PatrolRoute).where(PatrolRoute.name == "东区"))
    assert route is not None and route.partner_unit_ids == [w.police.id]
    # Another grid's id is refused, not used.
    other = client.post("/patrols/routes", data={"grid": str(w.grid2.id + 1000), "name": "X"})
    assert other.status_code == 422 and "请选择路线所在的网格" in other.get_data(as_text=True)
    bad = client.post(
        f"/patrols/routes/{route.id}/schedules",
        data={"weekdays": ["1", "3"], "starts": "19点", "ends": "21:00", "places_needed": "3"},
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert (
        "开始时间请填写时间，如19:00。" in text and 'value="19点"' in text and 'value="3"' in text
    )
    assert 'value="1" checked' in text and 'value="3" checked' in text
    good = client.post(
        f"/patrols/routes/{route.id}/schedules",
        data={
            "weekdays": ["1", "2", "3", "4", "5", "6", "7"],
            "starts": "19:00",
            "ends": "21:00",
            "places_needed": "2",
        },
    )
    assert good.status_code == 302
    schedule = db.session.scalar(select(PatrolSchedule).where(PatrolSchedule.route_id == route.id))
    assert schedule is not None
    assert db.session.scalar(select(PatrolShift).where(PatrolShift.schedule_id == schedule.id))
    assert "每天 19:00-21:00" in client.get("/patrols/manage").get_data(as_text=True)
    # Someone who organises no grid sees none of it.
    client.post("/sign-out")
    sign_in(client, w.patrollers[0].phone)
    assert client.get("/patrols/manage").status_code == 404
    assert client.get("/patrols/log").status_code == 404


def test_patroller_patrols_in_the_app_and_the_leader_makes_a_finding_a_work_order(
    client: FlaskClient, make: Any
) -> None:
    w = World(make)
    shift = w.shift(utcnow() + timedelta(minutes=20))
    a = w.patrollers[0]
    sign_in(client, a.phone)
    page = client.get("/patrols").get_data(as_text=True)
    assert "小区夜巡" in page and "报名" in page
    assert client.post(f"/patrols/shifts/{shift.id}/sign_up").status_code == 200
    again = client.post(f"/patrols/shifts/{shift.id}/sign_up")
    assert again.status_code == 409 and "您已报名这个班次" in again.get_data(as_text=True)
    started = client.post(f"/patrols/shifts/{shift.id}/start")
    assert started.status_code == 200 and "已记录：巡逻开始" in started.get_data(as_text=True)
    empty = client.post(f"/patrols/shifts/{shift.id}/finding", data={"text": " "})
    assert empty.status_code == 422 and "请填写发现的情况" in empty.get_data(as_text=True)
    found = client.post(
        f"/patrols/shifts/{shift.id}/finding",
        data={"text": "3号楼消防通道堵塞", "photo": (_png(), "door.png")},
        content_type="multipart/form-data",
    )
    assert found.status_code == 200
    finding = db.session.scalar(select(PatrolFinding))
    assert finding is not None and finding.photo_id is not None
    assert client.get(f"/patrols/findings/{finding.id}/photo").status_code == 200
    finished = client.post(f"/patrols/shifts/{shift.id}/finish", data={"text": ""})
    assert finished.status_code == 200 and "辛苦了" in finished.get_data(as_text=True)
    # Another grid's patroller sees neither the shift nor the photo.
    client.post("/sign-out")
    sign_in(client, w.other.phone)
    assert client.post(f"/patrols/shifts/{shift.id}/sign_up").status_code == 404
    assert client.get(f"/patrols/findings/{finding.id}/photo").status_code == 404
    client.post("/sign-out")
    sign_in(client, w.leader.phone)
    manage = client.get("/patrols/manage").get_data(as_text=True)
    assert "3号楼消防通道堵塞" in manage and "转为任务" in manage
    made = client.post(f"/patrols/findings/{finding.id}/work_order", data={"category": "safety"})
    assert made.status_code == 302
    db.session.expire_all()
    finding = db.session.get(PatrolFinding, finding.id)
    assert finding is not None and finding.order_ref is not None
    order = db.session.get(WorkOrder, int(finding.order_ref[1:]))
    assert order is not None and order.grid_id == w.grid.id
    twice = client.post(f"/patrols/findings/{finding.id}/need", data={"category": "safety"})
    assert twice.status_code == 422 and "已经处理过" in twice.get_data(as_text=True)
    month = shift.day.strftime("%Y-%m")
    log = client.get(f"/patrols/log?grid={w.grid.id}&month={month}").get_data(as_text=True)
    assert "巡逻员0" in log and "3号楼消防通道堵塞" in log and finding.order_ref in log
    assert client.get("/patrols/log?month=2026-13").status_code == 404


def test_stopping_shifts_calls_off_the_empty_ones_and_keeps_the_held(
    client: FlaskClient, make: Any
) -> None:
    w = World(make)
    now = utcnow()
    schedule = operations.add_schedule(
        w.route,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        starts="19:00",
        ends="21:00",
        places_needed=2,
        by=w.leader,
        now=now,
    )
    db.session.commit()
    shifts = db.session.scalars(
        select(PatrolShift)
        .where(PatrolShift.schedule_id == schedule.id)
        .order_by(PatrolShift.starts_at)
    ).all()
    held = shifts[-1]
    operations.sign_up(held, by=w.patrollers[0], via="app", now=now, today=today_of(now))
    db.session.commit()
    sign_in(client, w.leader.phone)
    assert "停止这些班次" in client.get("/patrols/manage").get_data(as_text=True)
    stopped = client.post(f"/patrols/schedules/{schedule.id}/end")
    assert stopped.status_code == 302
    db.session.expire_all()
    left = db.session.scalars(
        select(PatrolShift).where(
            PatrolShift.schedule_id == schedule.id, PatrolShift.cancelled_at.is_(None)
        )
    ).all()
    assert [s.id for s in left] == [held.id]
    again = client.post(f"/patrols/schedules/{schedule.id}/end")
    assert again.status_code == 422 and "已经停止" in again.get_data(as_text=True)
    # A stopped schedule makes no more shifts.
    assert operations.make_shifts(now + timedelta(days=20)) == 0
    # The patroller no longer sees the called-off shifts.
    client.post("/sign-out")
    sign_in(client, w.patrollers[1].phone)
    shown = queries.upcoming_for(w.patrollers[1], today_of(now), now, days=20)
    assert [s.id for s in shown] == [held.id]
