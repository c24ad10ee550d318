"""双报到: a member reports in by SMS (through the fake Twilio), on the QR code's page or by
the liaison; the secretary approves or declines with a reason; bad input is answered with
what to do and keeps nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import tasks.deliveries
from models import (
    AuditEntry,
    Delivery,
    InboundMessage,
    PartnerUnit,
    Person,
    ReportIn,
    ReportStatus,
    db,
    utcnow,
)
from notify import inbound
from tests.fakes.twilio import FakeTwilio
from tests.report_in.conftest import LIAISON, NUMBER, World, text
from tests.support import run_jobs, sign_in

TOKEN = "test-auth-token"
PUBLIC = "https://linli.example.org"
NEW = "+8613900001234"


@pytest.fixture
def twilio(app: Flask) -> Iterator[FakeTwilio]:
    def forget_dispatcher() -> None:
        if tasks.deliveries._dispatcher is not None:
            tasks.deliveries._dispatcher.pool.shutdown()
            tasks.deliveries._dispatcher = None

    with FakeTwilio(auth_token=TOKEN) as fake:
        app.config.update(
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=TOKEN,
            TWILIO_FROM_NUMBER=NUMBER,
            TWILIO_API_BASE_URL=fake.base_url,
            PUBLIC_BASE_URL=PUBLIC,
        )
        forget_dispatcher()
        try:
            yield fake
        finally:
            app.config.update(
                TWILIO_ACCOUNT_SID=None,
                TWILIO_AUTH_TOKEN=None,
                TWILIO_FROM_NUMBER=None,
                TWILIO_API_BASE_URL=None,
                PUBLIC_BASE_URL="http://127.0.0.1:8000",
            )
            forget_dispatcher()


def _reports() -> list[ReportIn]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReportIn).order_by(ReportIn.id)))


def _sent(kind: str) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == kind)))


def test_sms_report_in_through_twilio_then_the_secretary_approves(
    app: Flask, client: FlaskClient, world: World, twilio: FakeTwilio
) -> None:
    twilio.app_client = client
    answer = twilio.send_inbound_sms(
        PUBLIC + "/webhooks/twilio/sms", NEW, NUMBER, "报到 区供电局 张三"
    )
    assert answer.status == 200
    run_jobs(app)
    reply = twilio.wait_for(1)[0]
    assert reply["to"] == NEW and "待社区书记审核" in reply["body"] and "区供电局" in reply["body"]
    [report] = _reports()
    assert (report.status, report.via, report.name, report.phone) == ("pending", "sms", "张三", NEW)
    assert report.partner_unit_id == world.unit.id and report.person_id is None

    # Signing in: the code comes through the fake Twilio too.
    assert client.post("/sign-in", data={"phone": world.secretary.phone}).status_code == 302
    run_jobs(app)
    coded = [m for m in twilio.wait_for(2) if m["to"] == world.secretary.phone]
    code = re.search(r"\d{6}", coded[0]["body"])
    assert code is not None
    assert client.post("/sign-in/code", data={"code": code.group(0)}).status_code == 302
    page = client.get(f"/report-in?community={world.community.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "张三" in html and "138" not in html and "139****1234" in html
    # The page shows names and phones: its read is in the audit trail.
    assert db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "view", AuditEntry.subject_type == "report_in"
        )
    )
    done = client.post(f"/report-in/{report.id}/approve?community={world.community.id}")
    assert done.status_code == 302
    [report] = _reports()
    assert report.status == ReportStatus.APPROVED and report.decided_by_id == world.secretary.id
    member = db.session.scalar(select(Person).where(Person.phone == NEW))
    assert member is not None and member.name == "张三" and member.partner_unit_id == world.unit.id
    run_jobs(app)
    told = [m for m in twilio.wait_for(3) if m["to"] == NEW and "已通过" in m["body"]]
    assert told and "区供电局在职党员" in told[0]["body"]
    # Approving again changes nothing and says why.
    again = client.post(f"/report-in/{report.id}/approve?community={world.community.id}")
    assert again.status_code == 422 and "已" in again.get_data(as_text=True)


def test_unknown_unit_name_says_how_to_find_the_right_one(app: Flask, world: World) -> None:
    app.config["PUBLIC_BASE_URL"] = PUBLIC
    try:
        near = text(NEW, "报到 供电局 张三")
        far = text(NEW, "报到 自来水公司 张三")
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:8000"
    assert "未找到共建单位“供电局 张三”" in near
    assert "您是否指：区供电局？" in near and f"{PUBLIC}/join/xf" in near
    assert "您是否指" not in far and "单位全称可问本单位联络人或社区" in far
    assert _reports() == []


def test_a_second_report_in_is_told_it_has_been_done(world: World) -> None:
    assert "待社区书记审核" in text(NEW, "报到 区供电局 张三")
    again = text(NEW, "报到区供电局张三")
    assert "您已报到过（区供电局，待审核）" in again
    elsewhere = text(NEW, "报到 市第二医院 张三")
    assert "已报到过" in elsewhere
    assert len(_reports()) == 1


def test_a_text_to_no_community_s_number_is_answered_in_the_unit_s_community(
    world: World, make: Any
) -> None:
    # Another community, so the phone alone cannot say which one; the unit's name does.
    make.community(code="other")
    assert "待社区书记审核" in text(NEW, "报到 区供电局 张三", to=None)
    (answer,) = _sent("report_in_received")
    assert answer.community_id == world.community.id  # signed with its name, not Linli's
    received = db.session.scalars(select(InboundMessage)).all()
    assert [m.community_id for m in received] == [world.community.id]


def test_a_new_phone_must_give_a_name_a_resident_need_not(world: World) -> None:
    assert "请在单位名后写上您的姓名" in text(NEW, "报到 区供电局")
    assert _reports() == []
    # The resident's phone is on the roster: their name is known.
    assert "待社区书记审核" in text(world.resident.phone, "CHECKIN 区供电局")
    [report] = _reports()
    assert report.name == "王建国"


def test_a_member_already_in_a_unit_is_not_reported_twice(world: World, make: Any) -> None:
    member = make.person(name="赵六", partner_unit_id=world.unit.id)
    assert "您已报到过（区供电局，已通过）" in text(member.phone, "报到 市第二医院")
    assert _reports() == []


def test_decline_needs_a_reason_and_tells_it(client: FlaskClient, world: World) -> None:
    text(NEW, "报到 区供电局 张三")
    [report] = _reports()
    sign_in(client, world.secretary.phone)
    url = f"/report-in/{report.id}/decline?community={world.community.id}"
    refused = client.post(url, data={"reason": "  "})
    assert refused.status_code == 422
    assert "请说明不通过的原因" in refused.get_data(as_text=True)
    assert _reports()[0].status == ReportStatus.PENDING and _sent("report_in_declined") == []
    assert client.post(url, data={"reason": "请在居住地社区报到"}).status_code == 302
    [report] = _reports()
    assert report.status == ReportStatus.DECLINED and report.reason == "请在居住地社区报到"
    [told] = _sent("report_in_declined")
    assert told.address == NEW and told.params["reason"] == "请在居住地社区报到"
    # Declined, the phone may report in again (with the right unit, say).
    assert "待社区书记审核" in text(NEW, "报到 市第二医院 张三")


def test_staff_see_the_list_but_only_the_secretary_decides(
    client: FlaskClient, world: World
) -> None:
    text(NEW, "报到 区供电局 张三")
    [report] = _reports()
    sign_in(client, world.staff.phone)
    page = client.get("/report-in").get_data(as_text=True)
    assert "张三" in page and "由社区书记审核" in page and "/approve" not in page
    assert client.post(f"/report-in/{report.id}/approve").status_code == 404
    assert _reports()[0].status == ReportStatus.PENDING


def test_the_qr_page_takes_a_member_and_a_unit(client: FlaskClient, world: World) -> None:
    page = client.get("/join/xf")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "区供电局" in html and "市第二医院" in html
    assert client.get("/join/nowhere").status_code == 404

    bad = client.post(
        "/join/xf", data={"kind": "member", "unit_id": world.unit.id, "name": "张三", "phone": "12"}
    )
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "不是有效的电话号码" in body or "不是电话号码" in body
    assert 'value="张三"' in body  # what was typed stays
    assert _reports() == []

    ok = client.post(
        "/join/xf", data={"kind": "member", "unit_id": world.unit.id, "name": "张三", "phone": NEW}
    )
    assert ok.status_code == 302 and "done=member" in ok.headers["Location"]
    assert "已收到" in client.get(ok.headers["Location"]).get_data(as_text=True)
    unit = client.post(
        "/join/xf",
        data={"kind": "unit", "unit_name": "市第一中学", "name": "韩老师", "phone": "13900005555"},
    )
    assert unit.status_code == 302
    member, school = _reports()
    assert (member.via, member.kind, school.kind, school.unit_name) == (
        "page",
        "member",
        "unit",
        "市第一中学",
    )
    # An existing unit's name is refused.
    dup = client.post(
        "/join/xf",
        data={"kind": "unit", "unit_name": "区供电局", "name": "韩老师", "phone": "13900005556"},
    )
    assert dup.status_code == 422 and "已是共驻共建单位" in dup.get_data(as_text=True)

    sign_in(client, world.secretary.phone)
    assert client.post(f"/report-in/{school.id}/approve").status_code == 302
    made = db.session.scalar(select(PartnerUnit).where(PartnerUnit.name == "市第一中学"))
    assert made is not None and made.contact_phone == "+8613900005555"
    [told] = _sent("report_in_unit_approved")
    assert told.address == "+8613900005555"


def test_the_secretary_enters_a_member_approved_at_once(client: FlaskClient, world: World) -> None:
    sign_in(client, world.secretary.phone)
    missing = client.post("/report-in/enter", data={"unit_id": "", "name": "钱七", "phone": NEW})
    assert missing.status_code == 422
    done = client.post(
        "/report-in/enter", data={"unit_id": world.unit.id, "name": "钱七", "phone": NEW}
    )
    assert done.status_code == 302
    [report] = _reports()
    assert report.status == ReportStatus.APPROVED and report.via == "secretary"
    assert (
        db.session.scalar(select(Person.partner_unit_id).where(Person.phone == NEW))
        == world.unit.id
    )


def test_the_liaison_enters_members_for_approval(
    client: FlaskClient, world: World, make: Any
) -> None:
    stranger = make.person(name="路人")
    sign_in(client, stranger.phone)
    assert client.get("/my/unit").status_code == 404
    client.post("/sign-out")
    sign_in(client, LIAISON)
    page = client.get("/my/unit")
    assert page.status_code == 200 and "区供电局" in page.get_data(as_text=True)
    assert client.get(f"/my/unit?unit={world.other_unit.id}").status_code == 404
    refused = client.post("/my/unit/members", data={"name": "", "phone": NEW})
    assert refused.status_code == 422 and _reports() == []
    assert client.post("/my/unit/members", data={"name": "孙八", "phone": NEW}).status_code == 302
    [report] = _reports()
    assert (report.via, report.status, report.entered_by_id) == (
        "liaison",
        "pending",
        world.liaison.id,
    )
    assert "孙八" in client.get("/my/unit").get_data(as_text=True)
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "report_in.enter")
        )
        == 1
    )


def test_report_in_by_telegram_uses_the_linked_persons_phone(world: World, make: Any) -> None:
    person = make.person(name="周九")
    handled = inbound.handle(
        channel="telegram",
        provider_id="tg-report-1",
        address="777001",
        person=person,
        text="报到 市第二医院",
        now=utcnow(),
    )
    db.session.commit()
    assert handled.reply is not None and "待社区书记审核" in handled.reply
    [report] = _reports()
    assert (report.via, report.phone, report.name, report.person_id) == (
        "telegram",
        person.phone,
        "周九",
        person.id,
    )
    # "报到" alone names no unit: answered with how to report in and where the names are.
    alone = text(NEW, "报到")
    assert "请发“报到 单位全称 您的姓名”报到" in alone and "/join/xf" in alone
