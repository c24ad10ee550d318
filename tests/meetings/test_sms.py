"""A meeting by SMS alone, through the fake Twilio: the invitation reaches a volunteer, a
resident without an account and a partner unit's contact; each answers with a bare number
through the provider's webhook (a wrong number is asked again); "会议" lists the meeting; the
day before, those attending are reminded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import tasks.deliveries
from models import MeetingInvitee, db, utcnow
from models.clock import at, local
from models.meetings import Reply
from services.meetings import reminders
from tests.fakes.twilio import FakeTwilio
from tests.meetings.test_meetings import World
from tests.support import run_jobs

FROM = "+15005550006"
TOKEN = "test-auth-token"
PUBLIC = "https://linli.example.org"
WEBHOOK = PUBLIC + "/webhooks/twilio/sms"


@pytest.fixture
def world(make: Any) -> World:
    built = World(make)
    # No quiet hours: what is sent must not wait for the morning, whenever the test runs.
    built.community.quiet_from = built.community.quiet_until = time(0, 0)
    db.session.commit()
    return built


@pytest.fixture
def twilio(app: Flask) -> Iterator[FakeTwilio]:
    """Send through the fake Twilio, as production does through the real one."""

    def forget_dispatcher() -> None:
        if tasks.deliveries._dispatcher is not None:
            tasks.deliveries._dispatcher.pool.shutdown()
            tasks.deliveries._dispatcher = None

    with FakeTwilio(auth_token=TOKEN) as fake:
        app.config.update(
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=TOKEN,
            TWILIO_FROM_NUMBER=FROM,
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


def test_a_meeting_by_sms_alone(
    app: Flask, client: FlaskClient, world: World, twilio: FakeTwilio
) -> None:
    twilio.app_client = client
    now = utcnow()
    starts = now + timedelta(days=2)
    meeting = world.call(starts_at=starts, now=now, today=local(now).date())
    run_jobs(app)
    sent = twilio.wait_for(4)
    by_phone = {m["to"]: m["body"] for m in sent}
    resident, contact, patroller = (
        world.resident.phone,
        world.unit.contact_phone,
        world.patroller.phone,
    )
    for phone in (resident, contact, patroller, world.leader1.phone):
        assert "邀请您参加一网格11月例会" in by_phone[phone], phone
        assert "回复1参加，回复2请假" in by_phone[phone]
    assert all(len(body) <= 70 for body in by_phone.values()), by_phone

    def text(phone: str, body: str) -> None:
        answer = twilio.send_inbound_sms(WEBHOOK, phone, FROM, body)
        assert answer.status == 200

    text(resident, "1")
    text(contact, "3")  # not an answer: asked again
    text(contact, "2")
    text(patroller, "会议")
    run_jobs(app)
    more = twilio.wait_for(8)[4:]
    replies = {(m["to"], m["body"].split("】", 1)[-1]) for m in more}
    when = local(starts).strftime("%m-%d %H:%M")
    assert (resident, f"已记录：您将参加一网格11月例会（{when}，社区二楼会议室）。") in replies
    assert (contact, f"关于一网格11月例会（{when}）：回复1参加，回复2请假。") in replies
    assert (contact, f"已记录您请假：一网格11月例会（{when}）。") in replies
    assert (patroller, f"您的会议：{when} 一网格11月例会（未答复）") in replies
    db.session.expire_all()
    rows = {
        r.phone: r
        for r in db.session.scalars(
            select(MeetingInvitee).where(MeetingInvitee.meeting_id == meeting.id)
        )
    }
    assert rows[resident].reply == Reply.ATTEND and rows[resident].replied_via == "sms"
    assert rows[contact].reply == Reply.EXCUSED

    # The day before: only the resident, who said they attend, is reminded.
    # (remind_day_before alone: in a quarter's last month run() would also tell the
    # secretary the quarter has no quarterly meeting, a message of its own tested elsewhere.)
    evening_before = at(local(starts).date() - timedelta(days=1), time(17, 30))
    assert reminders.remind_day_before(evening_before) == 1
    db.session.commit()
    run_jobs(app)
    last = twilio.wait_for(9)[8:]
    assert [m["to"] for m in last] == [resident]
    assert "明天" in last[0]["body"] and "社区二楼会议室" in last[0]["body"]
