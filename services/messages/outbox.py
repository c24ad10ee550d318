"""The outbox as staff see it: counts by state, retrying what failed, previews of every kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, func, select, true

from models import Delivery, DeliveryState, Person, Resident, db
from models.clock import local, today_of
from notify import segments, templates
from notify.dispatch import DEFAULT_SIGNATURE, render_for
from notify.outbox import MAX_VALIDITY_SECONDS, PENDING_KEY
from notify.routing import GridGroup, Recipient, route
from services import audit
from services.errors import DomainError

RETRYABLE = (DeliveryState.FAILED, DeliveryState.UNDELIVERED)
# One click never re-sends more than this many; the page says so and the rest wait.
RETRY_ALL_LIMIT = 1000
# The states the outbox page filters by, in the order a delivery passes through them.
STATES: tuple[str, ...] = (
    DeliveryState.QUEUED,
    DeliveryState.DEFERRED,
    DeliveryState.SENDING,
    DeliveryState.SENT,
    DeliveryState.DELIVERED,
    DeliveryState.FAILED,
    DeliveryState.UNDELIVERED,
    DeliveryState.SUPPRESSED,
)
UNCERTAIN = "uncertain"
# Twilio's advice for mainland China: keep an SMS within 500 characters.
REASONABLE_SMS_CHARS = 500


# Counts stop here: a community's sent messages grow by thousands with every notice, and an
# exact count read that whole part of the index on every view (200,000 sent: 17 ms on SQLite).
COUNT_CAP = 10_000


def counts(community_id: int) -> dict[str, int]:
    """Return how many of the community's deliveries are in each state, plus "uncertain".

    Each count stops at COUNT_CAP + 1 (`beyond_cap`: "more than COUNT_CAP"): each reads at most
    that many entries of the (community_id, state, uncertain) index, whatever the history.
    """
    statement = _counts_statement(COUNT_CAP)
    row = db.session.execute(statement, {"community_id": community_id}).one()
    return {name: int(n) for name, n in row._mapping.items()}


@lru_cache(maxsize=4)
def _counts_statement(cap: int) -> Select[Any]:
    # Built once: making and keying nine subqueries anew cost more than the demo's counting.
    community = bindparam("community_id", type_=Integer)

    def bounded(*where: Any) -> Any:
        some = select(Delivery.id).where(Delivery.community_id == community, *where)
        return select(func.count()).select_from(some.limit(cap + 1).subquery()).scalar_subquery()

    columns = [bounded(Delivery.state == state).label(str(state)) for state in STATES]
    # `= true`, not `IS true`: PostgreSQL seeks the index only with the former.
    columns.append(
        bounded(Delivery.state.in_(STATES), Delivery.uncertain == true()).label(UNCERTAIN)
    )
    return select(*columns)


def beyond_cap(count: int) -> bool:
    """Whether a count from `counts` stopped at the cap (there are more than COUNT_CAP)."""
    return count > COUNT_CAP


def filtered(community_id: int, state: str | None) -> Select[Delivery]:
    """Return the query of a community's deliveries in `state` (None: all), newest first."""
    query: Select[Delivery] = _filter(select(Delivery), community_id, state)
    return query


def _filter(query: Any, community_id: int, state: str | None) -> Any:
    # Any select of deliveries: whole ones (filtered) or some of their columns (page_rows).
    query = query.where(Delivery.community_id == community_id)
    if state == UNCERTAIN:
        query = query.where(Delivery.uncertain.is_(True))
    elif state:
        query = query.where(Delivery.state == state)
    return query.order_by(Delivery.created_at.desc(), Delivery.id.desc())


# What the outbox page shows of a delivery: not its body, parameters or history (JSON), which
# loading whole deliveries read and decoded for every row.
ROW_COLUMNS = (
    Delivery.id,
    Delivery.state,
    Delivery.created_at,
    Delivery.channel,
    Delivery.address,
    Delivery.not_before,
    Delivery.uncertain,
    Delivery.segments,
    Delivery.kind,
    Delivery.ref,
    Delivery.error_code,
    Delivery.error_reason,
    Delivery.recipient_key,
    Delivery.person_id,
    Delivery.resident_id,
    Person.name.label("person_name"),
)


def page_rows(community_id: int, state: str | None, *, offset: int, limit: int) -> list[Any]:
    """A page of `filtered` as plain rows of ROW_COLUMNS (the person's name: `person_name`)."""
    query = (
        select(*ROW_COLUMNS)
        .select_from(Delivery)
        .outerjoin(Person, Delivery.person_id == Person.id)
    )
    return list(db.session.execute(_filter(query, community_id, state).offset(offset).limit(limit)))


def _recipient(delivery: Delivery) -> Recipient | None:
    if delivery.resident_id is not None:
        return db.session.get(Resident, delivery.resident_id)
    if delivery.person_id is not None:
        return db.session.get(Person, delivery.person_id)
    if delivery.recipient_key.startswith("a"):
        return delivery.recipient_key[1:]
    if delivery.channel == "wecom":
        return GridGroup(int(delivery.recipient_key[1:]))
    return None


def retry(delivery: Delivery, *, by: Person, now: datetime) -> Delivery:
    """Send a failed or undelivered delivery again, on the recipient's channels as they are now.

    Raises DomainError, changing nothing, when the delivery did not fail or still reaches
    nobody. The delivery is queued once the caller commits.
    """
    if delivery.state not in RETRYABLE:
        raise DomainError(
            _(
                "Only a failed or undelivered message can be sent again; this one is “%(state)s”.",
                state=_state_label(delivery.state),
            )
        )
    recipient = _recipient(delivery)
    if isinstance(recipient, Resident) and recipient.gone:
        raise DomainError(_("This resident has moved out or died: nothing is sent to them."))
    # Re-resolve: the person may have linked Telegram or a household its contact since.
    found = route(recipient) if recipient is not None else None
    channels = found.channels if found is not None else []
    if found is None or not channels:
        raise DomainError(
            _("Still nobody to reach: no phone, no household contact and no Telegram.")
        )
    before = f"{delivery.state} {delivery.error_code or ''}".strip()
    delivery.channels = channels
    # Relayed through the household's contact now, or no longer: the text says so or not.
    params = {k: v for k, v in (delivery.params or {}).items() if k != "_relay_for"}
    if found.relay_for:
        params["_relay_for"] = found.relay_for
    delivery.params = params
    delivery.language = found.language
    delivery.channel, delivery.address = channels[0].split(":", 1)
    delivery.state = DeliveryState.QUEUED
    delivery.error_code = None
    delivery.error_reason = ""
    delivery.provider_id = None  # a late status report for the old try must not move this one
    delivery.attempts = 0
    delivery.not_before = None
    delivery.claim_token = None
    delivery.claimed_at = None
    delivery.enqueued_at = None
    delivery.sent_at = None
    delivery.finished_at = None
    # A message that failed hours ago would be dropped as stale: it gets a fresh validity.
    kind = templates.get(delivery.kind)
    delivery.valid_until = now + timedelta(seconds=min(kind.validity_seconds, MAX_VALIDITY_SECONDS))
    delivery.note(now, "retry", by=by.id, was=before)
    if delivery.community_id is not None:
        audit.record(
            actor=by,
            community_id=delivery.community_id,
            action="delivery.retry",
            subject_type="delivery",
            subject_id=delivery.id,
            detail=before,
        )
    db.session.info.setdefault(PENDING_KEY, []).append(delivery.id)
    db.session.flush()
    return delivery


@dataclass(frozen=True)
class RetryReport:
    retried: int
    skipped: int  # failed ones that still reach nobody


def retry_all(community_id: int, state: str | None, *, by: Person, now: datetime) -> RetryReport:
    """Retry the failed and undelivered deliveries in a community's filter (`state`, None: all).

    At most RETRY_ALL_LIMIT, newest first; those that still reach nobody are skipped.
    """
    wanted = [str(s) for s in RETRYABLE]
    if state in wanted:
        wanted = [str(state)]
    elif state not in (None, UNCERTAIN):
        wanted = []
    query = filtered(community_id, state).where(Delivery.state.in_(wanted)).limit(RETRY_ALL_LIMIT)
    chosen = [d for d in db.session.scalars(query).all() if d.state in RETRYABLE]
    # Load the recipients in two queries, so each retry finds them in the session.
    person_ids = {d.person_id for d in chosen if d.person_id is not None}
    resident_ids = {d.resident_id for d in chosen if d.resident_id is not None}
    if person_ids:
        db.session.scalars(select(Person).where(Person.id.in_(person_ids))).all()
    if resident_ids:
        db.session.scalars(select(Resident).where(Resident.id.in_(resident_ids))).all()
    retried = skipped = 0
    for delivery in chosen:
        try:
            retry(delivery, by=by, now=now)
        except DomainError:
            skipped += 1
        else:
            retried += 1
    return RetryReport(retried, skipped)


def _state_label(state: str) -> str:
    return state_labels().get(state, state)


def state_labels() -> dict[str, str]:
    """Return each state's name as the outbox page shows it."""
    return {
        "all": _("all"),
        DeliveryState.QUEUED: _("queued"),
        DeliveryState.DEFERRED: _("deferred"),
        DeliveryState.SENDING: _("sending"),
        DeliveryState.SENT: _("sent"),
        DeliveryState.DELIVERED: _("delivered"),
        DeliveryState.FAILED: _("failed"),
        DeliveryState.UNDELIVERED: _("undelivered"),
        DeliveryState.SUPPRESSED: _("suppressed"),
        UNCERTAIN: _("uncertain"),
    }


def _local(moment: datetime) -> datetime:
    return local(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


def when(moment: datetime, now: datetime) -> str:
    """Return a moment as a person reads it next to "now": 08:00, 明天 08:00, 12-07 08:00."""
    # Numbers only, in the community's zone: strftime, not Babel's pattern engine (a page of
    # held messages says it on every row).
    clock = _local(moment).strftime("%H:%M")
    day, today = today_of(moment), today_of(now)
    if day == today:
        return clock
    if day == today + timedelta(days=1):
        return _("tomorrow %(time)s", time=clock)
    return _local(moment).strftime("%m-%d %H:%M")


def goes_at(moment: datetime, now: datetime) -> str:
    """Say when a held message goes: "08:00 发送" rather than a bare "deferred"."""
    return _("goes %(when)s", when=when(moment, now))


def held_window(batch_key: str) -> tuple[datetime, datetime, int] | None:
    """Return (first, last, how many) of a batch's held messages' release times, if any."""
    first, last, held = db.session.execute(
        select(
            func.min(Delivery.not_before), func.max(Delivery.not_before), func.count(Delivery.id)
        ).where(
            Delivery.batch_key == batch_key,
            Delivery.state == DeliveryState.DEFERRED,
            Delivery.not_before.is_not(None),
        )
    ).one()
    if not held or first is None or last is None:
        return None
    return first, last, int(held)


def goes_between(first: datetime, last: datetime, now: datetime) -> str:
    """Say when a batch's held messages go: "08:00–08:17 发送" (one time when they are one)."""
    start, end = when(first, now), _local(last).strftime("%H:%M")
    if start.endswith(end) and today_of(first) == today_of(last):
        return goes_at(first, now)
    if today_of(first) != today_of(last):
        end = when(last, now)
    return _("goes %(start)s–%(end)s", start=start, end=end)


@dataclass(frozen=True)
class Preview:
    kind: str
    language: str
    text: str  # the SMS as a phone shows it, signature first; "" when it cannot render
    segments: segments.Segments | None
    missing: str | None  # the parameter the example lacks, if any


def preview(kind_name: str, language: str, signature: str = DEFAULT_SIGNATURE) -> Preview:
    """Render a kind's example as an SMS exactly as the dispatcher would."""
    kind = templates.get(kind_name)
    # A transient row, never added to the session: render_for is the one place SMS are built.
    sample = Delivery(kind=kind.name, params=dict(kind.example), language=language, ref=None)
    try:
        text = render_for(sample, "sms", signature)
    except KeyError as missing:
        return Preview(kind.name, language, "", None, str(missing.args[0]))
    return Preview(kind.name, language, text, segments.count(text), None)


def previews(
    signature: str = DEFAULT_SIGNATURE,
) -> list[tuple[templates.MessageKind, Sequence[Preview]]]:
    """Return every registered kind with its example in Chinese and English."""
    return [
        (kind, [preview(name, "zh", signature), preview(name, "en", signature)])
        for name, kind in sorted(templates.KINDS.items())
    ]
