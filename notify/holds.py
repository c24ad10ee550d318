"""The rules at send time: what stops a claimed delivery or delays it, and holding it.

A held delivery is not a try: it goes back to waiting (deferred to a time the rules allow)
or ends (suppressed) with the rule's code as its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from models import Community, Delivery, DeliveryState, Household, Resident, SmsOptOut, db
from notify import quiet, reasons, templates


def hold_reason(
    d: Delivery,
    now: datetime,
    duplicate_window_hours: int,
    opted_out: AbstractSet[str] | None = None,
) -> tuple[str, str | None] | None:
    """Return (state, code) when a rule stops or delays this delivery, else None.

    `opted_out` holds the batch's opted-out phones, read at once (see opted_out_among).
    """
    if d.valid_until is not None and d.valid_until < now:
        return DeliveryState.SUPPRESSED, "stale"
    if (
        d.channel == "sms"
        # The confirmation of an opt-out must still reach the phone that opted out.
        and not templates.get(d.kind).reaches_opted_out
        and (
            d.address in opted_out
            if opted_out is not None
            else db.session.get(SmsOptOut, d.address) is not None
        )
    ):
        return DeliveryState.SUPPRESSED, "opted_out"
    if d.urgent:
        return None
    community = db.session.get(Community, d.community_id) if d.community_id else None
    if quiet.next_allowed(now, community) is not None:
        return DeliveryState.DEFERRED, "quiet_hours"
    window = now - timedelta(hours=duplicate_window_hours)
    same_text = db.session.scalar(
        select(Delivery.id)
        .where(
            Delivery.address == d.address,
            Delivery.channel == d.channel,
            Delivery.body == d.body,
            Delivery.id != d.id,
            Delivery.created_at > window,
            Delivery.state.in_(
                [DeliveryState.SENDING, DeliveryState.SENT, DeliveryState.DELIVERED]
            ),
        )
        .limit(1)
    )
    if same_text is not None:
        return DeliveryState.SUPPRESSED, "duplicate"
    # The daily cap comes last, for the whole batch at once: notify.daily_cap.
    return None


def opted_out_among(deliveries: Sequence[Delivery]) -> set[str]:
    """Return which of these deliveries' SMS numbers have opted out."""
    phones = {d.address for d in deliveries if d.channel == "sms"}
    if not phones:
        return set()
    return set(db.session.scalars(select(SmsOptOut.phone).where(SmsOptOut.phone.in_(phones))))


def gone_among(deliveries: Sequence[Delivery]) -> set[int]:
    """Return which of these deliveries' residents died or moved out since they were queued."""
    ids = {d.resident_id for d in deliveries if d.resident_id is not None}
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Resident.id)
            .join(Household, Household.id == Resident.household_id)
            .where(
                Resident.id.in_(ids),
                or_(Resident.deceased_on.isnot(None), Household.moved_out_on.isnot(None)),
            )
        )
    )


def hold(
    d: Delivery, state: str, code: str | None, now: datetime, releases: quiet.Releases
) -> None:
    """Stop or delay a claimed delivery for a rule's reason; holding is not a try."""
    d.claim_token = None
    d.attempts = max(0, d.attempts - 1)  # holding is not a try
    if state == DeliveryState.DEFERRED:
        community = db.session.get(Community, d.community_id) if d.community_id else None
        resume = quiet.next_allowed(now, community)
        if code == "daily_cap":
            tomorrow = quiet.start_of_local_day(now) + timedelta(days=1)
            resume = quiet.next_allowed(tomorrow, community) or tomorrow
        if resume is not None:
            # Its own time in the morning's release, at the provider's rate.
            resume = releases.take(resume, d.channel)
        d.state = DeliveryState.DEFERRED
        d.not_before = resume
        if d.valid_until is not None and resume is not None:
            d.valid_until = max(d.valid_until, resume + timedelta(hours=2))
        d.note(now, "deferred", reason=code)
        return
    d.state = state
    d.error_code = code
    d.error_reason = reasons.reason(code)
    d.finished_at = now
    d.note(now, state, reason=code)
