"""A send's outcome written on its delivery: sent, refused (the next channel, or failed), or to
be tried again after a backoff."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from models import Delivery, DeliveryState, SmsOptOut, TelegramLink, db
from notify import reasons
from notify.channels import PermanentFailure, Sent, TransientFailure
from notify.channels.telegram import status as telegram_status
from notify.channels.twilio import status as twilio_status
from notify.channels.wecom import status as wecom_status
from notify.template_sending import TemplateSending

MAX_ATTEMPTS = 8


def backoff(attempts: int, retry_after: float | None = None, base: float = 10.0) -> timedelta:
    """Return how long to wait before the next try: 10 s, 20 s, 40 s … capped at 10 minutes."""
    seconds = min(600.0, base * 2 ** max(0, attempts - 1))
    if retry_after:
        seconds = max(seconds, retry_after)
    return timedelta(seconds=seconds)


def record(
    d: Delivery,
    result: Sent | Exception,
    finished: datetime,
    templated: TemplateSending,
    retry_base_seconds: float,
) -> bool:
    """Write one send's outcome on its row; return True when it goes to another channel."""
    if isinstance(result, Sent):
        sent(d, result, finished)
        return False
    if isinstance(result, PermanentFailure):
        return fall_back(d, result, finished)
    assert isinstance(result, TransientFailure)
    retry_later(d, result, finished, templated, retry_base_seconds)
    return False


def sent(d: Delivery, sent: Sent, now: datetime) -> None:
    d.state = DeliveryState.DELIVERED if sent.state == "delivered" else DeliveryState.SENT
    d.provider_id = sent.provider_id
    d.segments = sent.segments
    d.sent_at = now
    d.error_code = None
    d.error_reason = ""
    if d.state == DeliveryState.DELIVERED:
        d.finished_at = now
    d.note(now, "sent", channel=d.channel, id=sent.provider_id)


def fall_back(d: Delivery, failure: PermanentFailure, now: datetime) -> bool:
    """Record a refusal; return True when the delivery goes on to its next channel."""
    d.note(now, "refused", channel=d.channel, code=failure.code)
    if d.channel == "telegram" and failure.code == telegram_status.BLOCKED:
        db.session.execute(
            update(TelegramLink)
            .where(TelegramLink.chat_id == int(d.address))
            .values(blocked_at=now)
        )
    if d.channel == "sms" and failure.code == twilio_status.UNSUBSCRIBED:
        db.session.merge(SmsOptOut(phone=d.address, since=now, via="provider"))
    rest = [c for c in (d.channels or []) if c != f"{d.channel}:{d.address}"]
    d.claim_token = None
    if rest:
        d.channels = rest
        d.channel, d.address = rest[0].split(":", 1)
        d.state = DeliveryState.QUEUED
        d.attempts = 0
        return True
    d.state = DeliveryState.FAILED
    d.error_code = failure.code
    d.error_reason = reasons.reason(failure.code, failure.reason)
    d.finished_at = now
    return False


def retry_later(
    d: Delivery,
    failure: TransientFailure,
    now: datetime,
    templated: TemplateSending,
    retry_base_seconds: float,
) -> None:
    d.claim_token = None
    d.note(now, "retry", channel=d.channel, code=failure.code)
    if failure.code == wecom_status.PACED:
        # Waiting for a place in the robot's window never reached WeCom: not a try.
        d.attempts = max(0, d.attempts - 1)
    if failure.uncertain:
        d.uncertain = True  # it may have gone: the provider is asked before it goes again
    if failure.stop_provider:
        templated.stop_provider(d, failure, now)
    if failure.hold:
        # The provider asked us to wait (a per-number limit, an empty balance): not a try.
        d.attempts = max(0, d.attempts - 1)
        d.state = DeliveryState.DEFERRED
        d.not_before = now + timedelta(seconds=failure.retry_after or 60)
        d.error_code = failure.code
        d.error_reason = reasons.reason(failure.code, failure.reason)
        return
    if d.attempts >= MAX_ATTEMPTS:
        d.state = DeliveryState.FAILED
        d.error_code = failure.code
        d.error_reason = reasons.reason("retries_exhausted")
        d.finished_at = now
        return
    d.state = DeliveryState.DEFERRED
    d.not_before = now + backoff(d.attempts, failure.retry_after, retry_base_seconds)
    d.error_code = failure.code
    d.error_reason = reasons.reason(failure.code, failure.reason)
