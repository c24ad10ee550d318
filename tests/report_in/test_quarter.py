"""A unit's quarter: members' hours from the work orders and micro-wishes they did, the .xlsx
report, the one-SMS summary to the liaison (job and button), the unit's feedback and the
community's evaluation."""

from __future__ import annotations

import io
from datetime import date, time, timedelta
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from models import (
    Delivery,
    OrderStatus,
    UnitQuarter,
    Wish,
    WishStatus,
    WorkOrder,
    WorkOrderClaim,
    clock,
    db,
    utcnow,
)
from models.clock import at
from notify import templates
from services import phones
from services.report_in import operations, queries
from services.report_in.quarters import Quarter
from tasks import report_in as report_in_jobs
from tests.report_in.conftest import LIAISON, World, text
from tests.support import sign_in

QUARTER = Quarter(date(2026, 7, 1))


def _order(world: World, day: date, start: int, end: int, **kw: Any) -> WorkOrder:
    order = WorkOrder(
        community_id=world.community.id,
        title=kw.pop("title", "楼道清理"),
        starts_at=at(day, time(start, 0)),
        ends_at=at(day, time(end, 0)),
        places_needed=3,
        status=kw.pop("status", OrderStatus.VERIFIED),
        created_by_id=world.secretary.id,
    )
    db.session.add(order)
    db.session.flush()
    return order


def _claim(order: WorkOrder, person: Any, **kw: Any) -> WorkOrderClaim:
    claim = WorkOrderClaim(order_id=order.id, person_id=person.id, **kw)
    db.session.add(claim)
    db.session.flush()
    return claim


def _members(world: World, make: Any) -> tuple[Any, Any, Any]:
    a = make.person(name="张三", partner_unit_id=world.unit.id)
    b = make.person(name="李四", partner_unit_id=world.unit.id)
    outsider = make.person(name="王五")
    return a, b, outsider


def test_hours_come_from_completed_claims_and_fulfilled_wishes(world: World, make: Any) -> None:
    a, b, outsider = _members(world, make)
    day = date(2026, 8, 8)
    # Done, no start reported: the order's window (09:00–12:00) counts, 3 hours.
    cleanup = _order(world, day, 9, 12)
    _claim(cleanup, a, done_at=at(day, time(12, 0)))
    # Started and done reported: their span, 1.5 hours.
    patrol = _order(world, day + timedelta(days=1), 19, 23, title="夜间巡逻")
    _claim(
        patrol,
        b,
        started_at=at(day + timedelta(days=1), time(19, 30)),
        done_at=at(day + timedelta(days=1), time(21, 0)),
    )
    # Not counted: a claim not reported done, a withdrawn one, a cancelled order, someone
    # outside the unit, and work done in the next quarter.
    _claim(_order(world, day, 9, 10), b)
    _claim(
        _order(world, day, 9, 10, title="撤回的"),
        a,
        done_at=at(day, time(10, 0)),
        withdrawn_at=at(day, time(9, 0)),
    )
    _claim(
        _order(world, day, 9, 10, status=OrderStatus.CANCELLED),
        a,
        done_at=at(day, time(10, 0)),
    )
    _claim(cleanup, outsider, done_at=at(day, time(12, 0)))
    later = date(2026, 10, 2)
    _claim(_order(world, later, 9, 12), a, done_at=at(later, time(12, 0)))
    wish = Wish(
        community_id=world.community.id,
        grid_id=world.grid.id,
        building_id=world.building.id,
        resident_id=world.resident.id,
        category="other",
        text="帮忙换灯泡",
        via="head",
        status=WishStatus.CONFIRMED,
        claimer_id=a.id,
        fulfilled_at=at(day, time(15, 0)),
    )
    db.session.add(wish)
    db.session.commit()

    service = queries.unit_service(world.unit, QUARTER)
    by_name = {m.person.name: m for m in service.members}
    assert by_name["张三"].hours == 4.0 and by_name["李四"].hours == 1.5
    assert [(r.kind, r.ref, r.hours) for r in by_name["张三"].records] == [
        ("work_order", cleanup.ref, 3.0),
        ("wish", wish.ref, 1.0),
    ]
    assert (service.times, service.hours, service.serving) == (3, 5.5, 2)
    assert "王五" not in by_name


def test_xlsx_report_lists_members_records_and_the_quarter(
    client: FlaskClient, world: World, make: Any
) -> None:
    a, _b, _outsider = _members(world, make)
    day = date(2026, 8, 8)
    order = _order(world, day, 9, 12)
    _claim(order, a, done_at=at(day, time(12, 0)))
    operations.evaluate(world.unit, QUARTER, 4, '=HYPERLINK("x")', by=world.secretary, now=utcnow())
    db.session.commit()
    sign_in(client, world.secretary.phone)
    response = client.get(f"/report-in/units/{world.unit.id}/report.xlsx?quarter=2026-3")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["在职党员", "服务记录", "汇总"]
    members = [list(r) for r in book["在职党员"].iter_rows(values_only=True)]
    assert members[0] == ["姓名", "手机号码", "服务次数", "时长（小时）"]
    assert ["张三", phones.mask(a.phone), 1, 3] in members
    assert any(row[0] == "李四" and row[3] == 0 for row in members[1:])
    records = [list(r) for r in book["服务记录"].iter_rows(values_only=True)]
    assert records[1] == ["张三", "2026-08-08", "任务", order.ref, "楼道清理", 3]
    summary = dict(book["汇总"].iter_rows(values_only=True))
    assert summary["季度"] == "2026年第3季度" and summary["时长（小时）"] == 3
    assert summary["评分（1–5）"] == 4
    # A comment shaped like a formula stays text.
    assert summary["社区评语"] == '=HYPERLINK("x")'
    assert book["汇总"]["B9"].data_type == "s"


def test_the_summary_goes_once_by_the_job_and_again_by_the_button(
    client: FlaskClient, world: World, make: Any, monkeypatch: Any
) -> None:
    a, _b, _outsider = _members(world, make)
    # The job sends the quarter before today's: 2026 Q3 when "today" is in Q4.
    monkeypatch.setattr(report_in_jobs, "today", lambda: date(2026, 10, 1))
    day = date(2026, 8, 8)
    _claim(_order(world, day, 9, 12), a, done_at=at(day, time(12, 0)))
    db.session.commit()
    assert report_in_jobs.send_summaries() == 1
    assert report_in_jobs.send_summaries() == 0  # sent already: nothing again
    db.session.expire_all()
    [sent] = db.session.scalars(
        select(Delivery).where(Delivery.kind == "report_in_quarter_summary")
    )
    assert sent.address == LIAISON
    body = templates.render(sent.kind, "zh", sent.params)
    assert body == "区供电局2026年3季度：在职党员2人服务1次共3小时。回复“反馈 意见”评价。"
    assert len(world.community.sms_signature + body) <= 70
    # A very long unit name is cut so the summary stays one SMS.
    world.unit.name = "某某市某某区某某街道某某单位某某分公司第三党支部联合委员会"
    db.session.commit()
    sign_in(client, world.secretary.phone)
    again = client.post(f"/report-in/units/{world.unit.id}/summary?quarter=2026-3")
    assert again.status_code == 302
    db.session.expire_all()
    second = db.session.scalars(
        select(Delivery).where(Delivery.kind == "report_in_quarter_summary").order_by(Delivery.id)
    ).all()[-1]
    assert (
        len(world.community.sms_signature + templates.render(second.kind, "zh", second.params))
        <= 70
    )
    # A unit without a liaison's phone is told so, and nothing is sent.
    refused = client.post(f"/report-in/units/{world.other_unit.id}/summary?quarter=2026-3")
    assert refused.status_code == 422 and "没有联络人电话" in refused.get_data(as_text=True)


def test_feedback_by_sms_and_page_and_the_evaluation_show_on_the_units_page(
    client: FlaskClient, world: World, make: Any
) -> None:
    assert "请在“反馈”后写上意见" in text(LIAISON, "反馈")
    assert "已收到区供电局对" in text(LIAISON, "反馈 服务及时，希望多安排周末活动")
    previous = Quarter.of(clock.today()).previous
    row = db.session.scalar(select(UnitQuarter))
    assert (
        row is not None
        and row.feedback == "服务及时，希望多安排周末活动"
        and row.feedback_via == "sms"
    )
    assert row.quarter == previous.first
    # Someone who is no unit's liaison: not this command (answered as not understood).
    assert "已收到" not in text(make.phone(), "反馈 很好")

    sign_in(client, world.secretary.phone)
    url = f"/report-in/units/{world.unit.id}?quarter={Quarter(row.quarter).code}"
    bad = client.post(
        f"/report-in/units/{world.unit.id}/evaluate?quarter={Quarter(row.quarter).code}",
        data={"score": "6", "comment": "很好"},
    )
    assert bad.status_code == 422 and "请给出1到5分" in bad.get_data(as_text=True)
    ok = client.post(
        f"/report-in/units/{world.unit.id}/evaluate?quarter={Quarter(row.quarter).code}",
        data={"score": "5", "comment": "党员参与积极"},
    )
    assert ok.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "服务及时，希望多安排周末活动" in page and "党员参与积极" in page and "5分" in page

    client.post("/sign-out")
    sign_in(client, LIAISON)
    refused = client.post("/my/unit/feedback", data={"text": " "})
    assert refused.status_code == 422
    assert client.post("/my/unit/feedback", data={"text": "下季度可增派人手"}).status_code == 302
    liaison_page = client.get("/my/unit").get_data(as_text=True)
    assert "下季度可增派人手" in liaison_page
