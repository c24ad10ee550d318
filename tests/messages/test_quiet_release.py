"""Messages held for quiet hours each get their own release time, spread at the provider's
rate, and the pages say when they go ("08:00 发送") rather than a bare "暂缓"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    Delivery,
    DeliveryState,
    InboxItem,
    TelegramLink,
    db,
)
from notify import Message, send_later
from notify.dispatch import Dispatcher
from notify.sweep import sweep
from pwa import auth
from tests.support import sign_in

NIGHT = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
MORNING = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 08:00 the next day in Shanghai
RATE = 2.0  # SMS a second: one every half second


@pytest.fixture
def paced(app: Flask) -> Iterator[Flask]:
    app.config["SMS_RATE_PER_SECOND"] = RATE
    yield app
    app.config["SMS_RATE_PER_SECOND"] = 0


def _notice(batch: str, community: Any) -> Message:
    return Message("notice", {"text": f"通知{batch}"}, batch_key=batch, community_id=community.id)


def _times(batch: str) -> list[datetime | None]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Delivery).where(Delivery.batch_key == batch).order_by(Delivery.id)
    )
    return [d.not_before for d in rows]


def test_held_sms_are_spread_at_the_providers_rate(paced: Flask, make: Any) -> None:
    c = make.community()
    people = [make.person() for _ in range(5)]
    send_later(_notice("q:1", c), to=people, now=NIGHT)
    db.session.commit()
    step = timedelta(seconds=1 / RATE)
    assert _times("q:1") == [MORNING + i * step for i in range(5)]
    # A later batch for the same morning goes after them, not at 08:00 again.
    send_later(_notice("q:2", c), to=people[:2], now=NIGHT + timedelta(hours=1))
    db.session.commit()
    assert _times("q:2") == [MORNING + 5 * step, MORNING + 6 * step]
    # Each stays worth sending for its kind's validity from its own release.
    last = db.session.scalars(select(Delivery).order_by(Delivery.id.desc())).first()
    assert last.valid_until == last.not_before + timedelta(hours=12)
    # The sweep hands them over as their times come, not all at 08:00.
    due = sweep(now=MORNING + timedelta(seconds=1))
    assert len(due) == 3
    assert len(sweep(now=MORNING + timedelta(seconds=4))) == 7


def test_telegram_and_an_unpaced_provider_release_at_the_end_of_quiet_hours(
    app: Flask, make: Any
) -> None:
    c = make.community()
    people = [make.person() for _ in range(3)]
    send_later(_notice("q:3", c), to=people, now=NIGHT)
    db.session.commit()
    assert _times("q:3") == [MORNING] * 3  # SMS_RATE_PER_SECOND = 0: no pace to keep
    app.config["SMS_RATE_PER_SECOND"] = RATE
    try:
        linked = make.person()
        db.session.add(TelegramLink(person_id=linked.id, chat_id=7701, linked_at=NIGHT))
        db.session.commit()
        send_later(_notice("q:4", c), to=[linked, make.person()], now=NIGHT)
        db.session.commit()
    finally:
        app.config["SMS_RATE_PER_SECOND"] = 0
    # Telegram has no shared rate: 08:00. The SMS comes after the three already at 08:00.
    assert _times("q:4") == [MORNING, MORNING + timedelta(seconds=1 / RATE)]


def test_a_worker_holding_messages_at_night_spreads_them_too(app: Flask, make: Any) -> None:
    c = make.community()
    people = [make.person() for _ in range(4)]
    # Written in the evening, still queued when the worker takes them after 21:00.
    ids = send_later(_notice("q:5", c), to=people, now=NIGHT - timedelta(hours=2))
    db.session.commit()
    Dispatcher({"SMS_RATE_PER_SECOND": 4}, None).deliver(ids, now=NIGHT)
    rows = [db.session.get(Delivery, i) for i in ids]
    assert all(d.state == DeliveryState.DEFERRED for d in rows)
    assert [d.not_before for d in rows] == [MORNING + i * timedelta(seconds=0.25) for i in range(4)]


# -- the pages --------------------------------------------------------------------------------


def _clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Set the pages' clock (once signed in: a sign-in code sent "at night" would be stale)."""
    monkeypatch.setattr(auth, "now", lambda: moment)


def _held_delivery(community: Any, person: Any, batch: str, at: datetime) -> Delivery:
    row = Delivery(
        batch_key=batch,
        recipient_key=f"p{person.id}",
        kind="notice",
        params={"text": "周六上午9点社区义诊"},
        community_id=community.id,
        person_id=person.id,
        channels=[f"sms:{person.phone}"],
        channel="sms",
        address=person.phone,
        state=DeliveryState.DEFERRED,
        not_before=at,
    )
    db.session.add(row)
    db.session.commit()
    return row


def _secretary(client: FlaskClient, make: Any) -> Any:
    c = make.community(sms_signature="【新丰路社区】")
    secretary = make.person(name="李书记")
    make.post(secretary, "secretary", community=c)
    sign_in(client, secretary.phone)
    return c, secretary


def test_the_outbox_says_when_a_held_message_goes(
    client: FlaskClient, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, _ = _secretary(client, make)
    _clock(monkeypatch, NIGHT)
    tomorrow = _held_delivery(c, make.person(), "h:1", MORNING + timedelta(seconds=90))
    html = client.get(f"/secretary/outbox?community={c.id}&state=deferred").get_data(True)
    row = re.search(rf'<tr data-id="{tomorrow.id}".*?</tr>', html, re.S)
    assert row is not None
    assert "明天 08:01 发送" in row.group(0)
    assert "暂缓" not in row.group(0)
    client.set_cookie("linli_lang", "en")
    html = client.get(f"/secretary/outbox?community={c.id}").get_data(True)
    assert "goes tomorrow 08:01" in html


def test_each_held_row_says_its_own_minute(
    client: FlaskClient, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page of held rows says each one's minute (the page works each minute out once)."""
    c, _ = _secretary(client, make)
    _clock(monkeypatch, NIGHT)
    at = {
        seconds: _held_delivery(
            c, make.person(), f"h:s{seconds}", MORNING + timedelta(seconds=seconds)
        )
        for seconds in (10, 59, 61, 3600 * 24 + 5)
    }
    html = client.get(f"/secretary/outbox?community={c.id}&state=deferred").get_data(True)
    shown = {}
    for seconds, delivery in at.items():
        row = re.search(rf'<tr data-id="{delivery.id}".*?</tr>', html, re.S)
        assert row is not None
        shown[seconds] = re.search(r'data-goes="[^"]+">([^<]+)<', row.group(0)).group(1)
    assert shown == {
        10: "明天 08:00 发送",
        59: "明天 08:00 发送",
        61: "明天 08:01 发送",
        3600 * 24 + 5: "11-27 08:00 发送",
    }


def test_after_midnight_the_time_alone_is_shown(
    client: FlaskClient, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, _ = _secretary(client, make)
    _clock(monkeypatch, MORNING - timedelta(hours=2))  # 06:00
    held = _held_delivery(c, make.person(), "h:2", MORNING)
    html = client.get(f"/secretary/outbox?community={c.id}").get_data(True)
    row = re.search(rf'<tr data-id="{held.id}".*?</tr>', html, re.S)
    assert row is not None and "08:00 发送" in row.group(0) and "明天" not in row.group(0)


def test_the_broadcast_report_says_when_its_held_messages_go(
    client: FlaskClient, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, secretary = _secretary(client, make)
    _clock(monkeypatch, NIGHT)
    broadcast = Broadcast(
        community_id=c.id,
        kind=BroadcastKind.INFORMATION,
        text="周六上午9点社区义诊",
        created_by_id=secretary.id,
        status="sending",
        sent_at=NIGHT,
    )
    db.session.add(broadcast)
    db.session.commit()
    for n, person in enumerate(make.person() for _ in range(3)):
        _held_delivery(c, person, broadcast.batch_key, MORNING + timedelta(minutes=8 * n))
        db.session.add(
            BroadcastRecipient(
                broadcast_id=broadcast.id, recipient_key=f"p{person.id}", person_id=person.id
            )
        )
    db.session.commit()
    html = client.get(f"/broadcasts/{broadcast.id}").get_data(True)
    assert "明天 08:00–08:16 发送" in html
    assert "暂缓" not in html


def test_a_residents_inbox_says_when_the_sms_goes(
    client: FlaskClient, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = make.community()
    person = make.person()
    household = make.household(make.building(make.grid(c)))
    make.resident(household, person_id=person.id, phone=person.phone)
    db.session.add(
        InboxItem(person_id=person.id, batch_key="h:3", kind="notice", body="周六上午9点社区义诊")
    )
    db.session.commit()
    _held_delivery(c, person, "h:3", MORNING)
    sign_in(client, person.phone)
    _clock(monkeypatch, NIGHT)
    html = client.get("/me/inbox").get_data(True)
    assert "周六上午9点社区义诊" in html and "明天 08:00 发送" in html
