"""The template providers' part of sending a batch (Alibaba Cloud, Tencent Cloud).

Their deliveries go as approved templates (notify.mainland), grouped into as few API calls
as the provider allows (`send_many`), each call paced by the account's shared rate
(<PROVIDER>_SMS_RATE). An empty balance stops a community's sending through the provider
(SmsProviderHold: its deliveries wait, its staff are told once) until a send goes through.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy import delete, select

from models import Delivery, DeliveryState, SmsProviderHold, db
from notify import alerts, reasons
from notify.channels import Outgoing, Sent, TransientFailure
from notify.ratelimit import SendRate

log = logging.getLogger(__name__)

HoldKey = tuple[int | None, str]  # (community id, provider)


class TemplateSending:
    """One per dispatcher: the providers' paces, and per batch the holds and who sends what."""

    def __init__(self, config: Mapping[str, Any], redis: Redis | None) -> None:
        self.config = config
        self.redis = redis
        self.rates: dict[str, SendRate] = {}
        # For the batch being sent: the template provider of each delivery, and the holds.
        self.providers: dict[int, str] = {}
        self.holds: dict[HoldKey, SmsProviderHold] = {}

    def begin_batch(self) -> None:
        self.providers = {}
        self.holds = {
            (h.community_id, h.provider): h for h in db.session.scalars(select(SmsProviderHold))
        }

    def held(self, d: Delivery, provider: str, now: datetime) -> SmsProviderHold | None:
        """Return the hold that stops this community's sending through the provider, if any."""
        hold = self.holds.get((d.community_id, provider))
        return hold if hold is not None and hold.until > now else None

    def pace(self, provider: str) -> SendRate | None:
        """The shared rate of a template provider's API calls (e.g. ALIBABA_SMS_RATE)."""
        rate = float(self.config.get(f"{provider.upper()}_SMS_RATE", 0) or 0)
        if self.redis is None or rate <= 0:
            return None
        if provider not in self.rates:
            self.rates[provider] = SendRate(self.redis, f"linli:rate:sms:{provider}", rate)
        return self.rates[provider]

    def send_group(
        self, channel: Any, name: str, outgoing: list[Outgoing]
    ) -> list[Sent | Exception]:
        """Hand up to a thousand messages to the provider's send_many; a result for each."""
        rate = self.pace(name.partition(":")[2])
        try:
            results: list[Sent | Exception] = channel.send_many(
                outgoing, pace=rate.acquire if rate is not None else None
            )
            return results
        except Exception as error:  # an unexpected error is treated as worth retrying
            log.exception("sending %d deliveries failed", len(outgoing))
            return [TransientFailure("error", type(error).__name__)] * len(outgoing)

    def stop_provider(self, d: Delivery, failure: TransientFailure, now: datetime) -> None:
        """Stop this community's sending through the provider; tell its staff once."""
        provider = self.providers.get(d.id)
        if d.community_id is None or provider is None:
            return
        until = now + timedelta(seconds=failure.retry_after or 600)
        hold = db.session.get(SmsProviderHold, (d.community_id, provider))
        if hold is None:
            hold = SmsProviderHold(
                community_id=d.community_id,
                provider=provider,
                code=failure.code,
                since=now,
                until=until,
            )
            db.session.add(hold)
        hold.until = max(hold.until, until)
        if hold.alerted_at is None:
            hold.alerted_at = now
            alerts.balance_empty(d.community_id, provider, now)

    def lift_holds(self, sent: Sequence[Delivery]) -> bool:
        """A send that went through a held provider means the balance is back: lift the hold.

        Returns True when a hold was lifted (the caller commits).
        """
        if not self.holds:
            return False
        lifted = {
            (d.community_id, self.providers[d.id])
            for d in sent
            if d.id in self.providers
            and d.state in (DeliveryState.SENT, DeliveryState.DELIVERED)
            and (d.community_id, self.providers[d.id]) in self.holds
        }
        for community_id, provider in lifted:
            db.session.execute(
                delete(SmsProviderHold).where(
                    SmsProviderHold.community_id == community_id,
                    SmsProviderHold.provider == provider,
                )
            )
        return bool(lifted)


def wait_for_balance(d: Delivery, hold: SmsProviderHold, now: datetime) -> None:
    """Defer a delivery while its community's sending through the provider is stopped."""
    d.claim_token = None
    d.attempts = max(0, d.attempts - 1)  # waiting is not a try
    d.state = DeliveryState.DEFERRED
    d.not_before = hold.until
    d.error_code = hold.code
    d.error_reason = reasons.reason("balance_empty")
    d.note(now, "deferred", reason="balance_empty")


def refuse(d: Delivery, code: str, reason: str, now: datetime) -> None:
    """Refuse a delivery before any provider is called (no template, a bad parameter)."""
    d.claim_token = None
    d.state = DeliveryState.FAILED
    d.error_code = code
    d.error_reason = reason
    d.finished_at = now
    d.note(now, "refused", code=code)
