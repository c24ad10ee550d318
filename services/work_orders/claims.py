"""A volunteer's part in a work order: claim a place (exactly as many as needed), withdraw,
start, report done. When every place is reported done the order waits for its check
(services.work_orders.operations.to_check).

The app, SMS and Telegram (services.work_orders.commands) all come here. Functions flush,
never commit; the caller owns the transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, update
from sqlalchemy.exc import IntegrityError

from models import (
    Person,
    WorkOrder,
    WorkOrderClaim,
    db,
)
from models.work_orders import LIVE_STATUSES, OrderStatus
from services.errors import DomainError
from services.work_orders.operations import MAX_NOTE, all_reported, check_text, record, to_check
from services.work_orders.queries import claim_of, in_audience


class ClaimOutcome(enum.StrEnum):
    CLAIMED = "claimed"
    ALREADY = "already"  # this person holds a place already
    FILLED = "filled"  # every place is taken
    CLOSED = "closed"  # done, verified, cancelled or past its window
    NOT_FOR_YOU = "not_for_you"  # the person is not in the order's audience


@dataclass
class ClaimResult:
    outcome: ClaimOutcome
    claim: WorkOrderClaim | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def claim(
    order: WorkOrder,
    *,
    by: Person,
    via: str,
    now: datetime,
    today: date,
    check_audience_of: bool = True,
) -> ClaimResult:
    """Take a place on the order if one is free; exactly places_needed claims ever win.

    The place is taken by one conditional UPDATE (places_claimed < places_needed), so claims
    arriving at once from the app, SMS and Telegram can never overfill the order, on SQLite
    (writes serialise) as on PostgreSQL (the row lock re-checks the condition).
    """
    if not order.live or order.ends_at <= now:
        record(order, "claim_refused", now, by, via, "closed")
        return ClaimResult(ClaimOutcome.CLOSED)
    if check_audience_of and not in_audience(order, by, today):
        return ClaimResult(ClaimOutcome.NOT_FOR_YOU)
    existing = claim_of(order, by)
    if existing is not None and existing.withdrawn_at is None:
        return ClaimResult(ClaimOutcome.ALREADY, existing)
    savepoint = db.session.begin_nested()
    try:
        if existing is None:
            claim_row = WorkOrderClaim(
                order_id=order.id, person_id=by.id, via=via, claimed_at=now, note=""
            )
            db.session.add(claim_row)
            db.session.flush()
        else:
            back = db.session.execute(
                update(WorkOrderClaim)
                .where(WorkOrderClaim.id == existing.id, WorkOrderClaim.withdrawn_at.isnot(None))
                .values(withdrawn_at=None, claimed_at=now, via=via, started_at=None, done_at=None)
            )
            if back.rowcount == 0:  # type: ignore[attr-defined]
                savepoint.rollback()
                db.session.refresh(existing)
                return ClaimResult(ClaimOutcome.ALREADY, existing)
            claim_row = existing
        won = db.session.execute(
            update(WorkOrder)
            .where(
                WorkOrder.id == order.id,
                WorkOrder.status.in_(LIVE_STATUSES),
                WorkOrder.places_claimed < WorkOrder.places_needed,
            )
            .values(
                places_claimed=WorkOrder.places_claimed + 1,
                status=case(
                    (WorkOrder.places_claimed + 1 >= WorkOrder.places_needed, OrderStatus.FILLED),
                    else_=OrderStatus.OPEN,
                ),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:
        # The same person claiming twice at once (SMS and app): the other request holds it.
        savepoint.rollback()
        found = claim_of(order, by)
        return ClaimResult(ClaimOutcome.ALREADY, found)
    if won.rowcount == 0:  # type: ignore[attr-defined]
        savepoint.rollback()
        db.session.refresh(order)
        outcome = ClaimOutcome.FILLED if order.live else ClaimOutcome.CLOSED
        record(order, "claim_refused", now, by, via, outcome.value)
        return ClaimResult(outcome)
    savepoint.commit()
    db.session.refresh(order)
    db.session.refresh(claim_row)
    record(order, "claimed", now, by, via)
    return ClaimResult(ClaimOutcome.CLAIMED, claim_row)


def _active_claim(order: WorkOrder, person: Person) -> WorkOrderClaim:
    found = claim_of(order, person)
    if found is None or found.withdrawn_at is not None:
        raise DomainError(_("You have not claimed %(ref)s.", ref=order.ref))
    return found


def withdraw(order: WorkOrder, *, by: Person, via: str, now: datetime) -> WorkOrderClaim:
    """Give up a place; it reopens for someone else."""
    if not order.live:
        raise DomainError(_("%(ref)s is closed.", ref=order.ref))
    claim_row = _active_claim(order, by)
    if claim_row.done_at is not None:
        raise DomainError(_("You have already reported %(ref)s done.", ref=order.ref))
    gone = db.session.execute(
        update(WorkOrderClaim)
        .where(WorkOrderClaim.id == claim_row.id, WorkOrderClaim.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    if gone.rowcount == 0:  # type: ignore[attr-defined]
        raise DomainError(_("You have not claimed %(ref)s.", ref=order.ref))
    db.session.execute(
        update(WorkOrder)
        .where(WorkOrder.id == order.id, WorkOrder.places_claimed > 0)
        .values(
            places_claimed=WorkOrder.places_claimed - 1,
            status=case(
                (WorkOrder.status == OrderStatus.FILLED, OrderStatus.OPEN), else_=WorkOrder.status
            ),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order)
    db.session.refresh(claim_row)
    record(order, "withdrawn", now, by, via)
    return claim_row


def start(order: WorkOrder, *, by: Person, via: str, now: datetime) -> WorkOrderClaim:
    """Say the work has begun (no reminder is needed any more)."""
    if not order.live:
        raise DomainError(_("%(ref)s is closed.", ref=order.ref))
    claim_row = _active_claim(order, by)
    if claim_row.started_at is None:
        claim_row.started_at = now
        record(order, "started", now, by, via)
    db.session.flush()
    return claim_row


def mark_done(
    order: WorkOrder,
    *,
    by: Person,
    via: str,
    now: datetime,
    note: str = "",
    photo_id: int | None = None,
) -> WorkOrderClaim:
    """Report one's part done with a note (and a photo); when every claimer has, it is done."""
    note = check_text(note, _("the note"), MAX_NOTE, required=False)
    if not order.live:
        raise DomainError(_("%(ref)s is closed.", ref=order.ref))
    claim_row = _active_claim(order, by)
    claim_row.started_at = claim_row.started_at or now
    claim_row.done_at = now
    claim_row.note = note
    if photo_id is not None:
        claim_row.photo_id = photo_id
    record(order, "done", now, by, via, note)
    db.session.flush()
    db.session.refresh(order)
    if all_reported(order):
        to_check(order, now)
    db.session.flush()
    return claim_row
