"""Policy campaigns: the target fixed from the broadcast's criteria, households ticked told in
their area, the SMS through the outbox and its "1", progress per grid, closing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import (
    Campaign,
    CampaignEvent,
    CampaignHousehold,
    Delivery,
    Household,
    TelegramLink,
    db,
)
from models.clock import ZONE
from services.broadcasts.queries import Criteria
from services.campaigns import operations, queries
from services.campaigns import sms as campaign_sms
from services.errors import InvalidInput
from services.roster.areas import Area
from tasks import campaigns as campaign_jobs
from tests.work_orders.test_work_orders import sms

pytestmark = pytest.mark.usefixtures("english")

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZONE)
TODAY = date(2026, 11, 25)
SUMMARY = "医保12月31日前缴费，每人380元。"


class Town:
    """Two grids, three buildings, six households: elderly, young, alone, with care flags."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.community = make.community()
        self.grid1 = make.grid(self.community)
        self.grid2 = make.grid(self.community)
        self.b1 = make.building(self.grid1)
        self.b2 = make.building(self.grid1)
        self.b3 = make.building(self.grid2)
        self.secretary = make.person(name="书记")
        make.post(self.secretary, "secretary", community=self.community)
        self.head1 = make.person(name="楼栋长一")
        make.post(self.head1, "building_head", community=self.community, building=self.b1)
        self.publicist = make.person(name="宣传员")
        make.post(self.publicist, "publicist", community=self.community, grid=self.grid1)
        self.patroller = make.person(name="巡逻员")
        make.post(self.patroller, "patroller", community=self.community, grid=self.grid1)
        self.homes: list[Household] = []
        self.old: list[Any] = []
        for building in (self.b1, self.b1, self.b2, self.b3):
            home = make.household(building)
            self.homes.append(home)
            self.old.append(
                make.resident(home, birth_year=1940, phone=make.phone(), sms_consent=True)
            )
            make.resident(home, birth_year=1990)
        young = make.household(self.b3)
        make.resident(young, birth_year=1995, phone=make.phone(), sms_consent=True)
        self.young = young
        self.alone = make.household(self.b2)
        make.resident(self.alone, birth_year=1950, lives_alone=True, care_flags=["disabled"])

    def campaign(self, **kw: Any) -> Campaign:
        kw.setdefault("title", "医保缴费")
        kw.setdefault("summary", SUMMARY)
        kw.setdefault("full_text", "缴费方式：……")
        kw.setdefault("deadline", TODAY + timedelta(days=30))
        kw.setdefault("criteria", Criteria(min_age=70))
        kw.setdefault("by", self.secretary)
        kw.setdefault("now", NOW)
        kw.setdefault("today", TODAY)
        campaign = operations.create(self.community, **kw)
        db.session.commit()
        return campaign


@pytest.fixture
def town(make: Any) -> Town:
    return Town(make)


def _targets(campaign: Campaign) -> set[int]:
    return set(
        db.session.scalars(
            select(CampaignHousehold.household_id).where(
                CampaignHousehold.campaign_id == campaign.id
            )
        )
    )


def test_the_target_is_the_broadcast_criteria_fixed_at_creation(town: Town) -> None:
    aged = town.campaign()
    assert _targets(aged) == {h.id for h in town.homes} | {town.alone.id}
    assert aged.household_count == 5
    grid2 = town.campaign(criteria=Criteria(grids=(town.grid2.id,)))
    assert _targets(grid2) == {town.homes[3].id, town.young.id}
    alone = town.campaign(criteria=Criteria(lives_alone=True))
    assert _targets(alone) == {town.alone.id}
    flagged = town.campaign(criteria=Criteria(care_flags=("disabled", "dementia")))
    assert _targets(flagged) == {town.alone.id}
    created = db.session.scalars(
        select(CampaignEvent).where(CampaignEvent.campaign_id == aged.id)
    ).all()
    assert [(e.action, e.person_id, e.detail) for e in created] == [
        ("created", town.secretary.id, "5")
    ]


def test_bad_input_is_refused_with_a_reason(town: Town) -> None:
    def refused(**kw: Any) -> str:
        with pytest.raises(InvalidInput) as caught:
            town.campaign(**kw)
        db.session.rollback()
        return caught.value.message

    assert "title" in refused(title="")
    assert "at most 20" in refused(title="很" * 21)
    assert "summary" in refused(summary="  ")
    assert "at most 35" in refused(summary="很" * 36)
    # 35 characters fit a provider's variable, but not one SMS with a 20-character title and
    # the signature: the message says by how much.
    too_long = refused(title="很" * 20, summary="很" * 35)
    assert "1 characters too long for one message" in too_long
    assert "deadline" in refused(deadline=None)
    assert "already passed" in refused(deadline=TODAY - timedelta(days=1))
    assert "No resident matches" in refused(criteria=Criteria(min_age=110))
    other = town.make.grid(town.make.community())
    assert "not in your area" in refused(criteria=Criteria(grids=(other.id,)))
    assert "not a care flag" in refused(criteria=Criteria(care_flags=("vip",)))
    assert db.session.scalar(select(Campaign.id)) is None


def test_the_summary_check_counts_the_signature(town: Town) -> None:
    text = operations.sms_text(town.community.id, "医保缴费", SUMMARY)
    assert text == f"【邻里】【政策】医保缴费：{SUMMARY}已知晓请回复1"
    assert len(text) <= 70
    town.community.sms_signature = "【" + "很长的社区名称" * 6 + "】"
    with pytest.raises(InvalidInput, match="too long for one message"):
        operations.check_summary(town.community.id, "医保缴费", SUMMARY)


def test_heads_tick_their_households_and_progress_counts_by_grid(town: Town) -> None:
    campaign = town.campaign()
    head_area = queries.area_of(town.head1, TODAY)
    publicist_area = queries.area_of(town.publicist, TODAY)
    assert queries.area_of(town.patroller, TODAY).is_empty
    # The head sees the two households of their building; the publicist the grid's four.
    assert queries.count_unreached(campaign, head_area) == 2
    assert queries.count_unreached(campaign, publicist_area) == 4
    operations.mark_informed(
        campaign, town.homes[0].id, "in_person", area=head_area, by=town.head1, now=NOW
    )
    operations.mark_informed(
        campaign, town.homes[2].id, "phone", area=publicist_area, by=town.publicist, now=NOW
    )
    db.session.commit()
    with pytest.raises(InvalidInput, match="already marked"):
        operations.mark_informed(
            campaign, town.homes[0].id, "phone", area=publicist_area, by=town.publicist, now=NOW
        )
    with pytest.raises(InvalidInput, match="not one this campaign concerns in your area"):
        operations.mark_informed(
            campaign, town.homes[3].id, "phone", area=head_area, by=town.head1, now=NOW
        )
    with pytest.raises(InvalidInput, match="not one this campaign concerns"):
        operations.mark_informed(
            campaign, town.young.id, "phone", area=publicist_area, by=town.publicist, now=NOW
        )
    with pytest.raises(InvalidInput, match="how the household was told"):
        operations.mark_informed(
            campaign, town.homes[1].id, "telepathy", area=head_area, by=town.head1, now=NOW
        )
    db.session.rollback()
    whole = Area(community_ids=frozenset({town.community.id}))
    progress = queries.progress(campaign, whole)
    assert (progress.overall.target, progress.overall.informed) == (5, 2)
    by_grid = {t.label: (t.target, t.by_method) for t in progress.by_grid}
    assert by_grid == {
        town.grid1.name: (4, {"in_person": 1, "phone": 1}),
        town.grid2.name: (1, {}),
    }
    left = queries.unreached(campaign, head_area, limit=50, offset=0)
    assert [h.id for h in left] == [town.homes[1].id]
    events = queries.events_between(town.community.id, NOW, NOW + timedelta(seconds=1))
    informed = [(e.action, e.method, e.person_id, e.grid_id) for e in events[1:]]
    assert informed == [
        ("informed", "in_person", town.head1.id, town.grid1.id),
        ("informed", "phone", town.publicist.id, town.grid1.id),
    ]
    assert (
        queries.events_between(
            town.community.id, NOW, NOW + timedelta(seconds=1), grid_id=town.grid2.id
        )
        == []
    )


def test_sms_goes_through_the_outbox_and_1_marks_the_household(town: Town) -> None:
    campaign = town.campaign()
    assert campaign_sms.check_sms(campaign) == 4  # four aged residents agreed to SMS
    campaign_sms.request_sms(campaign, by=town.secretary, now=NOW)
    db.session.commit()
    with pytest.raises(InvalidInput, match="already been sent"):
        campaign_sms.check_sms(campaign)
    db.session.rollback()  # the job writes in its own session: hold no lock meanwhile
    assert campaign_jobs.sweep() == {"handed": 4, "closed": 0}
    sent = db.session.scalars(select(Delivery).where(Delivery.batch_key == campaign.batch_key))
    rows = list(sent)
    assert len(rows) == 4
    assert {d.kind for d in rows} == {"campaign_notice"}
    assert rows[0].params == {"title": "医保缴费", "summary": SUMMARY}
    db.session.rollback()
    assert campaign_jobs.sweep() == {"handed": 0, "closed": 0}  # nothing twice
    reader = town.old[2]
    assert "谢谢" in sms(reader.phone, "1", now=NOW + timedelta(hours=1))
    db.session.expire_all()
    row = db.session.scalar(
        select(CampaignHousehold).where(CampaignHousehold.household_id == town.homes[2].id)
    )
    assert row is not None and row.method == "sms" and row.informed_by_id is None
    # A second "1" is thanked again but counts the household once.
    assert "谢谢" in sms(reader.phone, "1", now=NOW + timedelta(hours=2))
    acks = db.session.scalars(
        select(CampaignEvent.resident_id).where(CampaignEvent.action == "acknowledged")
    ).all()
    assert acks == [reader.id, reader.id]
    progress = queries.progress(campaign, Area(community_ids=frozenset({town.community.id})))
    assert progress.overall.by_method == {"sms": 1}
    # Someone the campaign never texted gets the usual "not understood".
    assert "谢谢" not in sms(town.make.phone(), "1", now=NOW + timedelta(hours=2))


def test_a_1_by_telegram_acknowledges_too(town: Town) -> None:
    from pwa import telegram_bot

    resident = town.old[0]
    person = town.make.person(name=resident.name, phone=resident.phone)
    resident.person_id = person.id
    db.session.add(TelegramLink(person_id=person.id, chat_id=7701, linked_at=NOW))
    db.session.commit()
    campaign = town.campaign()
    campaign_sms.request_sms(campaign, by=town.secretary, now=NOW)
    db.session.commit()
    campaign_jobs.sweep()
    mine = db.session.scalar(select(Delivery).where(Delivery.person_id == person.id))
    assert mine is not None and mine.kind == "campaign_notice"
    update = {
        "update_id": 9001,
        "message": {
            "message_id": 3,
            "chat": {"id": 7701, "type": "private"},
            "from": {"id": 7701},
            "text": "1",
        },
    }
    answer = telegram_bot.handle(update, 9001, now=NOW + timedelta(minutes=5))
    db.session.commit()
    assert answer is not None and "谢谢" in (answer.text or "")
    row = db.session.scalar(
        select(CampaignHousehold).where(CampaignHousehold.household_id == town.homes[0].id)
    )
    assert row is not None and row.method == "sms"
    event = db.session.scalar(select(CampaignEvent).where(CampaignEvent.action == "acknowledged"))
    assert event is not None and event.via == "telegram" and event.person_id == person.id


def test_campaigns_close_after_their_deadline(town: Town) -> None:
    campaign = town.campaign(deadline=TODAY)
    db.session.commit()
    assert operations.close_past_deadline(NOW + timedelta(hours=8)) == 0  # still its last day
    assert operations.close_past_deadline(NOW + timedelta(days=1)) == 1
    db.session.commit()
    assert campaign.status == "closed"
    with pytest.raises(InvalidInput, match="closed"):
        operations.mark_informed(
            campaign,
            town.homes[0].id,
            "phone",
            area=queries.area_of(town.head1, TODAY),
            by=town.head1,
            now=NOW,
        )
    actions = db.session.scalars(
        select(CampaignEvent.action).where(CampaignEvent.campaign_id == campaign.id)
    ).all()
    assert actions == ["created", "closed"]


def test_a_head_records_households_told_by_sms(town: Town) -> None:
    campaign = town.campaign()
    code = f"{town.b1.name}-1-{town.homes[0].room}"
    answer = sms(town.head1.phone, f"告知 C{campaign.id} {code} 电话")
    short = town.b1.name.removesuffix("号楼")
    assert answer.startswith(f"已记：{short}-1-{town.homes[0].room}已告知“医保缴费”"), answer
    assert "（电话告知）" in answer and "还有1户未告知" in answer
    row = db.session.scalar(
        select(CampaignHousehold).where(CampaignHousehold.household_id == town.homes[0].id)
    )
    assert row is not None and row.method == "phone" and row.informed_by_id == town.head1.id
    event = db.session.scalar(select(CampaignEvent).where(CampaignEvent.action == "informed"))
    assert event is not None and event.via == "sms"
    # Bad input: each answer says what was wrong and how to write it; nothing is recorded.
    again = sms(town.head1.phone, f"告知 C{campaign.id} {code}")
    # (Answers by SMS are in the sender's language: Chinese here.)
    assert again == "该户已标记为已告知。 格式：告知 C3 楼-单元-房号 当面/电话"
    assert "没有9-9-999这户" in sms(town.head1.phone, f"告知 C{campaign.id} 9-9-999")
    assert "请写明告知方式" in sms(town.head1.phone, f"告知 C{campaign.id} {code} 飞鸽")
    assert "没有政策宣传C999" in sms(town.head1.phone, f"告知 C999 {code}")
    assert "只有楼栋长和政策宣传员" in sms(town.patroller.phone, f"告知 C{campaign.id} {code}")
    assert "楼-单元-房号" in sms(town.head1.phone, f"告知 C{campaign.id}")
    assert db.session.scalar(select(func.count()).where(CampaignHousehold.method.isnot(None))) == 1


def test_told_alone_lists_the_open_campaigns_and_households_left(town: Town) -> None:
    assert sms(town.head1.phone, "告知") == (
        "您的片区现在没有进行中的政策宣传。 格式：告知 C3 楼-单元-房号 当面/电话"
    )
    campaign = town.campaign()
    answer = sms(town.head1.phone, "告知")
    assert answer == (
        f"进行中的宣传：C{campaign.id} 医保缴费（2户未告知）。告知后回复“告知 C3 房号 当面/电话”。"
    ), answer
    code = f"{town.b1.name}-1-{town.homes[0].room}"
    sms(town.head1.phone, f"告知 C{campaign.id} {code} 电话")
    assert "（1户未告知）" in sms(town.head1.phone, "TOLD")
    assert "只有楼栋长和政策宣传员" in sms(town.patroller.phone, "告知")


def test_a_publicist_records_a_household_told_by_telegram(town: Town) -> None:
    from pwa import telegram_bot

    campaign = town.campaign()
    db.session.add(TelegramLink(person_id=town.publicist.id, chat_id=7702, linked_at=NOW))
    db.session.commit()
    code = f"{town.b2.name}-1-{town.homes[2].room}"
    update = {
        "update_id": 9002,
        "message": {
            "message_id": 4,
            "chat": {"id": 7702, "type": "private"},
            "from": {"id": 7702},
            "text": f"TOLD C{campaign.id} {code} in",
        },
    }
    answer = telegram_bot.handle(update, 9002, now=NOW)
    db.session.commit()
    assert answer is not None and "已告知“医保缴费”（当面告知）" in (answer.text or "")
    row = db.session.scalar(
        select(CampaignHousehold).where(CampaignHousehold.household_id == town.homes[2].id)
    )
    assert row is not None and row.method == "in_person" and row.informed_by_id == town.publicist.id
