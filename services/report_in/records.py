"""A member's service record (服务记录) and hours, from the work they did.

Each source is a function that returns the records of some people over a time span. The
built-in two read work orders and micro-wishes; other features (patrols, meetings) declare
their own (services/<feature>/records.py) in their `Feature(service_records=...)` entry in
pwa/features.py, which registers them here, so this feature never imports theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import OrderStatus, Wish, WishStatus, WorkOrder, WorkOrderClaim, db
from models.clock import today_of

# A fulfilled micro-wish is an errand of about an hour; its record carries no duration.
WISH_HOURS = 1.0
# What one claim counts at most: a window left open for days is not days of work.
MAX_CLAIM_HOURS = 12.0


@dataclass(frozen=True)
class ServiceRecord:
    person_id: int
    day: date  # the local day the work was done
    kind: str  # a key of KIND_LABELS
    ref: str  # the record's code, e.g. "T34"
    title: str
    hours: float


Source = Callable[[Sequence[int], datetime, datetime], Iterable[ServiceRecord]]

KIND_LABELS: dict[str, object] = {
    "work_order": lazy_gettext("Work order"),
    "wish": lazy_gettext("Micro-wish"),
}
SOURCES: list[Source] = []


def register(source: Source, kind: str | None = None, label: object = None) -> Source:
    """Add a source of records (safe to repeat); `kind` and `label` name its records."""
    if source not in SOURCES:
        SOURCES.append(source)
    if kind is not None and label is not None:
        KIND_LABELS[kind] = label
    return source


def half_hours(hours: float) -> float:
    """Hours as counted: whole and half hours, never below nothing."""
    return round(max(hours, 0.0) * 2) / 2


def claim_hours(claim: WorkOrderClaim) -> float:
    """A claim's hours: from its start to its done report when both were reported, else the
    order's window; at most MAX_CLAIM_HOURS, in half hours."""
    order = claim.order
    if claim.started_at is not None and claim.done_at is not None:
        span = claim.done_at - claim.started_at
    else:
        span = order.ends_at - order.starts_at
    return half_hours(min(span.total_seconds() / 3600, MAX_CLAIM_HOURS))


def work_orders_done(people: Sequence[int], start: datetime, end: datetime) -> list[ServiceRecord]:
    """Claims reported done in the span, on orders not cancelled."""
    claims = db.session.scalars(
        select(WorkOrderClaim)
        .join(WorkOrder, WorkOrder.id == WorkOrderClaim.order_id)
        .where(
            WorkOrderClaim.person_id.in_(people),
            WorkOrderClaim.withdrawn_at.is_(None),
            WorkOrderClaim.done_at >= start,
            WorkOrderClaim.done_at < end,
            WorkOrder.status != OrderStatus.CANCELLED,
        )
        .options(selectinload(WorkOrderClaim.order))
    )
    return [
        ServiceRecord(
            person_id=c.person_id,
            day=today_of(c.done_at),  # type: ignore[arg-type]
            kind="work_order",
            ref=c.order.ref,
            title=c.order.title,
            hours=claim_hours(c),
        )
        for c in claims
    ]


def wishes_fulfilled(people: Sequence[int], start: datetime, end: datetime) -> list[ServiceRecord]:
    """Micro-wishes the people fulfilled in the span."""
    wishes = db.session.scalars(
        select(Wish).where(
            Wish.claimer_id.in_(people),
            Wish.status.in_((WishStatus.FULFILLED, WishStatus.CONFIRMED)),
            Wish.fulfilled_at >= start,
            Wish.fulfilled_at < end,
        )
    )
    return [
        ServiceRecord(
            person_id=w.claimer_id,  # type: ignore[arg-type]
            day=today_of(w.fulfilled_at),  # type: ignore[arg-type]
            kind="wish",
            ref=w.ref,
            title=w.text[:40],
            hours=WISH_HOURS,
        )
        for w in wishes
    ]


def records_of(people: Sequence[int], start: datetime, end: datetime) -> list[ServiceRecord]:
    """Every registered source's records of these people in the span, by day."""
    if not people:
        return []
    found = [r for source in SOURCES for r in source(people, start, end)]
    return sorted(found, key=lambda r: (r.day, r.ref))


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))
