"""Patrols and meetings count in an in-service member's service record: a kept patrol shift
by its window, an attended meeting by its length; shifts not kept and meetings missed do not."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from models import MeetingInvitee, MeetingKind, PatrolShift, db
from models.clock import at
from pwa import features
from services.errors import InvalidInput
from services.meetings import attendance
from services.meetings import operations as meetings
from services.meetings.operations import Invitees
from services.patrols import operations as patrols
from services.report_in import queries, records
from services.report_in.quarters import Quarter
from services.work_orders.audiences import Audience
from tests.report_in.conftest import World
from tests.support import sign_in

QUARTER = Quarter(date(2026, 7, 1))
# A Tuesday in the quarter: the schedule below runs on Tuesdays.
DAY = date(2026, 8, 4)
BEFORE = at(DAY - timedelta(days=2), time(9, 0))


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    return at(day, time(hour, minute))


def _patrols(world: World, kept: Any, dropped: Any, idle: Any) -> PatrolShift:
    """A Tuesday evening shift 19:00–21:30 on a route open to the unit's members: one kept it,
    one signed up and withdrew, one signed up and never started."""
    route = patrols.add_route(
        world.grid,
        name="滨河路段",
        covers="3号楼至河堤",
        partner_unit_ids=[world.unit.id],
        by=world.secretary,
        now=BEFORE,
    )
    patrols.add_schedule(
        route,
        weekdays=["2"],
        starts="19:00",
        ends="21:30",
        places_needed=5,
        by=world.secretary,
        now=BEFORE,
    )
    shift = db.session.scalars(select(PatrolShift).where(PatrolShift.day == DAY)).one()
    signed = {}
    for person in (kept, dropped, idle):
        result = patrols.sign_up(shift, by=person, via="sms", now=BEFORE, today=BEFORE.date())
        assert result.signup is not None
        signed[person.id] = result.signup
    patrols.withdraw(shift, by=dropped, via="sms", now=BEFORE)
    patrols.start(signed[kept.id], via="sms", now=_moment(DAY, 19, 5))
    patrols.finish(signed[kept.id], via="sms", now=_moment(DAY, 21, 30), report="正常")
    db.session.commit()
    return shift


def _meeting(world: World, present: Any, absent: Any) -> Any:
    """A two-hour joint meeting both members were invited to; one came."""
    meeting = meetings.call_meeting(
        world.community,
        kind=MeetingKind.JOINT,
        title="共建单位联席会",
        starts_at=_moment(DAY, 14, 30),
        duration_minutes=120,
        place="社区二楼会议室",
        invitees=Invitees(audience=Audience(people=(present.id, absent.id))),
        by=world.secretary,
        now=BEFORE,
        today=BEFORE.date(),
    )
    rows = {r.person_id: r for r in meeting.invitees}
    attendance.mark(
        meeting, rows[present.id], present=True, by=world.secretary, now=_moment(DAY, 14, 40)
    )
    attendance.mark(
        meeting, rows[absent.id], present=False, by=world.secretary, now=_moment(DAY, 14, 40)
    )
    db.session.commit()
    return meeting


def test_a_kept_patrol_shift_and_an_attended_meeting_count_with_their_hours(
    client: FlaskClient, world: World, make: Any
) -> None:
    features.install_messages()
    a = make.person(name="张三", partner_unit_id=world.unit.id)
    b = make.person(name="李四", partner_unit_id=world.unit.id)
    c = make.person(name="赵六", partner_unit_id=world.unit.id)
    shift = _patrols(world, kept=a, dropped=b, idle=c)
    meeting = _meeting(world, present=a, absent=b)

    service = queries.unit_service(world.unit, QUARTER)
    by_name = {m.person.name: m for m in service.members}
    assert [(r.kind, r.ref, r.title, r.hours) for r in by_name["张三"].records] == [
        ("meeting", meeting.ref, "共建单位联席会", 2.0),
        ("patrol", shift.ref, "滨河路段", 2.5),
    ]
    assert by_name["张三"].hours == 4.5
    assert by_name["李四"].records == [] and by_name["赵六"].records == []
    assert (service.times, service.hours, service.serving) == (2, 4.5, 1)
    # The next quarter holds neither.
    assert queries.unit_service(world.unit, QUARTER.next).times == 0

    # The unit's page and its .xlsx name them in Chinese.
    sign_in(client, world.secretary.phone)
    page = client.get(f"/report-in/units/{world.unit.id}?quarter=2026-3").get_data(as_text=True)
    assert "巡逻" in page and "会议" in page and "4.5" in page
    assert "patrol" not in page and ">meeting<" not in page
    book = load_workbook(
        io.BytesIO(client.get(f"/report-in/units/{world.unit.id}/report.xlsx?quarter=2026-3").data)
    )
    rows = [list(r) for r in book["服务记录"].iter_rows(values_only=True)][1:]
    assert ["张三", "2026-08-04", "会议", meeting.ref, "共建单位联席会", 2] in rows
    assert ["张三", "2026-08-04", "巡逻班次", shift.ref, "滨河路段", 2.5] in rows


@pytest.mark.parametrize("wrong", [0, 45, 600])
def test_a_meetings_length_is_one_the_form_offers(world: World, make: Any, wrong: int) -> None:
    a = make.person(name="张三", partner_unit_id=world.unit.id)
    with pytest.raises(InvalidInput, match="会议时长"):
        meetings.call_meeting(
            world.community,
            kind=MeetingKind.JOINT,
            title="联席会",
            starts_at=_moment(DAY, 14, 30),
            duration_minutes=wrong,
            place="社区",
            invitees=Invitees(audience=Audience(people=(a.id,))),
            by=world.secretary,
            now=BEFORE,
            today=BEFORE.date(),
        )
    assert db.session.scalar(select(MeetingInvitee)) is None


def test_every_source_is_registered_once(world: World) -> None:
    features.install_messages()
    features.install_messages()
    names = [s.__name__ for s in records.SOURCES]
    assert sorted(names) == sorted(
        ["work_orders_done", "wishes_fulfilled", "shifts_kept", "meetings_attended"]
    )
    assert str(records.kind_label("patrol")) and records.kind_label("meeting") != "meeting"
