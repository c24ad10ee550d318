"""The outbox: one delivery per recipient per message, sent after commit, by the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from models import Delivery, DeliveryState, DevInboxMessage, InboxItem, SmsOptOut, db, utcnow
from notify import Message, send_later
from notify.dispatch import Dispatcher, render_for
from notify.outcomes import backoff
from notify.sweep import sweep
from tests.support import run_jobs

NOON_SHANGHAI = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
NIGHT_SHANGHAI = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai


def _notice(batch: str, text: str = "周六上午9点社区义诊", **kw: Any) -> Message:
    return Message("notice", {"text": text}, batch_key=batch, **kw)


def _deliveries() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def test_send_after_commit_reaches_the_phone(app: Flask, make: Any) -> None:
    c = make.community(sms_signature="【新丰路社区】")
    person = make.person()
    send_later(_notice("t:1", urgent=True, community_id=c.id), to=[person])
    db.session.commit()
    assert run_jobs(app) >= 1
    [d] = _deliveries()
    assert d.state == DeliveryState.DELIVERED and d.channel == "sms"
    body = db.session.scalar(
        select(DevInboxMessage.body).where(DevInboxMessage.phone == person.phone)
    )
    assert body == "【新丰路社区】周六上午9点社区义诊"
    inbox = db.session.scalar(select(InboxItem).where(InboxItem.person_id == person.id))
    assert inbox.body == "周六上午9点社区义诊"


def test_rolled_back_action_sends_nothing(app: Flask, make: Any) -> None:
    person = make.person()
    send_later(_notice("t:2", urgent=True), to=[person])
    db.session.rollback()
    assert run_jobs(app) == 0
    assert _deliveries() == []
    assert db.session.scalar(select(func.count(DevInboxMessage.id))) == 0


def test_same_batch_twice_records_one_delivery(app: Flask, make: Any) -> None:
    person = make.person()
    send_later(_notice("t:3", urgent=True), to=[person, person])
    db.session.commit()
    send_later(_notice("t:3", urgent=True), to=[person])
    db.session.commit()
    run_jobs(app)
    assert len(_deliveries()) == 1
    assert db.session.scalar(select(func.count(DevInboxMessage.id))) == 1


def test_resident_without_phone_is_reached_through_the_household_contact(
    app: Flask, make: Any
) -> None:
    c = make.community()
    household = make.household(
        make.building(make.grid(c)), contact_name="儿子", contact_phone="+8613977778888"
    )
    grandma = make.resident(household, name="王奶奶", phone=None)
    nobody = make.resident(make.household(make.building(make.grid(c))), name="李爷爷", phone=None)
    send_later(_notice("t:4", urgent=True, community_id=c.id), to=[grandma, nobody])
    db.session.commit()
    run_jobs(app)
    relayed, unreachable = _deliveries()
    assert relayed.address == "+8613977778888" and relayed.state == DeliveryState.DELIVERED
    body = db.session.scalar(select(DevInboxMessage.body))
    assert "请转告王奶奶：" in body
    assert unreachable.state == DeliveryState.FAILED and unreachable.error_code == "no_channel"
    assert "nobody to reach" in unreachable.error_reason


def test_quiet_hours_defer_non_urgent_messages(app: Flask, make: Any) -> None:
    c = make.community()
    person = make.person()
    send_later(_notice("t:5", community_id=c.id), to=[person], now=NIGHT_SHANGHAI)
    send_later(_notice("t:6", urgent=True, community_id=c.id), to=[person], now=NIGHT_SHANGHAI)
    db.session.commit()
    deferred, urgent = _deliveries()
    assert deferred.state == DeliveryState.DEFERRED
    # 08:00 the next morning in Shanghai.
    assert deferred.not_before == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert urgent.state == DeliveryState.QUEUED
    # The sweep leaves it alone until morning, then queues it.
    assert deferred.id not in sweep(now=NIGHT_SHANGHAI + timedelta(hours=1))
    assert deferred.id in sweep(now=datetime(2026, 11, 26, 0, 1, tzinfo=UTC))


def test_rules_at_send_time(app: Flask, make: Any) -> None:
    opted_out, twice, busy = make.person(), make.person(), make.person()
    db.session.add(SmsOptOut(phone=opted_out.phone))
    db.session.commit()
    send_later(_notice("t:7"), to=[opted_out, twice, busy], now=NOON_SHANGHAI)
    send_later(_notice("t:8"), to=[twice], now=NOON_SHANGHAI)  # same text again
    for i in range(5):
        send_later(_notice(f"t:cap:{i}", text=f"通知{i}"), to=[busy], now=NOON_SHANGHAI)
    db.session.commit()
    rows = _deliveries()
    dispatcher = Dispatcher({"SEND_CONCURRENCY": 2, "MESSAGES_PER_DAY": 5}, None)
    # Send in creation order, as the queue would.
    for row in rows:
        dispatcher.deliver([row.id], now=NOON_SHANGHAI + timedelta(minutes=1))
    by = {(d.recipient_key, d.batch_key): d for d in _deliveries()}
    assert by[(f"p{opted_out.id}", "t:7")].state == DeliveryState.SUPPRESSED
    assert by[(f"p{opted_out.id}", "t:7")].error_code == "opted_out"
    assert by[(f"p{twice.id}", "t:7")].state == DeliveryState.DELIVERED
    assert by[(f"p{twice.id}", "t:8")].error_code == "duplicate"
    # The sixth non-urgent message of the day waits for tomorrow.
    capped = [d for d in _deliveries() if d.person_id == busy.id and d.state == "deferred"]
    assert len(capped) == 1 and capped[0].not_before > NOON_SHANGHAI + timedelta(hours=12)


def test_stale_messages_are_not_sent(app: Flask, make: Any) -> None:
    person = make.person()
    send_later(_notice("t:9", urgent=True), to=[person], now=utcnow() - timedelta(days=1))
    db.session.commit()
    run_jobs(app)
    [d] = _deliveries()
    assert d.state == DeliveryState.SUPPRESSED and d.error_code == "stale"


def test_a_delivery_is_claimed_once(app: Flask, make: Any) -> None:
    person = make.person()
    [delivery_id] = send_later(_notice("t:10", urgent=True), to=[person])
    db.session.commit()
    dispatcher = Dispatcher({}, None)
    first = dispatcher.claim([delivery_id], utcnow())
    second = dispatcher.claim([delivery_id], utcnow())
    assert [d.id for d in first] == [delivery_id] and second == []


def test_sweep_requeues_what_was_lost(app: Flask, make: Any) -> None:
    a, b = make.person(), make.person()
    lost_queue, dead_worker = send_later(_notice("t:11", urgent=True), to=[a, b])
    db.session.commit()
    from notify.queueing import enqueuer

    enqueuer(app).wait()
    now = utcnow()
    row = db.session.get(Delivery, dead_worker)
    row.state, row.claimed_at = DeliveryState.SENDING, now - timedelta(minutes=5)
    # As if Redis had been down: the row never reached the queue.
    never_queued = db.session.get(Delivery, lost_queue)
    never_queued.created_at, never_queued.enqueued_at = now - timedelta(minutes=1), None
    db.session.commit()
    assert sorted(sweep(now=now)) == sorted([lost_queue, dead_worker])
    row = db.session.get(Delivery, dead_worker)
    assert row.state == DeliveryState.QUEUED and row.uncertain


def test_backoff_grows_and_honours_retry_after() -> None:
    assert backoff(1) == timedelta(seconds=10)
    assert backoff(3) == timedelta(seconds=40)
    assert backoff(20) == timedelta(minutes=10)
    assert backoff(1, retry_after=30) == timedelta(seconds=30)


def test_render_carries_reference_and_signature(app: Flask, make: Any) -> None:
    person = make.person()
    [delivery_id] = send_later(_notice("t:12", urgent=True, ref="W12"), to=[person])
    d = db.session.get(Delivery, delivery_id)
    assert render_for(d, "sms", "【邻里】") == "【邻里】周六上午9点社区义诊（W12）"
    assert render_for(d, "telegram", "【邻里】") == "周六上午9点社区义诊（W12）"
