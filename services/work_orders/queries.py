"""What a person may see of work orders: who manages one, whom it is for, lists and history."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import false, or_, select

from models import PartnerUnit, Person, Post, WorkOrder, WorkOrderClaim, WorkOrderEvent, db
from models.clock import local
from models.work_orders import LIVE_STATUSES, OrderStatus
from services.errors import NotFound
from services.roster import areas
from services.work_orders.audiences import Audience


def when_text(order: WorkOrder) -> str:
    """Return the window in local time, short enough for an SMS: "11-26 07:00-09:00"."""
    return window_text(order.starts_at, order.ends_at)


def window_text(starts_at: datetime, ends_at: datetime) -> str:
    start = local(starts_at)
    end = local(ends_at)
    tail = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%m-%d %H:%M")
    return f"{start.strftime('%m-%d %H:%M')}-{tail}"


def find(ref: str) -> WorkOrder | None:
    """Return the order a code like "T34" names, or None."""
    ref = (ref or "").strip().upper()
    if not ref.startswith("T") or not ref[1:].isdigit():
        return None
    return db.session.get(WorkOrder, int(ref[1:]))


def manages(person: Person, order: WorkOrder, today: date) -> bool:
    """Return whether the person may verify, reopen or cancel the order."""
    area = areas.area_of(person, today)
    if order.community_id in area.community_ids:
        return True
    return order.grid_id is not None and order.grid_id in area.grid_ids


def managed_orders_clause(area: areas.Area) -> Any:
    """Return a WHERE clause on WorkOrder matching the orders an area's holder manages."""
    parts = []
    if area.community_ids:
        parts.append(WorkOrder.community_id.in_(area.community_ids))
    if area.grid_ids:
        parts.append(WorkOrder.grid_id.in_(area.grid_ids))
    return or_(*parts) if parts else false()


def get_managed(area: areas.Area, order_id: int) -> WorkOrder:
    order = db.session.scalar(
        select(WorkOrder).where(WorkOrder.id == order_id, managed_orders_clause(area))
    )
    if order is None:
        raise NotFound(_("Not found."))
    return order


def in_audience(order: WorkOrder, person: Person, today: date) -> bool:
    """Return whether the order was meant for this person (or they manage it)."""
    if manages(person, order, today):
        return True
    audience = Audience.from_json(order.audience)
    held = select(Post.id).where(
        Post.person_id == person.id,
        Post.community_id == order.community_id,
        Post.active_on(today),
    )
    if order.grid_id is not None:
        held = held.where(Post.grid_id == order.grid_id)
    named = person.id in audience.people or (
        person.partner_unit_id is not None and person.partner_unit_id in audience.partner_units
    )
    if named:
        return order.grid_id is None or db.session.scalar(held.limit(1)) is not None
    if not (audience.grids or audience.roles):
        return False
    # Grids and posts narrow each other, as audiences.post_holders picks them.
    if audience.grids:
        held = held.where(Post.grid_id.in_(audience.grids))
    if audience.roles:
        held = held.where(Post.role.in_(audience.roles))
    return db.session.scalar(held.limit(1)) is not None


def orders_for(person: Person, today: date, now: datetime) -> list[WorkOrder]:
    """Return the live orders meant for a person, plus every live one they hold a place on."""
    communities = {p.community_id for p in person.active_posts(today)}
    if person.partner_unit_id is not None:
        unit = db.session.get(PartnerUnit, person.partner_unit_id)
        if unit is not None:
            communities.add(unit.community_id)
    mine = set(
        db.session.scalars(
            select(WorkOrderClaim.order_id).where(
                WorkOrderClaim.person_id == person.id, WorkOrderClaim.withdrawn_at.is_(None)
            )
        )
    )
    candidates = db.session.scalars(
        select(WorkOrder)
        .where(
            or_(
                WorkOrder.id.in_(mine) if mine else false(),
                WorkOrder.community_id.in_(communities) if communities else false(),
            ),
            WorkOrder.status.in_([*LIVE_STATUSES, OrderStatus.DONE]),
            WorkOrder.ends_at > now - timedelta(days=1),
        )
        .order_by(WorkOrder.starts_at)
    ).all()
    return [o for o in candidates if o.id in mine or (o.live and in_audience(o, person, today))]


def claim_of(order: WorkOrder, person: Person) -> WorkOrderClaim | None:
    return db.session.scalar(
        select(WorkOrderClaim).where(
            WorkOrderClaim.order_id == order.id, WorkOrderClaim.person_id == person.id
        )
    )


def history(order: WorkOrder) -> list[WorkOrderEvent]:
    return list(
        db.session.scalars(
            select(WorkOrderEvent)
            .where(WorkOrderEvent.order_id == order.id)
            .order_by(WorkOrderEvent.at, WorkOrderEvent.id)
        )
    )
