"""Patrols: schedules make dated shifts, sign-up like a claim (outside members too), patrols
by SMS (through the fake Twilio) and Telegram, findings taken up, the flag, the month's log."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    Delivery,
    Need,
    PartnerUnit,
    PatrolEvent,
    PatrolFinding,
    PatrolShift,
    TelegramLink,
    WorkOrder,
    db,
    utcnow,
)
from models.clock import ZONE, at, today_of
from notify import inbound
from services.errors import DomainError, InvalidInput
from services.patrols import flagging, operations, queries
from services.patrols.operations import SignUpOutcome
from tests.needs.test_referrals import FROM, PUBLIC, twilio  # noqa: F401
from tests.support import run_jobs

# Monday 2026-11-23, 10:00 in Shanghai.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)
TODAY = date(2026, 11, 23)
_ids = itertools.count(1)


class World:
    def __init__(self, make: Any) -> None:
        self.make = make
        self.community = make.community()
        self.community.quiet_from = self.community.quiet_until = time(0, 0)
        self.grid = make.grid(self.community)
        self.grid2 = make.grid(self.community)
        self.leader = make.person(name="网格长")
        make.post(self.leader, "grid_leader", community=self.community, grid=self.grid)
        self.patrollers = []
        for i in range(3):
            p = make.person(name=f"巡逻员{i}")
            make.post(p, "patroller", community=self.community, grid=self.grid)
            self.patrollers.append(p)
        self.other = make.person(name="二网格巡逻员")
        make.post(self.other, "patroller", community=self.community, grid=self.grid2)
        self.police = PartnerUnit(community_id=self.community.id, name="城东派出所")
        db.session.add(self.police)
        db.session.commit()
        self.officer = make.person(name="李警官", partner_unit_id=self.police.id)
        self.route = operations.add_route(
            self.grid,
            name="小区夜巡",
            covers="1-6号楼、东门、地下车库",
            partner_unit_ids=[self.police.id],
            by=self.leader,
            now=NOW,
        )
        db.session.commit()

    def shift(self, starts_at: datetime, places: int = 2) -> PatrolShift:
        """A shift at a given moment (the SMS tests run at the real time)."""
        schedule = operations.add_schedule(
            self.route,
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            starts="19:00",
            ends="21:00",
            places_needed=places,
            by=self.leader,
            now=starts_at + timedelta(days=30),  # makes no shift of its own here
        )
        shift = PatrolShift(
            schedule_id=schedule.id,
            route_id=self.route.id,
            community_id=self.community.id,
            grid_id=self.grid.id,
            day=today_of(starts_at),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            places_needed=places,
            places_taken=0,
        )
        db.session.add(shift)
        db.session.commit()
        return shift


@pytest.fixture
def w(make: Any) -> World:
    return World(make)


def sms(phone: str, text: str, now: datetime) -> str:
    handled = inbound.handle(
        channel="sms",
        provider_id=f"SMP{next(_ids)}",
        address=phone,
        phone=phone,
        text=text,
        now=now,
    )
    db.session.commit()
    return handled.reply or ""


def test_a_schedule_makes_dated_shifts_in_local_time(w: World) -> None:
    schedule = operations.add_schedule(
        w.route,
        weekdays=["1", "3", "5"],
        starts="19:00",
        ends="21：00",
        places_needed="2",
        by=w.leader,
        now=NOW,
    )
    db.session.commit()
    shifts = db.session.scalars(
        select(PatrolShift).where(PatrolShift.schedule_id == schedule.id).order_by(PatrolShift.day)
    ).all()
    assert [s.day.isoweekday() for s in shifts[:3]] == [1, 3, 5]
    assert shifts[0].day == TODAY and shifts[0].starts_at == at(TODAY, time(19))
    assert len(shifts) == 6  # 14 days ahead, three a week
    assert operations.schedule_text(schedule) == "每周一三五 19:00-21:00"
    assert operations.make_shifts(NOW) == 0  # a repeat makes nothing
    # A window passing midnight.
    night = operations.add_schedule(
        w.route, weekdays=[6], starts="22:00", ends="02:00", places_needed=1, by=w.leader, now=NOW
    )
    first = db.session.scalars(
        select(PatrolShift).where(PatrolShift.schedule_id == night.id)
    ).first()
    assert first is not None and first.ends_at - first.starts_at == timedelta(hours=4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weekdays": []}, "每周哪几天"),
        ({"weekdays": ["8"]}, "每周哪几天"),
        ({"starts": "7点"}, "如19:00"),
        ({"ends": "25:00"}, "如19:00"),
        ({"ends": "19:00"}, "12小时"),
        ({"places_needed": "two"}, "用数字"),
        ({"places_needed": 0}, "1至50"),
    ],
)
def test_bad_schedules_are_refused_and_save_nothing(
    w: World, change: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {
        "weekdays": [1],
        "starts": "19:00",
        "ends": "21:00",
        "places_needed": 2,
    }
    values.update(change)
    with pytest.raises(InvalidInput, match=message):
        operations.add_schedule(w.route, by=w.leader, now=NOW, **values)
    db.session.rollback()
    assert db.session.scalar(select(PatrolShift)) is None


def test_route_names_are_unique_in_a_grid_and_need_a_name(w: World) -> None:
    with pytest.raises(InvalidInput, match="已有名为"):
        operations.add_route(w.grid, name=" 小区夜巡 ", covers="", by=w.leader, now=NOW)
    with pytest.raises(InvalidInput, match="路线名称"):
        operations.add_route(w.grid, name="  ", covers="", by=w.leader, now=NOW)
    db.session.rollback()
    # Another grid may use the name.
    operations.add_route(w.grid2, name="小区夜巡", covers="", by=w.leader, now=NOW)


def test_sign_up_like_a_claim_with_outside_members(w: World) -> None:
    shift = w.shift(at(TODAY, time(19)), places=2)
    a, b, c = w.patrollers
    assert operations.sign_up(shift, by=a, via="app", now=NOW, today=TODAY).outcome == "signed_up"
    assert operations.sign_up(shift, by=a, via="app", now=NOW, today=TODAY).outcome == "already"
    # A police officer: a member of a partner unit the route names, without a post.
    assert (
        operations.sign_up(shift, by=w.officer, via="sms", now=NOW, today=TODAY).outcome
        == SignUpOutcome.SIGNED_UP
    )
    assert operations.sign_up(shift, by=b, via="app", now=NOW, today=TODAY).outcome == "full"
    assert (
        operations.sign_up(shift, by=w.other, via="app", now=NOW, today=TODAY).outcome
        == "not_for_you"
    )
    operations.withdraw(shift, by=a, via="app", now=NOW)
    assert shift.places_taken == 1
    assert operations.sign_up(shift, by=c, via="app", now=NOW, today=TODAY).outcome == "signed_up"
    late = shift.ends_at + timedelta(minutes=1)
    assert operations.sign_up(shift, by=b, via="app", now=late, today=TODAY).outcome == "closed"
    db.session.commit()
    actions = [e.action for e in db.session.scalars(select(PatrolEvent).order_by(PatrolEvent.id))]
    assert actions == ["signed_up", "signed_up", "withdrew", "signed_up"]
    assert [s.day for s in queries.upcoming_for(w.officer, TODAY, NOW)] == [TODAY]
    assert queries.upcoming_for(w.other, TODAY, NOW) == []


def test_patrol_by_sms_start_finding_finish(w: World) -> None:
    shift = w.shift(at(TODAY, time(19)))
    a = w.patrollers[0]
    evening = at(TODAY, time(18, 50))
    assert "没有巡逻班次" in sms(a.phone, "巡逻 开始", evening)
    operations.sign_up(shift, by=a, via="app", now=NOW, today=TODAY)
    db.session.commit()
    early = at(TODAY, time(17, 0))
    assert "没有巡逻班次" in sms(a.phone, "巡逻 开始", early)  # too early: not near now
    assert "结束" in sms(a.phone, "巡逻　开始", evening)  # full-width space
    assert "已经开始" in sms(a.phone, "巡逻 开始", evening + timedelta(minutes=1))
    reply = sms(a.phone, "巡逻 发现 3号楼消防通道堵塞", at(TODAY, time(19, 30)))
    finding = db.session.scalar(select(PatrolFinding))
    assert finding is not None and finding.text == "3号楼消防通道堵塞" and finding.via == "sms"
    assert finding.ref in reply
    assert "请回复" in sms(a.phone, "巡逻 跑步", at(TODAY, time(19, 40)))
    assert "发现" in sms(a.phone, "巡逻 发现", at(TODAY, time(19, 40)))  # nothing said
    assert "辛苦了" in sms(a.phone, "巡逻 结束 正常", at(TODAY, time(21, 0)))
    assert "已经结束" in sms(a.phone, "巡逻 结束 正常", at(TODAY, time(21, 5)))
    signup = shift.active_signups()[0]
    assert signup.report == "正常" and signup.via == "app"
    actions = [e.action for e in db.session.scalars(select(PatrolEvent).order_by(PatrolEvent.id))]
    assert actions == ["signed_up", "started", "finding", "finished"]
    # 巡逻 alone lists one's coming shifts; a stranger is not known.
    assert "没有巡逻班次" in sms(a.phone, "巡逻", at(TODAY, time(22, 0)) + timedelta(hours=4))
    assert "未找到" in sms("+8613000000000", "巡逻 开始", evening)


def test_finish_with_what_was_found_records_a_finding(w: World) -> None:
    shift = w.shift(at(TODAY, time(19)))
    a = w.patrollers[1]
    operations.sign_up(shift, by=a, via="app", now=NOW, today=TODAY)
    db.session.commit()
    assert "辛苦了" in sms(a.phone, "巡逻 结束 东门路灯不亮", at(TODAY, time(20, 55)))
    finding = db.session.scalar(select(PatrolFinding))
    assert finding is not None and finding.text == "东门路灯不亮"
    signup = shift.active_signups()[0]
    assert signup.started_at is not None and signup.finished_at is not None


def test_patrol_by_telegram(w: World) -> None:
    from pwa import telegram_bot

    shift = w.shift(at(TODAY, time(19)))
    officer = w.officer
    operations.sign_up(shift, by=officer, via="app", now=NOW, today=TODAY)
    chat = 8_200_300_400
    db.session.add(TelegramLink(person_id=officer.id, chat_id=chat, linked_at=NOW))
    db.session.commit()
    update = {
        "update_id": 777001,
        "message": {"chat": {"id": chat, "type": "private"}, "text": "巡逻 开始"},
    }
    answer = telegram_bot.handle(update, 777001, now=at(TODAY, time(19, 3)))
    db.session.commit()
    assert answer is not None and answer.text is not None and "巡逻开始" in answer.text
    signup = shift.active_signups()[0]
    assert signup.started_at is not None
    event = db.session.scalar(select(PatrolEvent).where(PatrolEvent.action == "started"))
    assert event is not None and event.via == "telegram" and event.person_id == officer.id


def test_sms_through_twilio(
    app: Flask,
    client: FlaskClient,
    w: World,
    twilio: Any,  # noqa: F811
) -> None:
    twilio.app_client = client
    now = utcnow()
    shift = w.shift(now - timedelta(minutes=5))
    a = w.patrollers[2]
    operations.sign_up(shift, by=a, via="app", now=now - timedelta(hours=1), today=today_of(now))
    db.session.commit()
    for text in ("巡逻 开始", "巡逻 发现 3号楼消防通道堵塞", "巡逻 结束 正常"):
        assert (
            twilio.send_inbound_sms(PUBLIC + "/webhooks/twilio/sms", a.phone, FROM, text).status
            == 200
        )
    run_jobs(app)
    bodies = [m["body"] for m in twilio.wait_for(3) if m["to"] == a.phone]
    assert any("巡逻开始" in b for b in bodies)
    assert any("已记录巡逻发现" in b for b in bodies)
    assert any("辛苦了" in b for b in bodies)
    db.session.expire_all()
    assert db.session.scalar(select(PatrolFinding)) is not None


def test_unstarted_shift_is_flagged_to_the_grid_leader_once(w: World) -> None:
    shift = w.shift(at(TODAY, time(19)))
    started = w.shift(at(TODAY + timedelta(days=1), time(19)))
    operations.sign_up(shift, by=w.patrollers[0], via="app", now=NOW, today=TODAY)
    signup = operations.sign_up(started, by=w.patrollers[1], via="app", now=NOW, today=TODAY).signup
    assert signup is not None
    operations.start(signup, via="app", now=at(TODAY + timedelta(days=1), time(19, 1)))
    db.session.commit()
    assert flagging.flag_unstarted(at(TODAY, time(19, 29))) == 0  # not yet 30 minutes
    assert flagging.flag_unstarted(at(TODAY, time(19, 30))) == 1
    assert flagging.flag_unstarted(at(TODAY, time(19, 45))) == 0  # once
    assert flagging.flag_unstarted(at(TODAY + timedelta(days=1), time(20))) == 0  # started
    db.session.commit()
    told = db.session.scalars(select(Delivery).where(Delivery.kind == "patrol_unstarted")).all()
    assert [d.person_id for d in told] == [w.leader.id]
    assert "仍无人开始" in told[0].body or told[0].params["route"] == "小区夜巡"
    assert shift.flagged_at is not None


def test_a_finding_becomes_a_need_or_a_work_order(w: World) -> None:
    shift = w.shift(at(TODAY, time(19)))
    a = w.patrollers[0]
    signup = operations.sign_up(shift, by=a, via="app", now=NOW, today=TODAY).signup
    assert signup is not None
    evening = at(TODAY, time(19, 20))
    first = operations.report_finding(
        signup, text="东门路灯不亮", via="app", now=evening, photo_id=None
    )
    second = operations.report_finding(signup, text="3号楼消防通道堵塞", via="app", now=evening)
    db.session.commit()
    need = operations.to_need(first, by=w.leader, category="safety", now=evening)
    assert need.source == "patrol" and need.grid_id == w.grid.id and "东门路灯不亮" in need.text
    assert first.need_id == need.id
    with pytest.raises(DomainError, match="已经处理过"):
        operations.to_need(first, by=w.leader, category="safety", now=evening)
    with pytest.raises(InvalidInput, match="需求类别"):
        operations.to_need(second, by=w.leader, category="nonsense", now=evening)
    ref = operations.to_order(second, by=w.leader, category="safety", today=TODAY, now=evening)
    db.session.commit()
    order = db.session.get(WorkOrder, int(ref[1:]))
    assert order is not None and order.grid_id == w.grid.id and "消防通道" in order.title
    assert second.order_ref == ref and db.session.get(Need, second.need_id) is not None
    assert queries.get_managed_finding(w.leader, second.id, TODAY) == second


def test_month_log_and_the_ledgers_events(w: World) -> None:
    shift = w.shift(at(TODAY, time(19)))
    a = w.patrollers[0]
    signup = operations.sign_up(shift, by=a, via="app", now=NOW, today=TODAY).signup
    assert signup is not None
    operations.start(signup, via="sms", now=at(TODAY, time(19, 2)))
    operations.finish(signup, via="sms", now=at(TODAY, time(21)), report="正常")
    w.shift(at(date(2026, 12, 1), time(19)))
    db.session.commit()
    log = queries.month_log(w.grid, date(2026, 11, 5))
    assert [s.id for s in log.shifts] == [shift.id] and log.patrolled == 1
    start, end = queries.month_bounds(date(2026, 11, 1))
    events = queries.events(w.community.id, start, end, grid_id=w.grid.id)
    assert [e.action for e in events] == ["signed_up", "started", "finished"]
    assert queries.events(w.community.id, start, end, grid_id=w.grid2.id) == []


def test_sign_up_and_withdraw_by_sms_with_the_shift_code(w: World) -> None:
    shift = w.shift(at(TODAY, time(19)), places=1)
    a, b = w.patrollers[0], w.patrollers[1]
    listed = sms(a.phone, "巡逻", NOW)
    assert f"{shift.ref} " in listed and "差1人" in listed and "巡逻 报名" in listed
    assert "已报名小区夜巡巡逻" in sms(a.phone, f"巡逻 报名 {shift.ref}", NOW)
    assert "（已报名）" in sms(a.phone, "巡逻", NOW)
    assert "已满员" in sms(b.phone, f"巡逻 报名 {shift.ref.lower()}", NOW)
    assert "您已报名" in sms(a.phone, f"巡逻 报名 {shift.ref}", NOW)
    assert "不在您的巡逻路线" in sms(w.other.phone, f"巡逻 报名 {shift.ref}", NOW)
    assert "班次号" in sms(a.phone, "巡逻 报名", NOW)
    assert "班次号" in sms(a.phone, "巡逻 报名 X99999", NOW)
    assert "名额已让出" in sms(a.phone, f"巡逻 退出 {shift.ref}", NOW)
    assert "没有报名" in sms(a.phone, f"巡逻 退出 {shift.ref}", NOW)
    assert "已报名" in sms(b.phone, f"巡逻 报名 {shift.ref}", NOW)
    actions = [e.action for e in db.session.scalars(select(PatrolEvent).order_by(PatrolEvent.id))]
    assert actions == ["signed_up", "withdrew", "signed_up"]
    assert [e.via for e in db.session.scalars(select(PatrolEvent))] == ["sms"] * 3
