"""Meetings: calling one (and refusing bad input), answers "1"/"2" by SMS and Telegram from
people, residents and partner units' contacts, attendance at the door with walk-ins, minutes,
suggestions made needs or work orders, the reminders, and the events the ledger reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models import (
    Delivery,
    Meeting,
    MeetingEvent,
    MeetingInvitee,
    Need,
    NeedSource,
    PartnerUnit,
    TelegramLink,
    WorkOrder,
    db,
)
from models.clock import ZONE
from models.meetings import MeetingKind, Reply
from services.errors import DomainError, InvalidInput
from services.meetings import attendance, minutes, queries, reminders
from services.meetings import operations as meetings
from services.meetings.operations import Invitees
from services.work_orders.audiences import Audience
from tests.work_orders.test_work_orders import sms

pytestmark = pytest.mark.usefixtures("english")

# 10:00 in Shanghai: outside quiet hours.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZONE)
TODAY = date(2026, 11, 25)
STARTS = datetime(2026, 11, 28, 14, 30, tzinfo=ZONE)


class World:
    def __init__(self, make: Any) -> None:
        self.make = make
        self.community = make.community()
        self.grid1 = make.grid(self.community)
        self.grid2 = make.grid(self.community)
        self.secretary = make.person(name="书记")
        make.post(self.secretary, "secretary", community=self.community)
        self.leader1 = make.person(name="网格长一")
        make.post(self.leader1, "grid_leader", community=self.community, grid=self.grid1)
        self.leader2 = make.person(name="网格长二")
        make.post(self.leader2, "grid_leader", community=self.community, grid=self.grid2)
        self.patroller = make.person(name="巡逻员")
        make.post(self.patroller, "patroller", community=self.community, grid=self.grid1)
        building = make.building(self.grid1, name="3号楼")
        self.household = make.household(building, unit="2", room="501")
        self.resident = make.resident(
            self.household, name="王奶奶", phone=make.phone(), sms_consent=True
        )
        other = make.building(self.grid2, name="8号楼")
        self.far_resident = make.resident(make.household(other), name="李大爷", phone=make.phone())
        self.unit = PartnerUnit(
            community_id=self.community.id,
            name="区供电局",
            contact_name="李工",
            contact_phone=make.phone(),
        )
        db.session.add(self.unit)
        db.session.commit()

    def call(self, **kw: Any) -> Meeting:
        kw.setdefault("kind", MeetingKind.REGULAR)
        kw.setdefault("title", "一网格11月例会")
        kw.setdefault("starts_at", STARTS)
        kw.setdefault("place", "社区二楼会议室")
        kw.setdefault("agenda", "走访情况；冬季防火")
        kw.setdefault(
            "invitees",
            Invitees(
                audience=Audience(grids=(self.grid1.id,)),
                partner_units=(self.unit.id,),
                residents=(self.resident.id,),
            ),
        )
        kw.setdefault("by", self.secretary)
        kw.setdefault("now", NOW)
        kw.setdefault("today", TODAY)
        meeting = meetings.call_meeting(self.community, **kw)
        db.session.commit()
        return meeting

    def invitee(self, meeting: Meeting, **where: Any) -> MeetingInvitee:
        found = db.session.scalar(select(MeetingInvitee).filter_by(meeting_id=meeting.id, **where))
        assert found is not None
        return found


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def _deliveries(kind: str) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == kind)))


def _actions(meeting: Meeting) -> list[str]:
    return [e.action for e in queries.history(meeting)]


def test_calling_invites_posts_units_and_residents_once_each(world: World) -> None:
    invitees = Invitees(
        audience=Audience(grids=(world.grid1.id,)),
        partner_units=(world.unit.id,),
        residents=(world.resident.id,),
    )
    found = meetings.invited(world.community, None, invitees, TODAY)
    assert found.count == 4  # grid 1's leader and patroller, the unit's contact, the resident
    meeting = world.call(invitees=invitees)
    assert meeting.ref == f"H{meeting.id}"
    sent = _deliveries("meeting_invite")
    assert len(sent) == 4
    assert {d.person_id for d in sent if d.person_id} == {world.leader1.id, world.patroller.id}
    assert {d.address for d in sent} >= {world.unit.contact_phone, world.resident.phone}
    body = sent[0].params
    assert body["title"] == "一网格11月例会" and body["when"] == "11-28 14:30"
    assert sent[0].params["_actions"] == [["1 参加 Attend", "1"], ["2 请假 Excused", "2"]]
    assert len(meeting.invitees) == 4
    unit_row = world.invitee(meeting, partner_unit_id=world.unit.id)
    assert unit_row.name == "区供电局（李工）" and unit_row.phone == world.unit.contact_phone
    assert _actions(meeting) == ["called"]
    # A resident who is also the account of a person picked by post is invited once.
    world.resident.person_id = world.patroller.id
    db.session.commit()
    again = meetings.invited(world.community, None, invitees, TODAY)
    assert again.count == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "  "}, "Enter a title"),
        ({"place": ""}, "Enter the place"),
        ({"title": "长" * 101}, "too long"),
        ({"kind": "party"}, "kind of meeting"),
        ({"starts_at": NOW - timedelta(hours=1)}, "later than now"),
        ({"invitees": Invitees()}, "Choose whom to invite"),
        ({"invitees": Invitees(audience=Audience(roles=("mediator",)))}, "Nobody serves"),
        ({"invitees": Invitees(residents=(999999,))}, "not in your area"),
        ({"invitees": Invitees(partner_units=(999999,))}, "not in this community"),
        ({"invitees": Invitees(audience=Audience(roles=("astronaut",)))}, "Unknown post"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_kept(
    world: World, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        world.call(**change)
    db.session.rollback()
    assert db.session.scalar(select(Meeting)) is None
    assert not _deliveries("meeting_invite")


def test_a_grid_leader_invites_within_their_grid_only(world: World) -> None:
    grid1 = world.grid1
    with pytest.raises(InvalidInput, match="not in your area"):
        world.call(
            by=world.leader1, grid=grid1, invitees=Invitees(residents=(world.far_resident.id,))
        )
    db.session.rollback()
    with pytest.raises(InvalidInput, match="quarterly"):
        world.call(by=world.leader1, grid=grid1, kind=MeetingKind.QUARTERLY)
    db.session.rollback()
    meeting = world.call(
        by=world.leader1, grid=grid1, invitees=Invitees(audience=Audience(roles=("patroller",)))
    )
    assert [i.person_id for i in meeting.invitees] == [world.patroller.id]
    assert meeting.grid_id == grid1.id


def test_a_unit_without_a_contact_phone_is_refused_by_name(world: World) -> None:
    world.unit.contact_phone = None
    db.session.commit()
    with pytest.raises(InvalidInput, match="区供电局 has no contact phone"):
        world.call()


def test_answers_by_sms_from_a_person_a_resident_and_a_units_contact(world: World) -> None:
    meeting = world.call()
    # Texts are answered in Chinese (the sender's language; strangers' is Chinese).
    assert sms(world.patroller.phone, "1").startswith("已记录：您将参加一网格11月例会")
    assert "已记录您请假" in sms(world.resident.phone, "２")  # a full-width digit
    assert "回复1参加，回复2请假" in sms(world.unit.contact_phone, "5")
    assert "您将参加" in sms(world.unit.contact_phone, "1")
    db.session.expire_all()
    assert world.invitee(meeting, person_id=world.patroller.id).reply == Reply.ATTEND
    resident_row = world.invitee(meeting, resident_id=world.resident.id)
    assert resident_row.reply == Reply.EXCUSED and resident_row.replied_via == "sms"
    assert world.invitee(meeting, partner_unit_id=world.unit.id).reply == Reply.ATTEND
    # Changing one's mind: the later answer wins; each answer is an event.
    sms(world.patroller.phone, "2")
    db.session.expire_all()
    assert world.invitee(meeting, person_id=world.patroller.id).reply == Reply.EXCUSED
    assert _actions(meeting).count("replied") == 4
    tally = queries.tally(db.session.get(Meeting, meeting.id))
    assert (tally.invited, tally.attend, tally.excused, tally.unanswered) == (4, 1, 2, 1)
    # Once the meeting has begun, a "1" answers nothing: the unknown-text answer.
    later = STARTS + timedelta(minutes=5)
    assert "没有看懂" in sms(world.leader1.phone, "1", now=later)


def test_the_latest_question_gets_the_number(world: World) -> None:
    first = world.call()
    second = world.call(title="季度网格长例会", now=NOW + timedelta(hours=1))
    sms(world.patroller.phone, "1", now=NOW + timedelta(hours=2))
    db.session.expire_all()
    assert world.invitee(second, person_id=world.patroller.id).reply == Reply.ATTEND
    assert world.invitee(first, person_id=world.patroller.id).reply == Reply.NONE


def test_answer_by_telegram_button(world: World) -> None:
    from pwa import telegram_bot

    meeting = world.call()
    db.session.add(TelegramLink(person_id=world.leader1.id, chat_id=6661, linked_at=NOW))
    db.session.commit()
    update = {
        "update_id": 8001,
        "callback_query": {
            "id": "cb1",
            "from": {"id": 6661},
            "message": {"message_id": 1, "chat": {"id": 6661, "type": "private"}},
            "data": "2",
        },
    }
    answer = telegram_bot.handle(update, 8001, now=NOW)
    db.session.commit()
    assert answer is not None and "请假" in (answer.text or "")
    row = world.invitee(meeting, person_id=world.leader1.id)
    assert row.reply == Reply.EXCUSED and row.replied_via == "telegram"


def test_attendance_at_the_door_with_a_walk_in(world: World) -> None:
    meeting = world.call()
    patroller = world.invitee(meeting, person_id=world.patroller.id)
    with pytest.raises(DomainError, match="day of the meeting"):
        attendance.mark(meeting, patroller, present=True, by=world.secretary, now=NOW)
    db.session.rollback()
    door = STARTS - timedelta(minutes=10)
    attendance.mark(meeting, patroller, present=True, by=world.secretary, now=door)
    leader = world.invitee(meeting, person_id=world.leader1.id)
    attendance.mark(meeting, leader, present=False, by=world.secretary, now=door)
    attendance.mark(meeting, leader, present=True, by=world.secretary, now=door)  # corrected
    walked = attendance.walk_in(meeting, resident=world.far_resident, by=world.secretary, now=door)
    typed = attendance.walk_in(meeting, name="张阿姨", by=world.secretary, now=door)
    # An invited resident "walking in" is simply marked present, not added twice.
    same = attendance.walk_in(meeting, resident=world.resident, by=world.secretary, now=door)
    db.session.commit()
    assert walked.walk_in and walked.present and typed.name == "张阿姨"
    assert same.id == world.invitee(meeting, resident_id=world.resident.id).id and same.present
    with pytest.raises(InvalidInput, match="Enter the name"):
        attendance.walk_in(meeting, name="  ", by=world.secretary, now=door)
    db.session.rollback()
    tally = queries.tally(db.session.get(Meeting, meeting.id))
    assert (tally.present, tally.absent, tally.walk_ins) == (5, 0, 2)
    assert _actions(meeting).count("walk_in") == 2
    assert _actions(meeting).count("attended") == 3 and "absent" in _actions(meeting)


def test_minutes_and_suggestions_to_a_need_and_a_work_order(world: World) -> None:
    meeting = world.call(
        by=world.leader1, grid=world.grid1, invitees=Invitees(residents=(world.resident.id,))
    )
    after = STARTS + timedelta(hours=1)
    with pytest.raises(DomainError, match="once the meeting has begun"):
        minutes.save_minutes(meeting, minutes="x", decisions="", by=world.leader1, now=NOW)
    db.session.rollback()
    with pytest.raises(InvalidInput, match="Enter the minutes"):
        minutes.save_minutes(meeting, minutes=" ", decisions="", by=world.leader1, now=after)
    db.session.rollback()
    minutes.save_minutes(
        meeting, minutes="通报走访情况", decisions="12月10日前清理楼道", by=world.leader1, now=after
    )
    lamp = minutes.add_suggestion(
        meeting, text="3号楼楼道灯坏了", resident=world.resident, by=world.leader1, now=after
    )
    talk = minutes.add_suggestion(meeting, text="办一次防诈骗讲座", by=world.leader1, now=after)
    need = minutes.to_need(talk, category="other", by=world.leader1, now=after)
    db.session.commit()
    assert need.source == NeedSource.MEETING and need.grid_id == world.grid1.id
    assert talk.need_id == need.id
    with pytest.raises(DomainError, match="already on the needs list"):
        minutes.to_need(talk, category="other", by=world.leader1, now=after)
    db.session.rollback()
    ref = minutes.to_work_order(lamp, category="repairs", by=world.leader1, now=after, today=TODAY)
    db.session.commit()
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.id == int(ref[1:])))
    assert order is not None and order.grid_id == world.grid1.id and order.need_id == lamp.need_id
    lamp_need = db.session.get(Need, lamp.need_id)
    assert lamp_need is not None and lamp_need.converted_ref == ref
    assert lamp_need.resident_id == world.resident.id and lamp_need.category == "repairs"
    assert lamp.work_order_ref == ref
    actions = _actions(meeting)
    assert actions[-5:] == ["suggestion", "suggestion", "to_need", "to_need", "to_work_order"]


def test_a_community_suggestion_with_no_grid_says_where_to_decide_it(world: World) -> None:
    meeting = world.call()
    after = STARTS + timedelta(hours=1)
    said = minutes.add_suggestion(meeting, text="多办文艺活动", by=world.secretary, now=after)
    db.session.commit()
    with pytest.raises(DomainError, match="belongs to no grid"):
        minutes.to_work_order(said, category="other", by=world.secretary, now=after, today=TODAY)
    db.session.rollback()
    assert said.need_id is None and db.session.scalar(select(Need)) is None


def test_the_day_before_those_attending_are_reminded_once(world: World) -> None:
    meeting = world.call()
    sms(world.patroller.phone, "1")
    sms(world.unit.contact_phone, "1")
    sms(world.resident.phone, "2")
    too_early = datetime(2026, 11, 26, 10, 0, tzinfo=ZONE)
    assert reminders.run(too_early).reminded == 0
    morning_before = datetime(2026, 11, 27, 9, 25, tzinfo=ZONE)
    assert reminders.run(morning_before).reminded == 0  # answers may still come in
    day_before = datetime(2026, 11, 27, 17, 25, tzinfo=ZONE)
    assert reminders.run(day_before).reminded == 1
    db.session.commit()
    sent = _deliveries("meeting_reminder")
    assert {d.person_id for d in sent} == {world.patroller.id, None}
    assert {d.address for d in sent if d.person_id is None} == {world.unit.contact_phone}
    assert reminders.run(day_before + timedelta(hours=1)).reminded == 0
    db.session.commit()
    assert len(_deliveries("meeting_reminder")) == 2
    assert "reminded" in _actions(meeting)


def test_the_quarterly_meeting_is_announced_ahead_to_all_not_excused(world: World) -> None:
    starts = datetime(2026, 12, 18, 9, 0, tzinfo=ZONE)
    meeting = world.call(
        kind=MeetingKind.QUARTERLY,
        title="第四季度网格长例会",
        starts_at=starts,
        invitees=Invitees(audience=Audience(roles=("grid_leader",))),
    )
    sms(world.leader2.phone, "2")
    assert reminders.notice_quarterly(starts - timedelta(days=8)) == 0
    assert reminders.notice_quarterly(starts - timedelta(days=7)) == 1
    db.session.commit()
    sent = _deliveries("meeting_quarterly_ahead")
    assert [d.person_id for d in sent] == [world.leader1.id]
    assert reminders.notice_quarterly(starts - timedelta(days=6)) == 0
    assert "noticed" in _actions(meeting)
    # With a quarterly meeting called, nobody is told the quarter has none.
    assert reminders.flag_unscheduled(datetime(2026, 12, 1, 9, 0, tzinfo=ZONE)) == 0


def test_a_quarter_without_its_meeting_is_told_to_the_secretary_once(world: World) -> None:
    assert reminders.quarter_of(date(2026, 11, 25))[2] == "2026Q4"
    assert reminders.quarter_of(date(2026, 12, 31))[1] == date(2027, 1, 1)
    assert reminders.quarter_of(date(2027, 2, 1))[:2] == (date(2027, 1, 1), date(2027, 4, 1))
    assert reminders.flag_unscheduled(datetime(2026, 11, 30, 9, 0, tzinfo=ZONE)) == 0
    first_of_december = datetime(2026, 12, 1, 9, 25, tzinfo=ZONE)
    assert reminders.flag_unscheduled(first_of_december) == 1
    db.session.commit()
    sent = _deliveries("meeting_quarter_unscheduled")
    assert [d.person_id for d in sent] == [world.secretary.id]
    assert sent[0].params == {"quarter": "2026年第4季度", "deadline": "12-31"}
    assert reminders.flag_unscheduled(first_of_december + timedelta(hours=1)) == 0
    # A regular meeting does not count as the quarterly one.
    world.call(starts_at=datetime(2026, 12, 20, 9, 0, tzinfo=ZONE), now=first_of_december)
    assert reminders.flag_unscheduled(datetime(2027, 3, 1, 9, 0, tzinfo=ZONE)) == 1


def test_the_ledger_reads_a_periods_events_by_community_and_grid(world: World) -> None:
    community_wide = world.call()
    grid2 = world.call(
        by=world.leader2,
        grid=world.grid2,
        invitees=Invitees(audience=Audience(grids=(), roles=("grid_leader",))),
    )
    sms(world.patroller.phone, "1")
    events = queries.events_in(world.community.id, NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert [e.action for e in events] == ["called", "called", "replied"]
    assert {e.meeting_id for e in events} == {community_wide.id, grid2.id}
    in_grid2 = queries.events_in(
        world.community.id, NOW - timedelta(days=1), NOW + timedelta(days=1), world.grid2.id
    )
    assert [(e.action, e.meeting_id) for e in in_grid2] == [("called", grid2.id)]
    replied = next(e for e in events if e.action == "replied")
    assert replied.via == "sms" and replied.invitee_id is not None
    assert db.session.scalar(select(MeetingEvent).where(MeetingEvent.action == "nothing")) is None
