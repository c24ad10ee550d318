"""Mediation: opening a case (and refusing bad input), sessions, the outcome, the parties'
1-5 answer by a bare digit, the follow-up reminder, a need taken up for mediation, and the
ledger's events."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import (
    CaseStatus,
    Delivery,
    MediationCase,
    MediationEvent,
    MediationParty,
    MediationSession,
    Need,
    NeedSource,
    NeedStatus,
    db,
)
from models.clock import ZONE, today_of
from notify import inbound, templates
from pwa.views.needs import NEED_CONVERSIONS
from services.errors import DomainError, InvalidInput
from services.mediation import operations, queries, reminders
from services.mediation.operations import PartyChoice
from services.needs import operations as needs

# 10:00 in Shanghai: outside quiet hours.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZONE)
TODAY = date(2026, 11, 25)
_ids = itertools.count(1)


class World:
    def __init__(self, make: Any) -> None:
        self.community = make.community()
        self.community.quiet_from = self.community.quiet_until = time(0, 0)
        self.grid = make.grid(self.community)
        self.grid2 = make.grid(self.community)
        self.building = make.building(self.grid, name="3号楼")
        self.other_building = make.building(self.grid2, name="9号楼")
        self.h501 = make.household(self.building, unit="2", room="501", contact_name="王建国")
        self.h601 = make.household(
            self.building, unit="2", room="601", contact_phone="+8613900006010"
        )
        self.h901 = make.household(self.other_building, room="901")
        self.wang = make.resident(self.h501, name="王建国", phone="+8613900005010")
        self.li = make.resident(self.h601, name="李秀英", phone=None)
        self.zhao = make.resident(self.h901, name="赵大爷", phone="+8613900009010")
        self.mediator = make.person(name="调解员老周")
        make.post(self.mediator, "mediator", community=self.community, grid=self.grid)
        self.leader = make.person(name="网格长")
        make.post(self.leader, "grid_leader", community=self.community, grid=self.grid)
        self.secretary = make.person(name="书记")
        make.post(self.secretary, "secretary", community=self.community)
        self.other_mediator = make.person(name="二网格调解员")
        make.post(self.other_mediator, "mediator", community=self.community, grid=self.grid2)
        self.staff = make.person(name="工作人员")
        make.post(self.staff, "staff", community=self.community)
        db.session.commit()

    def reach(self, person: Any = None) -> queries.Reach:
        return queries.reach_of(person or self.mediator, TODAY)

    def case(self, **kw: Any) -> MediationCase:
        kw.setdefault("by", self.mediator)
        kw.setdefault(
            "parties",
            [PartyChoice(self.h501.id, self.wang.id), PartyChoice(self.h601.id, self.li.id)],
        )
        kw.setdefault("category", "leak")
        kw.setdefault("source", "visit")
        kw.setdefault("summary", "楼上卫生间漏水到楼下，维修费用有分歧")
        kw.setdefault("now", NOW)
        case = operations.open_case(self.reach(kw["by"]), **kw)
        db.session.commit()
        return case


@pytest.fixture
def w(make: Any) -> World:
    return World(make)


def sms(phone: str, text: str, now: datetime = NOW) -> str:
    handled = inbound.handle(
        channel="sms",
        provider_id=f"SMmed{next(_ids)}",
        address=phone,
        phone=phone,
        text=text,
        now=now,
    )
    db.session.commit()
    return handled.reply or ""


def _count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_open_session_outcome_ask_and_rate(w: World) -> None:
    case = w.case()
    assert case.grid_id == w.grid.id and case.status == CaseStatus.OPEN
    assert [p.resident_id for p in case.parties] == [w.wang.id, w.li.id]
    operations.record_session(
        w.reach(),
        case,
        by=w.mediator,
        held_on=TODAY,
        attendees="双方、物业",
        notes="物业确认防水层老化",
        today=TODAY,
        now=NOW,
    )
    operations.conclude(
        w.reach(w.leader),
        case,
        by=w.leader,
        outcome="agreed",
        agreement="楼上重做防水并承担修补费",
        today=TODAY,
        now=NOW,
    )
    db.session.commit()
    assert case.status == CaseStatus.CONCLUDED and case.follow_up_due == TODAY + timedelta(days=30)
    # Each party with a phone is asked once: 王 on his own phone, 李 through the household's.
    asked = list(db.session.scalars(select(Delivery).where(Delivery.kind == "mediation_ask")))
    assert sorted(d.address for d in asked) == ["+8613900005010", "+8613900006010"]
    for d in asked:  # no detail of the dispute: no name, no category, no agreement
        body = templates.render(d.kind, "zh", d.params)
        assert d.params == {} and "1-5" in body and "漏水" not in body
    assert "4分" in sms("+8613900006010", "４")  # full-width digit, the household's phone
    db.session.refresh(case)
    li = next(p for p in case.parties if p.resident_id == w.li.id)
    assert li.rating == 4 and w.wang.id != li.resident_id
    wang = next(p for p in case.parties if p.resident_id == w.wang.id)
    assert wang.rating is None
    actions = [
        e.action for e in db.session.scalars(select(MediationEvent).order_by(MediationEvent.id))
    ]
    assert actions == ["opened", "session", "outcome", "asked", "asked", "rated"]


def test_a_second_digit_is_not_taken_as_a_new_answer(w: World) -> None:
    case = w.case()
    operations.conclude(
        w.reach(), case, by=w.mediator, outcome="closed", agreement="", today=TODAY, now=NOW
    )
    db.session.commit()
    assert "5分" in sms(w.wang.phone, "5")
    reply = sms(w.wang.phone, "1")
    assert "1分" not in reply  # nothing asked any more: the usual "not understood" answer
    party = db.session.scalar(select(MediationParty).where(MediationParty.resident_id == w.wang.id))
    assert party is not None and party.rating == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"parties": []}, "至少"),
        ({"category": "fight"}, "纠纷"),
        ({"source": ""}, "来源"),
        ({"summary": "   "}, "描述"),
        ({"summary": "吵" * 501}, "501"),
    ],
)
def test_bad_cases_are_refused_and_nothing_is_kept(
    w: World, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        w.case(**change)
    db.session.rollback()
    assert message in refused.value.message
    assert _count(MediationCase) == 0 and _count(MediationParty) == 0


def test_parties_outside_ones_grids_are_refused(w: World) -> None:
    with pytest.raises(InvalidInput):
        w.case(parties=[PartyChoice(w.h901.id, w.zhao.id)])
    db.session.rollback()
    with pytest.raises(InvalidInput):  # a resident of another household
        w.case(parties=[PartyChoice(w.h501.id, w.li.id)])
    db.session.rollback()
    # The secretary reaches every grid of the community.
    case = w.case(by=w.secretary, parties=[PartyChoice(w.h901.id, w.zhao.id)])
    assert case.grid_id == w.grid2.id
    # It is handed to that grid's mediator, who gets the follow-up reminder.
    assert case.mediator_id == w.other_mediator.id


def test_bad_sessions_and_outcomes_are_refused(w: World) -> None:
    case = w.case()
    reach = w.reach()
    kw: dict[str, Any] = {"by": w.mediator, "attendees": "", "today": TODAY, "now": NOW}
    with pytest.raises(InvalidInput, match="未来"):
        operations.record_session(
            reach, case, held_on=TODAY + timedelta(days=1), notes="谈了", **kw
        )
    with pytest.raises(InvalidInput):
        operations.record_session(reach, case, held_on=TODAY, notes=" ", **kw)
    with pytest.raises(InvalidInput):
        operations.record_session(reach, case, held_on=None, notes="谈了", **kw)
    with pytest.raises(DomainError, match="结果"):
        operations.record_follow_up(reach, case, held_on=TODAY, notes="回访", **kw)
    with pytest.raises(InvalidInput, match="协议"):
        operations.conclude(
            reach, case, by=w.mediator, outcome="agreed", agreement=" ", today=TODAY, now=NOW
        )
    with pytest.raises(InvalidInput):
        operations.conclude(
            reach, case, by=w.mediator, outcome="won", agreement="x", today=TODAY, now=NOW
        )
    with pytest.raises(DomainError):  # another grid's mediator does not see the case
        operations.conclude(
            w.reach(w.other_mediator),
            case,
            by=w.other_mediator,
            outcome="closed",
            agreement="",
            today=TODAY,
            now=NOW,
        )
    db.session.rollback()
    db.session.refresh(case)
    assert case.status == CaseStatus.OPEN and _count(MediationSession) == 0
    assert _count(Delivery) == 0


def test_who_sees_a_case(w: World, make: Any) -> None:
    case = w.case()
    head = make.person(name="楼栋长")
    make.post(head, "building_head", community=w.community, building=w.building)
    patroller = make.person(name="巡逻员")
    make.post(patroller, "patroller", community=w.community, grid=w.grid)
    for person in (w.mediator, w.leader, w.secretary):
        assert queries.reach_of(person, TODAY).covers(case), person.name
    for person in (w.other_mediator, w.staff, head, patroller, None):
        assert not queries.reach_of(person, TODAY).covers(case)


def test_follow_up_reminder_once_then_the_visit(w: World) -> None:
    case = w.case()
    operations.conclude(
        w.reach(), case, by=w.mediator, outcome="police", agreement="", today=TODAY, now=NOW
    )
    db.session.commit()
    assert reminders.remind_due(NOW + timedelta(days=29)) == 0
    later = NOW + timedelta(days=30)
    assert reminders.remind_due(later) == 1
    db.session.commit()
    assert reminders.remind_due(later + timedelta(hours=1)) == 0
    [told] = db.session.scalars(
        select(Delivery).where(Delivery.kind == "mediation_follow_up_due")
    ).all()
    body = templates.render(told.kind, "zh", told.params)
    assert told.person_id == w.mediator.id and case.ref in body and "漏水" not in body
    # The follow-up by SMS, as the reminder says.
    reply = sms(w.mediator.phone, f"调解 {case.ref} 回访 双方已和好", now=later)
    assert "已记录" in reply
    db.session.refresh(case)
    assert case.followed_up_at is not None
    [visit] = case.sessions
    assert visit.kind == "follow_up" and visit.notes == "双方已和好" and visit.via == "sms"
    assert "已经记录" in sms(w.mediator.phone, f"调解 {case.ref} 回访 再来一次", now=later)


def test_sms_list_and_outcome_and_refusals(w: World) -> None:
    case = w.case()
    listing = sms(w.mediator.phone, "调解")
    assert f"{case.ref} 王/李 漏水纠纷 待调解" in listing
    assert "建国" not in listing and "秀英" not in listing
    assert "没有找到" in sms(w.other_mediator.phone, f"调解 {case.ref} 结案")
    assert "没有找到" in sms(w.mediator.phone, "调解 M999999 结案")
    assert "已达成" in sms(w.mediator.phone, f"调解 {case.ref} 吵完了")  # the how-to answer
    assert "协议" in sms(w.mediator.phone, f"调解 {case.ref} 已达成")
    db.session.refresh(case)
    assert case.status == CaseStatus.OPEN
    assert "已达成协议" in sms(w.mediator.phone, f"调解 {case.ref} 已达成 楼上修防水，费用自理")
    db.session.refresh(case)
    assert (
        case.outcome == "agreed" and case.agreement == "楼上修防水,费用自理"
    )  # full-width folded as every command
    assert "待回访" in sms(w.mediator.phone, "调解")
    assert "已有" in sms(w.mediator.phone, f"MEDIATION {case.ref} POLICE")
    # A resident or a stranger sending 调解 gets the usual answer, nothing of a case.
    assert case.ref not in sms(w.wang.phone, "调解")


def test_ledger_events_for_a_period(w: World) -> None:
    case = w.case()
    operations.conclude(
        w.reach(), case, by=w.mediator, outcome="closed", agreement="", today=TODAY, now=NOW
    )
    db.session.commit()
    found = queries.events_between(
        w.community.id, NOW - timedelta(hours=1), NOW + timedelta(hours=1), grid_id=w.grid.id
    )
    assert [e.action for e in found][:2] == ["opened", "outcome"]
    assert queries.events_between(w.community.id, NOW, NOW, grid_id=w.grid2.id) == []


def test_need_taken_up_for_mediation_and_settled_by_the_outcome(w: World) -> None:
    need = needs.raise_need(
        community_id=w.community.id,
        household=w.h501,
        source=NeedSource.RESIDENT,
        by=None,
        category="other",
        text="楼上漏水，找不到人商量",
        resident_id=w.wang.id,
        now=NOW,
    )
    db.session.commit()
    needs.decide(
        need,
        by=w.leader,
        decision="mediation",
        today=TODAY,
        now=NOW,
        conversions=NEED_CONVERSIONS,
    )
    db.session.commit()
    case = db.session.scalar(select(MediationCase))
    assert case is not None and case.need_id == need.id and case.source == "need"
    assert case.mediator_id == w.mediator.id and case.grid_id == w.grid.id
    assert need.status == NeedStatus.IN_HAND and need.converted_ref == case.ref
    told = db.session.scalar(select(Delivery).where(Delivery.kind == "need_in_hand"))
    assert told is not None and told.params["what"] == "矛盾调解"
    operations.conclude(
        w.reach(), case, by=w.mediator, outcome="agreed", agreement="楼上修好", today=TODAY, now=NOW
    )
    db.session.commit()
    db.session.refresh(need)
    assert need.status == NeedStatus.ANSWERED and "楼上修好" not in need.answer
    assert db.session.get(Need, need.id) is not None


def test_a_need_without_household_cannot_go_to_mediation(w: World) -> None:
    need = needs.raise_need(
        community_id=w.community.id,
        household=None,
        source=NeedSource.OBSERVER,
        by=w.leader,
        category="other",
        text="两家吵架",
        now=NOW,
    )
    db.session.commit()
    with pytest.raises(DomainError):
        needs.decide(
            need,
            by=w.leader,
            decision="mediation",
            today=TODAY,
            now=NOW,
            conversions=NEED_CONVERSIONS,
        )
    db.session.rollback()
    assert _count(MediationCase) == 0
    assert today_of(NOW) == TODAY


def test_help_lists_the_commands_to_those_who_mediate_only(w: World, make: Any) -> None:
    assert "“调解”看调解" in sms(w.mediator.phone, "帮助")
    assert "“调解”" in sms(w.leader.phone, "帮助")
    patroller = make.person(name="巡逻员")
    make.post(patroller, "patroller", community=w.community, grid=w.grid)
    assert "调解" not in sms(patroller.phone, "帮助")
    assert "调解" not in sms(w.staff.phone, "帮助")
    assert "调解" not in sms(w.wang.phone, "帮助")  # a resident's one-SMS answer
