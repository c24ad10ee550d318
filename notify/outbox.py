"""send_later(): record a delivery per recipient in the caller's transaction; queue on commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from models import Community, Delivery, DeliveryState, InboxItem, db, utcnow
from notify import queueing, quiet, reasons, templates
from notify.message import Message
from notify.routing import Recipient, prefetch, route

PENDING_KEY = "linli_pending_deliveries"
MAX_VALIDITY_SECONDS = 36000  # Twilio's ValidityPeriod ceiling (10 hours)


def send_later(
    message: Message,
    to: Iterable[Recipient],
    *,
    now: datetime | None = None,
    channels: tuple[str, ...] | None = None,
) -> list[int]:
    """Record deliveries of `message` to each recipient; they are queued once the caller commits.

    Sending the same batch_key to a recipient twice records nothing new: the (batch_key,
    recipient) key is unique, and that row is the guard against sending twice.
    """
    kind = templates.get(message.kind)
    urgent = message.urgent or kind.urgent
    now = now or utcnow()
    session = db.session
    community = session.get(Community, message.community_id) if message.community_id else None
    resume = None if urgent else quiet.next_allowed(now, community)
    valid_until = now + timedelta(seconds=min(kind.validity_seconds, MAX_VALIDITY_SECONDS))
    # Held for quiet hours: each SMS is given its own time after `resume` (notify.quiet).
    releases = quiet.Releases(quiet.sms_rate())

    existing = set(
        session.scalars(
            select(Delivery.recipient_key).where(Delivery.batch_key == message.batch_key)
        )
    )
    rows: list[dict[str, Any]] = []
    inbox: list[dict[str, Any]] = []
    seen: set[str] = set()
    recipients = list(to)
    links = prefetch(recipients)
    for recipient in recipients:
        r = route(recipient, channels, links)
        if r.gone:
            continue  # moved out or died: no message, not even a failed one
        if r.recipient_key in existing or r.recipient_key in seen:
            continue
        seen.add(r.recipient_key)
        params = dict(message.params)
        if r.relay_for:
            params["_relay_for"] = r.relay_for
        if message.actions:
            params["_actions"] = [list(action) for action in message.actions]
        first = r.channels[0] if r.channels else "none:"
        channel, address = first.split(":", 1)
        state = DeliveryState.DEFERRED if resume else DeliveryState.QUEUED
        not_before = releases.take(resume, channel) if resume and r.channels else None
        if not r.channels:
            state = DeliveryState.FAILED
        rows.append(
            {
                "batch_key": message.batch_key,
                "recipient_key": r.recipient_key,
                "kind": message.kind,
                "params": params,
                "language": r.language,
                "urgent": urgent,
                "ref": message.ref,
                "community_id": message.community_id,
                "person_id": r.person_id,
                "resident_id": r.resident_id,
                "channels": r.channels,
                "channel": channel,
                "address": address,
                "state": state,
                "error_code": "no_channel" if not r.channels else None,
                "error_reason": reasons.reason("no_channel") if not r.channels else "",
                "not_before": not_before,
                "valid_until": (
                    not_before + timedelta(seconds=kind.validity_seconds)
                    if not_before
                    else valid_until
                ),
                "history": [],
                "created_at": now,
                "updated_at": now,
            }
        )
        if r.person_id is not None and not kind.sensitive:
            inbox.append(
                {
                    "person_id": r.person_id,
                    "batch_key": message.batch_key,
                    "kind": message.kind,
                    "body": kind.render(r.language, message.params),
                    "ref": message.ref,
                    "created_at": now,
                }
            )
    if not rows:
        return []
    ids = list(
        session.scalars(insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True), rows)
    )
    if inbox:
        session.execute(insert(InboxItem), inbox)
    queued = [i for i, row in zip(ids, rows, strict=True) if row["state"] == DeliveryState.QUEUED]
    session.info.setdefault(PENDING_KEY, []).extend(queued)
    return ids


@event.listens_for(Session, "after_commit")
def _queue_after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if pending:
        queueing.enqueue_soon(pending)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    # A rolled-back action sends nothing.
    session.info.pop(PENDING_KEY, None)
