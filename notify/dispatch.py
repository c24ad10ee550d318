"""The worker side of the outbox: claim deliveries, apply the rules, send, record the outcome.

The delivery row is the truth. A worker claims rows with one conditional UPDATE (so two
workers never send the same row), talks to providers in a thread pool (paced by the shared
send rate), then writes every outcome in one transaction. The sweep finds what was never
queued, what is due after a deferral, and what a dead worker left "sending".
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError

from models import (
    Community,
    Delivery,
    DeliveryState,
    db,
    utcnow,
)
from models.base import writing
from notify import (
    daily_cap,
    holds,
    mainland,
    outcomes,
    quiet,
    status,
    template_sending,
    templates,
)
from notify.channels import (
    Channel,
    Outgoing,
    PermanentFailure,
    Sent,
    TransientFailure,
    for_name,
    for_provider,
)
from notify.channels.twilio import status as twilio_status
from notify.queueing import locked_in_id_order
from notify.ratelimit import SendRate
from notify.template_sending import TemplateSending

log = logging.getLogger(__name__)

DEFAULT_SIGNATURE = "【邻里】"
# A 429 from the SMS provider (Twilio's code, or the bare status): sent again on the next
# slot of the shared rate, this many times, when sends are paced (SMS_RATE_PER_SECOND).
SMS_RATE_LIMITED = twilio_status.RATE_LIMITED
PACE_RETRIES = 2
# Messages handed to a template provider's send_many at once (its SendSms takes 1,000).
BATCH_SEND = 1000
# While a batch is being sent, its outcomes so far are written this often.
WRITE_OUTCOMES_SECONDS = 1.0
# How long a worker keeps trying to record outcomes the database refuses (locked, gone).
WRITE_RETRY_SECONDS = 45.0


@dataclass
class Settings:
    rate_per_second: float = 0.0
    concurrency: int = 16
    messages_per_day: int = 5
    duplicate_window_hours: int = 24
    signature: str = DEFAULT_SIGNATURE
    # The first retry's wait; each later one doubles it (tests shorten it).
    retry_base_seconds: float = 10.0
    # The SMS provider of a community that has not chosen one ("twilio", "alibaba").
    sms_provider: str = "twilio"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            rate_per_second=float(config.get("SMS_RATE_PER_SECOND", 0) or 0),
            concurrency=int(config.get("SEND_CONCURRENCY", 16)),
            messages_per_day=int(config.get("MESSAGES_PER_DAY", 5)),
            duplicate_window_hours=int(config.get("DUPLICATE_WINDOW_HOURS", 24)),
            signature=str(config.get("SMS_DEFAULT_SIGNATURE", DEFAULT_SIGNATURE)),
            retry_base_seconds=float(config.get("SEND_RETRY_BASE_SECONDS", 10) or 10),
            sms_provider=str(config.get("SMS_PROVIDER") or "twilio"),
        )


def render_for(delivery: Delivery, channel: str, signature: str) -> str:
    """Return the text for one channel: SMS start with the community's 【signature】."""
    kind = templates.get(delivery.kind)
    params = {k: v for k, v in (delivery.params or {}).items() if not k.startswith("_")}
    text = kind.render(delivery.language, params)
    if delivery.ref and delivery.ref not in text:
        text = (
            f"{text}（{delivery.ref}）" if delivery.language != "en" else f"{text} ({delivery.ref})"
        )
    if channel != "sms":
        return text
    relay = (delivery.params or {}).get("_relay_for")
    if relay:
        text = (
            f"请转告{relay}：{text}"
            if delivery.language != "en"
            else f"Please tell {relay}: {text}"
        )
    return f"{signature}{text}"


class Dispatcher:
    """Sends claimed deliveries; one per worker process."""

    def __init__(self, config: Mapping[str, Any], redis: Redis | None) -> None:
        self.config = config
        self.settings = Settings.from_config(config)
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, self.settings.concurrency), thread_name_prefix="linli-send"
        )
        self.channels: dict[str, Channel] = {}
        self._releases = quiet.Releases(self.settings.rate_per_second)
        self.templated = TemplateSending(config, redis)
        self.redis = redis
        self.rate = (
            SendRate(redis, "linli:rate:sms", self.settings.rate_per_second)
            if redis is not None and self.settings.rate_per_second > 0
            else None
        )

    def channel(self, name: str) -> Channel:
        """Return the channel for "sms", "telegram", or "sms:<provider>" (a template provider)."""
        if name not in self.channels:
            channel, _, provider = name.partition(":")
            self.channels[name] = (
                for_provider(channel, provider, self.config)
                if provider
                else for_name(name, self.config)
            )
        return self.channels[name]

    # -- claiming -------------------------------------------------------------------------

    def claim(self, ids: Sequence[int], now: datetime) -> list[Delivery]:
        """Mark the given deliveries as ours if they are due; return the ones we won."""
        token = secrets.token_hex(16)
        db.session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(locked_in_id_order(ids)),
                Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.DEFERRED]),
                or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
            )
            .values(
                state=DeliveryState.SENDING,
                claim_token=token,
                claimed_at=now,
                attempts=Delivery.attempts + 1,
                updated_at=now,
            )
        )
        db.session.commit()
        # By id first: claim_token has no index, and the outbox only grows.
        return list(
            db.session.scalars(
                select(Delivery)
                .where(Delivery.id.in_(list(ids)), Delivery.claim_token == token)
                .order_by(Delivery.id)
            )
        )

    # -- sending ----------------------------------------------------------------------------

    def _send_one(self, channel_name: str, outgoing: Outgoing) -> Sent | Exception:
        result = self._try_send(channel_name, outgoing)
        # Paced at the provider's limit, a 429 means jitter bunched a few requests, not that
        # the provider wants a pause: take the next slot and send again (it accepted nothing,
        # so nothing doubles) rather than wait for the backoff and the sweep. Unpaced, a 429
        # is the provider throttling us, and the backoff applies.
        for _retry in range(PACE_RETRIES if channel_name == "sms" and self.rate else 0):
            if not (isinstance(result, TransientFailure) and result.code in SMS_RATE_LIMITED):
                break
            log.info("delivery %s refused for pace; sending on the next slot", outgoing.delivery_id)
            result = self._try_send(channel_name, outgoing)
        return result

    def _try_send(self, channel_name: str, outgoing: Outgoing) -> Sent | Exception:
        try:
            if channel_name == "sms" and self.rate is not None:
                self.rate.acquire()
            return self.channel(channel_name).send(outgoing)
        except (TransientFailure, PermanentFailure) as failure:
            return failure
        except Exception as error:  # an unexpected error is treated as worth retrying
            log.exception("sending delivery %s failed", outgoing.delivery_id)
            return TransientFailure("error", type(error).__name__)

    def deliver(self, ids: Sequence[int], now: datetime | None = None) -> list[int]:
        """Send the due deliveries among `ids`; return ids to queue again (channel fallback)."""
        with writing():
            return self._deliver(ids, now or utcnow())

    def _deliver(self, ids: Sequence[int], now: datetime) -> list[int]:
        started = utcnow()
        self._releases = quiet.Releases(self.settings.rate_per_second)
        # Begin afresh, so the claim's transaction is an IMMEDIATE one (see models.base).
        db.session.commit()
        claimed = self.claim(ids, now)
        if not claimed:
            return []
        to_send: list[tuple[Delivery, str, Outgoing]] = []
        passed: list[Delivery] = []
        # One query for the batch: a query per row would also flush the rows rendered so far.
        opted_out = holds.opted_out_among(claimed)
        gone = holds.gone_among(claimed)
        codes = mainland.Codes()
        self.templated.begin_batch()
        for d in claimed:
            if d.resident_id is not None and d.resident_id in gone:
                # Queued before the resident died or moved out: never sent.
                holds.hold(d, DeliveryState.SUPPRESSED, "gone", now, self._releases)
                continue
            community = db.session.get(Community, d.community_id) if d.community_id else None
            signature = (community.sms_signature if community else "") or self.settings.signature
            d.body = render_for(d, d.channel, signature)
            hold = holds.hold_reason(d, now, self.settings.duplicate_window_hours, opted_out)
            if hold is not None:
                state, code = hold
                holds.hold(d, state, code, now, self._releases)
                continue
            passed.append(d)
        # A work group is no phone: its robot's own rate (20 a minute) applies, not the cap.
        capped = [d for d in passed if not d.urgent and d.channel != "wecom"]
        counted = daily_cap.take(capped, now, self.settings.messages_per_day)
        capped_ids = {d.id for d in capped}
        for d in passed:
            if d.id in capped_ids and d.id not in counted:
                holds.hold(d, DeliveryState.DEFERRED, "daily_cap", now, self._releases)
                continue
            community = db.session.get(Community, d.community_id) if d.community_id else None
            signature = (community.sms_signature if community else "") or self.settings.signature
            kind = templates.get(d.kind)
            validity = kind.validity_seconds
            if d.valid_until is not None:
                validity = max(1, min(validity, int((d.valid_until - now).total_seconds())))
            # Buttons (Telegram) ride in params["_actions"], which send_later writes.
            actions = tuple((str(a), str(c)) for a, c in (d.params or {}).get("_actions", ()))
            name, template = d.channel, None
            provider = self.settings.sms_provider
            if community is not None and community.sms_provider:
                provider = community.sms_provider
            if d.channel == "sms" and provider in mainland.TEMPLATED:
                hold_row = self.templated.held(d, provider, now)
                if hold_row is not None:
                    template_sending.wait_for_balance(d, hold_row, now)
                    continue
                try:
                    template = mainland.template_sms(d, provider, signature, codes)
                except mainland.TemplateRefused as refused:
                    template_sending.refuse(d, refused.code, refused.reason, now)
                    continue
                name = f"sms:{provider}"
                try:
                    self.channel(name)
                except KeyError:
                    # Chosen by the community, but this server has no account for it: wait.
                    outcomes.retry_later(
                        d,
                        TransientFailure("provider_unconfigured", f"{provider} is not configured"),
                        now,
                        self.templated,
                        self.settings.retry_base_seconds,
                    )
                    continue
                self.templated.providers[d.id] = provider
            out = Outgoing(
                d.id,
                d.address,
                d.body,
                validity,
                actions=actions,
                template=template,
                check_first=bool(template and d.uncertain),
            )
            to_send.append((d, name, out))
        # A place under the daily cap taken by a message that will not go now (no template,
        # the balance empty, the provider not set up) is given back.
        going = {d.id for d, _name, _out in to_send}
        daily_cap.give_back([slot for d_id, slot in counted.items() if d_id not in going])
        # Commit the bodies and holds first: no write lock may be held while providers are called.
        _commit_keeping_rows()
        for name in {channel for _d, channel, _out in to_send}:
            self.channel(name)  # built here, in the app context, before the threads use it
        results = self._results(to_send)
        requeue: list[int] = []
        # Outcomes are written as they come, at least once a second: a worker killed mid-batch
        # leaves "sending" (to be sent again, perhaps twice) only its last second of sends.
        written_at = time.monotonic()
        written: list[str] = []  # provider ids written since the last look for early reports
        pending: list[tuple[Delivery, Sent | Exception, datetime]] = []
        for (d, _channel, _out), result in zip(to_send, results, strict=True):
            pending.append((d, result, now + (utcnow() - started)))
            # A fallback's own queries began a write transaction: end it before the next wait.
            if (
                isinstance(result, PermanentFailure)
                or time.monotonic() - written_at >= WRITE_OUTCOMES_SECONDS
            ):
                requeue += self._write_outcomes(pending, written, counted)
                pending = []
                written_at = time.monotonic()
                self._apply_early_reports(written)
        requeue += self._write_outcomes(pending, written, counted, wipe=claimed)
        self._apply_early_reports(written)
        if self.templated.lift_holds([d for d, _name, _out in to_send]):
            _commit_keeping_rows()
        return requeue

    def _results(
        self, to_send: Sequence[tuple[Delivery, str, Outgoing]]
    ) -> Iterator[Sent | Exception]:
        """Send on the pool; yield each delivery's outcome in order, as it comes.

        A channel with `send_many` (a template provider) takes up to 1,000 messages at once
        and groups them into as few API calls as it can; the others take one at a time.
        """
        futures: list[tuple[Future[Any], int | None]] = []  # (future, place in its group)
        groups: dict[str, list[int]] = {}
        for index, (_d, name, _out) in enumerate(to_send):
            if hasattr(self.channel(name), "send_many"):
                groups.setdefault(name, []).append(index)
        grouped: dict[int, tuple[Future[Any], int | None]] = {}
        for name, indexes in groups.items():
            for start in range(0, len(indexes), BATCH_SEND):
                chunk = indexes[start : start + BATCH_SEND]
                future = self.pool.submit(
                    self.templated.send_group,
                    self.channel(name),
                    name,
                    [to_send[i][2] for i in chunk],
                )
                for position, index in enumerate(chunk):
                    grouped[index] = (future, position)
        for index, (_d, name, out) in enumerate(to_send):
            if index in grouped:
                futures.append(grouped[index])
            else:
                futures.append((self.pool.submit(self._send_one, name, out), None))
        for future, place in futures:
            result: Any = future.result()
            yield result if place is None else result[place]  # a group answers a list

    def _write_outcomes(
        self,
        pending: Sequence[tuple[Delivery, Sent | Exception, datetime]],
        written: list[str],
        counted: Mapping[int, daily_cap.Slot],
        wipe: Sequence[Delivery] = (),
    ) -> list[int]:
        """Record these outcomes and commit; return the ids to queue on another channel.

        The messages have gone: their outcomes must reach the database, or the sweep takes the
        rows for a dead worker's and sends them again. So a database error (locked, connection
        lost) is not the end of the job: roll back, wait, and write them again, for up to
        WRITE_RETRY_SECONDS (well inside the sweep's SENDING_STALE_SECONDS). Only then does it
        raise.
        """
        first_failure: float | None = None
        pause = 0.25
        while True:
            try:
                requeue = [
                    d.id
                    for d, result, finished in pending
                    if outcomes.record(
                        d, result, finished, self.templated, self.settings.retry_base_seconds
                    )
                ]
                # A message let through under the daily cap that did not go frees its place.
                daily_cap.give_back(
                    [
                        counted[d.id]
                        for d, result, _finished in pending
                        if d.id in counted and not isinstance(result, Sent)
                    ]
                )
                for d in wipe:
                    if templates.get(d.kind).sensitive and d.state != DeliveryState.DEFERRED:
                        # The code has reached the phone (or never will): keep no copy of it.
                        d.params = {}
                        d.body = ""
                _commit_keeping_rows()
            except OperationalError as error:
                db.session.rollback()  # the rows reload as the database has them
                now = time.monotonic()
                first_failure = now if first_failure is None else first_failure
                if now - first_failure >= WRITE_RETRY_SECONDS:
                    log.error("could not record %d outcomes: %s", len(pending), error)
                    raise
                log.warning("recording %d outcomes failed (%s); trying again", len(pending), error)
                time.sleep(pause)
                pause = min(pause * 2, 4.0)
                continue
            written.extend(r.provider_id for _d, r, _f in pending if isinstance(r, Sent))
            return requeue

    def _apply_early_reports(self, written: list[str]) -> None:
        """Apply status reports that came before these provider ids were committed."""
        if self.redis is None or not written:
            return
        try:
            if status.replay(self.redis, written):
                _commit_keeping_rows()
        except RedisError:
            log.warning("could not look for early status reports; they expire unapplied")
        written.clear()


def _commit_keeping_rows() -> None:
    """Commit without expiring the loaded rows: they are claimed (ours), and reloading them
    one by one on the next access would cost a query per row."""
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit
