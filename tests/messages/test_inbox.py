"""Every message also lands in the person's in-app inbox."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import InboxItem, db
from notify import Message, send_later
from tests.support import sign_in


def test_messages_land_in_the_inbox_whatever_the_channel(client: FlaskClient, make: Any) -> None:
    me, other = make.person(), make.person()
    send_later(
        Message(
            "notice", {"text": "周六义诊<b>请带医保卡</b>"}, batch_key="n:1", urgent=True, ref="T34"
        ),
        to=[me, other],
    )
    send_later(Message("notice", {"text": "只给别人"}, batch_key="n:2", urgent=True), to=[other])
    db.session.commit()
    sign_in(client, me.phone)  # the sign-in code itself is secret: it is not kept here
    page = client.get("/me/inbox").get_data(as_text=True)
    assert "周六义诊&lt;b&gt;请带医保卡&lt;/b&gt;" in page and "T34" in page
    assert "只给别人" not in page and "验证码" not in page
    assert client.post("/me/inbox/read").status_code == 302
    unread = db.session.scalar(
        select(func.count(InboxItem.id)).where(
            InboxItem.person_id == me.id, InboxItem.read_at.is_(None)
        )
    )
    assert unread == 0
    assert (
        db.session.scalar(select(func.count(InboxItem.id)).where(InboxItem.read_at.is_(None))) == 2
    )  # the other person's are untouched


def test_inbox_needs_sign_in(client: FlaskClient) -> None:
    assert client.get("/me/inbox").status_code == 302
