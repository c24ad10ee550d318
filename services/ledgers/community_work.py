"""Ledger rows of the community's own work: work orders, broadcasts and mobilisation, patrols.

Plain rows from joined SELECTs; the people on an order or a shift come in one grouped query
per chunk of rows, never a query per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, func, or_, select, true

from models import (
    Broadcast,
    Grid,
    OrderStatus,
    PatrolFinding,
    PatrolRoute,
    PatrolShift,
    PatrolSignup,
    Person,
    WorkOrder,
    WorkOrderClaim,
    db,
)
from services.ledgers import labels
from services.ledgers.periods import Period
from services.ledgers.rows import (
    Figure,
    Part,
    Row,
    Scope,
    Viewer,
    count,
    cut,
    day_of,
    matches,
    short,
)

# Ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


def chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def names_by(query: Any, ids: Sequence[int]) -> dict[int, list[str]]:
    """`query(chunk)` yields (id, name) pairs; return the names per id, in query order."""
    out: dict[int, list[str]] = {}
    for chunk in chunks(ids):
        for key, name in db.session.execute(query(chunk)):
            out.setdefault(key, []).append(name)
    return out


# -------------------------------------------------------------------------- work orders


def _claimed_by(person_id: int | None) -> ColumnElement[bool]:
    if person_id is None:
        return true()
    claimed = exists().where(
        WorkOrderClaim.order_id == WorkOrder.id,
        WorkOrderClaim.person_id == person_id,
        WorkOrderClaim.withdrawn_at.is_(None),
    )
    return or_(WorkOrder.created_by_id == person_id, claimed)


def work_orders(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    base = (
        WorkOrder.community_id == scope.community_id,
        matches(WorkOrder.grid_id, scope.grid_id),
        _claimed_by(scope.person_id),
    )
    created_in = (WorkOrder.created_at >= period.start) & (WorkOrder.created_at < period.end)
    done_in = (WorkOrder.done_at >= period.start) & (WorkOrder.done_at < period.end)
    dispatched, cancelled = db.session.execute(
        select(func.count(), func.count().filter(WorkOrder.status == OrderStatus.CANCELLED)).where(
            *base, created_in
        )
    ).one()
    done = count(
        select(func.count()).where(
            *base, done_in, WorkOrder.status.in_((OrderStatus.DONE, OrderStatus.VERIFIED))
        )
    )
    claims_done = count(
        select(func.count())
        .select_from(WorkOrderClaim)
        .join(WorkOrder, WorkOrder.id == WorkOrderClaim.order_id)
        .where(
            WorkOrder.community_id == scope.community_id,
            matches(WorkOrder.grid_id, scope.grid_id),
            matches(WorkOrderClaim.person_id, scope.person_id),
            WorkOrderClaim.withdrawn_at.is_(None),
            WorkOrderClaim.done_at >= period.start,
            WorkOrderClaim.done_at < period.end,
            WorkOrder.status != OrderStatus.CANCELLED,
        )
    )
    part = Part(
        figures=[
            Figure("dispatched", _("Work orders dispatched"), int(dispatched or 0)),
            Figure("done", _("Work orders done"), done),
            Figure("cancelled", _("Cancelled"), int(cancelled or 0)),
            Figure("claims_done", _("Claims reported done"), claims_done),
        ]
    )
    found = db.session.execute(
        select(
            WorkOrder.id,
            WorkOrder.created_at,
            Grid.name,
            WorkOrder.location,
            WorkOrder.title,
            WorkOrder.places_needed,
            WorkOrder.places_claimed,
            WorkOrder.status,
            WorkOrder.done_at,
            Person.name,
        )
        .select_from(WorkOrder)
        .outerjoin(Grid, Grid.id == WorkOrder.grid_id)
        .join(Person, Person.id == WorkOrder.created_by_id)
        .where(*base, or_(created_in, done_in))
        .order_by(WorkOrder.created_at, WorkOrder.id)
        .limit(limit + 1)
    ).all()
    kept, part.more = cut(found, limit)
    claimers = names_by(
        lambda ids: (
            select(WorkOrderClaim.order_id, Person.name)
            .join(Person, Person.id == WorkOrderClaim.person_id)
            .where(WorkOrderClaim.order_id.in_(ids), WorkOrderClaim.withdrawn_at.is_(None))
            .order_by(WorkOrderClaim.order_id, WorkOrderClaim.id)
        ),
        [r[0] for r in kept],
    )
    for oid, created, grid, location, title, needed, claimed, status, done_at, creator in kept:
        who = "、".join(claimers.get(oid, [])) or _("nobody yet")
        outcome = labels.label(labels.ORDER_STATUS, status)
        done_day = day_of(done_at)
        if done_day is not None:
            outcome = f"{outcome} {done_day.isoformat()}"
        part.rows.append(
            Row(
                f"T{oid}",
                day_of(created) or period.first,
                " · ".join(p for p in (grid or _("Whole community"), location) if p),
                who,
                _(
                    "%(title)s (dispatched by %(by)s, %(claimed)d of %(needed)d places)",
                    title=short(title),
                    by=creator,
                    claimed=claimed,
                    needed=needed,
                ),
                outcome,
            )
        )
    return part


# --------------------------------------------------------------------------- broadcasts


def broadcasts(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    grid_orders: ColumnElement[bool] = (
        Broadcast.order_id.in_(select(WorkOrder.id).where(WorkOrder.grid_id == scope.grid_id))
        if scope.grid_id is not None
        else true()
    )
    base = (
        Broadcast.community_id == scope.community_id,
        grid_orders,
        matches(Broadcast.created_by_id, scope.person_id),
        Broadcast.created_at >= period.start,
        Broadcast.created_at < period.end,
    )
    total, mobilisations, reached = db.session.execute(
        select(
            func.count(),
            func.count().filter(Broadcast.kind == "mobilisation"),
            func.coalesce(func.sum(Broadcast.recipient_count), 0),
        ).where(*base)
    ).one()
    part = Part(
        figures=[
            Figure("broadcasts", _("Broadcasts"), int(total or 0)),
            Figure("mobilisations", _("Mobilisations"), int(mobilisations or 0)),
            Figure("notices", _("Notices"), int(total or 0) - int(mobilisations or 0)),
            Figure("messages", _("Messages to people"), int(reached or 0)),
        ]
    )
    found = db.session.execute(
        select(
            Broadcast.id,
            Broadcast.created_at,
            Broadcast.kind,
            Broadcast.text,
            Broadcast.recipient_count,
            Broadcast.order_id,
            Person.name,
        )
        .join(Person, Person.id == Broadcast.created_by_id)
        .where(*base)
        .order_by(Broadcast.created_at, Broadcast.id)
        .limit(limit + 1)
    ).all()
    kept, part.more = cut(found, limit)
    for bid, created, kind, text, recipients, order_id, by in kept:
        outcome = _("Sent to %(count)d people", count=recipients)
        if order_id:
            outcome = f"{outcome} · T{order_id}"
        part.rows.append(
            Row(
                f"G{bid}",
                day_of(created) or period.first,
                scope.grid_name or _("Whole community"),
                by,
                f"{labels.label(labels.BROADCAST_KIND, kind)}: {short(text)}",
                outcome,
            )
        )
    return part


# ------------------------------------------------------------------------------ patrols


def patrols(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    started = exists().where(
        PatrolSignup.shift_id == PatrolShift.id,
        PatrolSignup.withdrawn_at.is_(None),
        PatrolSignup.started_at.is_not(None),
        matches(PatrolSignup.person_id, scope.person_id),
    )
    signed: ColumnElement[bool] = (
        exists().where(
            PatrolSignup.shift_id == PatrolShift.id,
            PatrolSignup.withdrawn_at.is_(None),
            PatrolSignup.person_id == scope.person_id,
        )
        if scope.person_id is not None
        else true()
    )
    base = (
        PatrolShift.community_id == scope.community_id,
        matches(PatrolShift.grid_id, scope.grid_id),
        # The shift's local day is the day it starts: its start moment uses the index.
        PatrolShift.starts_at >= period.start,
        PatrolShift.starts_at < period.end,
        signed,
    )
    shifts, kept_count, cancelled = db.session.execute(
        select(
            func.count(),
            func.count().filter(started),
            func.count().filter(PatrolShift.cancelled_at.is_not(None)),
        ).where(*base)
    ).one()
    findings = count(
        select(func.count())
        .select_from(PatrolFinding)
        .join(PatrolShift, PatrolShift.id == PatrolFinding.shift_id)
        .where(*base, matches(PatrolFinding.person_id, scope.person_id))
    )
    part = Part(
        figures=[
            Figure("shifts", _("Patrol shifts"), int(shifts or 0)),
            Figure("patrolled", _("Shifts patrolled"), int(kept_count or 0)),
            Figure("shifts_cancelled", _("Shifts cancelled"), int(cancelled or 0)),
            Figure("findings", _("Findings"), findings),
        ]
    )
    found = db.session.execute(
        select(
            PatrolShift.id,
            PatrolShift.day,
            Grid.name,
            PatrolRoute.name,
            PatrolShift.cancelled_at,
        )
        .join(Grid, Grid.id == PatrolShift.grid_id)
        .join(PatrolRoute, PatrolRoute.id == PatrolShift.route_id)
        .where(*base)
        .order_by(PatrolShift.starts_at, PatrolShift.id)
        .limit(limit + 1)
    ).all()
    kept, part.more = cut(found, limit)
    ids = [r[0] for r in kept]
    patrollers = names_by(
        lambda chunk: (
            select(PatrolSignup.shift_id, Person.name)
            .join(Person, Person.id == PatrolSignup.person_id)
            .where(
                PatrolSignup.shift_id.in_(chunk),
                PatrolSignup.withdrawn_at.is_(None),
                PatrolSignup.started_at.is_not(None),
            )
            .order_by(PatrolSignup.shift_id, PatrolSignup.id)
        ),
        ids,
    )
    found_texts = names_by(
        lambda chunk: (
            select(PatrolFinding.shift_id, PatrolFinding.text)
            .where(PatrolFinding.shift_id.in_(chunk))
            .order_by(PatrolFinding.shift_id, PatrolFinding.id)
        ),
        ids,
    )
    for sid, day, grid, route, cancelled_at in kept:
        people = patrollers.get(sid, [])
        texts = found_texts.get(sid, [])
        if cancelled_at is not None:
            outcome = _("Cancelled")
        elif people:
            outcome = _("Patrolled; %(count)d found", count=len(texts)) if texts else _("Patrolled")
        else:
            outcome = _("Not patrolled")
        what = route
        if texts:
            what = f"{route} · {short('；'.join(texts), 50)}"
        part.rows.append(Row(f"X{sid}", day, grid, "、".join(people), what, outcome))
    return part
