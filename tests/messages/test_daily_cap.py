"""The daily cap per phone (MESSAGES_PER_DAY) holds inside one batch and across batches sent
at once by two workers."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from models import DailySends, Delivery, DeliveryState, DevInboxMessage, db
from models.base import writing
from notify import Message, send_later
from notify.dispatch import Dispatcher
from services import housekeeping
from tests.fakes.twilio import FakeTwilio

NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
CAP = 5


def _notices(person: Any, n: int, prefix: str = "n") -> list[int]:
    ids = []
    for i in range(n):
        message = Message("notice", {"text": f"通知{prefix}{i}"}, batch_key=f"cap:{prefix}{i}")
        ids += send_later(message, to=[person], now=NOON)
    db.session.commit()
    return ids


def _states(ids: list[int]) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Delivery, i).state for i in ids]


def _received(phone: str) -> int:
    return int(
        db.session.scalar(
            select(func.count(DevInboxMessage.id)).where(DevInboxMessage.phone == phone)
        )
        or 0
    )


def test_one_batch_of_more_than_the_cap_sends_exactly_the_cap(app: Flask, make: Any) -> None:
    person = make.person()
    ids = _notices(person, 8)
    Dispatcher({"MESSAGES_PER_DAY": CAP}, None).deliver(ids, now=NOON + timedelta(minutes=1))
    states = _states(ids)
    # The first five, in the order they were written, go; the rest wait for tomorrow.
    assert states == [DeliveryState.DELIVERED] * CAP + [DeliveryState.DEFERRED] * 3
    assert _received(person.phone) == CAP
    held = [db.session.get(Delivery, i) for i in ids[CAP:]]
    assert all(d.not_before is not None and d.not_before > NOON + timedelta(hours=12) for d in held)
    assert db.session.scalars(select(DailySends.used)).one() == CAP


def test_urgent_messages_are_not_capped_and_take_no_place(app: Flask, make: Any) -> None:
    person = make.person()
    urgent = [
        send_later(
            Message("notice", {"text": f"紧急{i}"}, batch_key=f"u:{i}", urgent=True),
            to=[person],
            now=NOON,
        )[0]
        for i in range(3)
    ]
    ids = _notices(person, CAP)
    Dispatcher({"MESSAGES_PER_DAY": CAP}, None).deliver(
        urgent + ids, now=NOON + timedelta(minutes=1)
    )
    assert _states(urgent + ids) == [DeliveryState.DELIVERED] * (3 + CAP)


def test_what_was_sent_earlier_today_counts(app: Flask, make: Any) -> None:
    person = make.person()
    earlier = _notices(person, 3, "a")
    # Sent this morning, before any counter row existed (as just after an upgrade).
    for i in earlier:
        d = db.session.get(Delivery, i)
        d.state, d.sent_at = DeliveryState.DELIVERED, NOON - timedelta(hours=2)
    db.session.commit()
    ids = _notices(person, 4, "b")
    Dispatcher({"MESSAGES_PER_DAY": CAP}, None).deliver(ids, now=NOON + timedelta(minutes=1))
    assert _states(ids) == [DeliveryState.DELIVERED] * 2 + [DeliveryState.DEFERRED] * 2


def test_two_batches_sent_at_once_send_exactly_the_cap(app: Flask, make: Any) -> None:
    person = make.person()
    first, second = _notices(person, 6, "x"), _notices(person, 6, "y")
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(ids: list[int]) -> None:
        # A worker process of its own: its own app context, session and dispatcher.
        try:
            with app.app_context(), writing():
                dispatcher = Dispatcher({"MESSAGES_PER_DAY": CAP, "SEND_CONCURRENCY": 2}, None)
                start.wait(5)
                dispatcher.deliver(ids, now=NOON + timedelta(minutes=1))
                db.session.remove()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(ids,)) for ids in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    states = _states(first + second)
    assert states.count(DeliveryState.DELIVERED) == CAP
    assert states.count(DeliveryState.DEFERRED) == 12 - CAP
    assert _received(person.phone) == CAP


def test_a_message_the_provider_refused_for_now_gives_its_place_back(app: Flask, make: Any) -> None:
    person = make.person()
    first, second = _notices(person, 2)
    with FakeTwilio() as twilio:
        config = {
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM_NUMBER": "+15005550006",
            "TWILIO_API_BASE_URL": twilio.base_url,
            "MESSAGES_PER_DAY": 1,
            "SEND_RETRY_BASE_SECONDS": 1,
        }
        dispatcher = Dispatcher(config, None)
        try:
            twilio.fail_next(1, 503)
            dispatcher.deliver([first], now=NOON)
            # Refused for now: it will be tried again, and its place is free meanwhile.
            assert _states([first]) == [DeliveryState.DEFERRED]
            assert db.session.scalars(select(DailySends.used)).one() == 0
            dispatcher.deliver([second], now=NOON + timedelta(seconds=1))
            assert _states([second]) == [DeliveryState.SENT]
            # The retry finds the day's one place taken: it waits for tomorrow.
            dispatcher.deliver([first], now=NOON + timedelta(minutes=1))
            retried = db.session.get(Delivery, first)
            assert retried.state == DeliveryState.DEFERRED
            assert retried.not_before > NOON + timedelta(hours=12)
        finally:
            dispatcher.pool.shutdown()
    assert [m["to"] for m in twilio.messages] == [person.phone]
    assert db.session.scalars(select(DailySends.used)).one() == 1


def test_housekeeping_deletes_the_counters_of_days_gone_by(app: Flask, make: Any) -> None:
    today = date(2026, 11, 25)
    for day in (today, today - timedelta(days=1), today - timedelta(days=2)):
        db.session.add(DailySends(address="+8613900000001", day=day, used=5))
    db.session.commit()
    assert housekeeping.delete_old_counters(NOON) == 1
    db.session.commit()
    days = set(db.session.scalars(select(DailySends.day)))
    assert days == {today, today - timedelta(days=1)}
