"""A need from the needs list turned into a work order (the needs list's "work_order" decision).

The needs list does not import work orders: the caller hands `needs.operations.decide` this
conversion. The order answers the need through `needs.operations.settle_from` when verified.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from models import Community, Grid, Need, Person, db
from services.needs.messages import short
from services.work_orders import operations as work_orders
from services.work_orders.audiences import Audience

# The order's window: a week from the decision.
ORDER_DAYS = 7


def to_order(need: Need, by: Person, today: date, now: datetime) -> str:
    """Create a one-place work order for the need's grid and return its ref."""
    community = db.session.get(Community, need.community_id)
    assert community is not None
    grid = db.session.get(Grid, need.grid_id) if need.grid_id is not None else None
    where = need.household.address if need.household is not None else ""
    order = work_orders.create_order(
        community,
        title=short(need.text, 40),
        instructions=need.text,
        location=where[:100],
        starts_at=now,
        ends_at=now + timedelta(days=ORDER_DAYS),
        places_needed=1,
        audience=Audience(grids=(grid.id,) if grid else ()),
        by=by,
        now=now,
        today=today,
        grid=grid,
        need_id=need.id,
    )
    return str(order.ref)
