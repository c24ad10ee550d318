"""Texts from unknown numbers: those to no community's number reach the street's administrators.

A community's staff see the texts that came to their community (tests/messages/
test_outbox_pages.py); a stranger's text to no community's number belonged to no one's page
until there were administrators.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEntry, Street, db, utcnow
from notify import inbound
from services.administration import operations
from tests.support import sign_in

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def world(make: Any) -> SimpleNamespace:
    street = Street(name="城关街道", code="chengguan")
    db.session.add(street)
    db.session.commit()
    a = make.community(code="a", name="甲社区", street_id=street.id, sms_number="+861069990001")
    b = make.community(code="b", name="乙社区", street_id=street.id, sms_number="+861069990002")
    street_admin = make.person(name="街道管理员")
    a_admin = make.person(name="甲社区管理员")
    a_secretary = make.person(name="甲书记")
    make.post(a_secretary, "secretary", community=a)
    today = a.created_at.date()
    operations.grant(street_admin, street=street, by=None, today=today)
    operations.grant(a_admin, community=a, by=None, today=today)
    resident = make.resident(make.household(make.building(make.grid(a))), phone="+8613900007777")
    db.session.commit()
    now = utcnow()
    for phone, to, text, sid in (
        ("+8613900009999", None, "没人管的短信", "n"),  # to no community's number
        ("+8613900009998", "+861079990000", "发错号码了", "m"),  # to a number nobody has
        ("+8613900008888", a.sms_number, "甲社区路灯坏了", "a"),
        ("+8613900006666", b.sms_number, "乙社区井盖丢了", "b"),
        (resident.phone, a.sms_number, "谢谢社区", "r"),  # a resident on the roster
    ):
        inbound.handle(
            channel="sms", provider_id=f"SM{sid}", address=phone, phone=phone, text=text,
            now=now, to=to,
        )  # fmt: skip
    db.session.commit()
    return SimpleNamespace(
        a=a, b=b, street_admin=street_admin, a_admin=a_admin, a_secretary=a_secretary
    )


def _texts(client: FlaskClient, phone: str) -> str:
    client.post("/sign-out")
    sign_in(client, phone)
    response = client.get("/admin/texts")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_texts_to_no_community_reach_the_street_administrators(
    app: Flask, client: FlaskClient, world: SimpleNamespace
) -> None:
    page = _texts(client, world.street_admin.phone)
    assert "没人管的短信" in page and "发错号码了" in page
    assert "139****9999" in page and "无所属社区" in page
    # Their communities' strangers too, but never a known resident's text.
    assert "甲社区路灯坏了" in page and "乙社区井盖丢了" in page
    assert "谢谢社区" not in page


def test_a_community_administrator_sees_only_their_communitys_strangers(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    page = _texts(client, world.a_admin.phone)
    assert "甲社区路灯坏了" in page
    assert "没人管的短信" not in page and "乙社区井盖丢了" not in page and "谢谢社区" not in page
    # The read is in the community's audit trail, as the staff's inbound page is.
    db.session.rollback()
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.actor_id == world.a_admin.id, AuditEntry.community_id == world.a.id
        )
    )
    assert entry is not None and entry.action == "view" and "strangers" in entry.detail


def test_the_secretary_still_sees_none_without_a_community(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    client.post("/sign-out")
    sign_in(client, world.a_secretary.phone)
    assert client.get("/admin/texts").status_code == 404
    page = client.get("/secretary/outbox/inbound").get_data(as_text=True)
    assert "甲社区路灯坏了" in page and "没人管的短信" not in page
