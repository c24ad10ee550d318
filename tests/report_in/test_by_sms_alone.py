"""A party member reports in by SMS alone, through the phone simulator (/dev/phones), as
from a phone no community knows, texting no community's number: every answer is one Chinese
SMS that says what to do next, and nothing is kept from a text that was refused."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Person, ReportIn, db
from notify import segments
from tests.report_in.conftest import LIAISON, World
from tests.support import run_jobs, sign_in

MEMBER = "+8613900005555"


def _bodies(client: FlaskClient, phone: str) -> list[str]:
    html = client.get(f"/dev/phones/{phone}").get_data(as_text=True)
    return re.findall(r'<span class="sms-body">(.*?)</span>', html, re.S)


def _last(app: Flask, client: FlaskClient, phone: str, before: int, most: int = 1) -> str:
    run_jobs(app)
    bodies = _bodies(client, phone)
    assert len(bodies) == before + 1, bodies[before:]
    answer = bodies[-1]
    assert segments.count(answer).count <= most, f"more than {most} SMS: {answer}"
    assert not re.search(r"[a-z]+_[a-z]+", answer), answer
    return answer


def _say(app: Flask, client: FlaskClient, phone: str, text: str, most: int = 1) -> str:
    """Send a text from the phone; return the one answer it got (through the outbox)."""
    before = len(_bodies(client, phone))
    assert client.post(f"/dev/phones/{phone}", data={"text": text}).status_code == 302
    return _last(app, client, phone, before + 1, most)


def _reports() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(ReportIn)) or 0)


def test_a_member_reports_in_and_is_approved_by_sms_alone(
    app: Flask, client: FlaskClient, world: World
) -> None:
    # Only the keyword: how to do it, and where the units' names are.
    assert "请发“报到 单位全称 您的姓名”报到。单位全称见" in _say(app, client, MEMBER, "报到")
    assert "/join/xf" in _bodies(client, MEMBER)[-1]
    # A name typed short: the community is still found from it, and the near unit suggested
    # (with the link and where else to ask, two SMS).
    short = _say(app, client, MEMBER, "报到 供电局", most=2)
    assert "未找到共建单位“供电局”" in short and "您是否指：区供电局？" in short
    # A new phone without a name: asked for it.
    assert "请在单位名后写上您的姓名" in _say(app, client, MEMBER, "报到 区供电局")
    assert _reports() == 0
    assert "已收到您的报到（区供电局）" in _say(app, client, MEMBER, "报到 区供电局 张三")
    assert "待审核" in _say(app, client, MEMBER, "报到 区供电局 张三")
    assert _reports() == 1

    # The secretary approves on the page; the member is told by SMS.
    sign_in(client, world.secretary.phone)
    report = db.session.scalar(select(ReportIn))
    assert report is not None
    before = len(_bodies(client, MEMBER))
    assert client.post(f"/report-in/{report.id}/approve").status_code == 302
    approved = _last(app, client, MEMBER, before)
    assert "您的报到已通过，现为区供电局在职党员" in approved
    member = db.session.scalar(select(Person).where(Person.phone == MEMBER))
    assert member is not None and member.partner_unit_id == world.unit.id
    assert "已通过" in _say(app, client, MEMBER, "报到 区供电局 张三")

    # The unit's liaison answers the quarter by SMS too.
    assert "请在“反馈”后写上意见" in _say(app, client, LIAISON, "反馈")
    assert "已收到区供电局对" in _say(app, client, LIAISON, "反馈 服务及时")
