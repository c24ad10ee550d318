"""Broadcasts' state changes: mobilise volunteers, inform the residents a policy concerns.

A mobilisation is an urgent message tied to a work order: a "1" reply (services.broadcasts
.commands) claims a place on it, so the same rule (exactly as many as needed) holds. An
information broadcast goes to residents chosen by criteria (age, grid, living alone). The
request only checks and records the broadcast ("queued"); a job fans it out (see
services.broadcasts.fanout). Functions flush, never commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from models import Broadcast, BroadcastKind, BroadcastStatus, Community, Grid, Person, db
from models.work_orders import Priority
from services.broadcasts import fanout
from services.broadcasts.queries import Criteria, count_matching
from services.errors import InvalidInput
from services.work_groups import telling as work_groups
from services.work_orders import operations as work_orders
from services.work_orders.audiences import Audience, count_reached, reaches_anyone
from services.work_orders.queries import when_text

# Twilio recommends at most 500 characters to mainland numbers.
MAX_TEXT = 500


def check_text(text: str) -> str:
    return work_orders.check_text(text, _("the message"), MAX_TEXT, required=True)


def check_mobilisation(
    community: Community,
    *,
    text: str,
    title: str,
    location: str = "",
    starts_at: datetime,
    ends_at: datetime,
    places_needed: int | str,
    audience: Audience,
    now: datetime,
    today: date,
    grid: Grid | None = None,
) -> int:
    """Refuse what mobilise would refuse, saving nothing; return how many it would reach."""
    text = check_text(text)
    work_orders.check_order(
        community,
        title=title or text[:40],
        instructions=text,
        location=location,
        starts_at=starts_at,
        ends_at=ends_at,
        places_needed=places_needed,
        priority=Priority.URGENT,
        audience=audience,
        now=now,
        grid=grid,
    )
    reached = count_reached(community.id, audience, today, grid.id if grid else None)
    if not reached:
        raise InvalidInput(_("Nobody serves in the audience you chose yet."))
    return reached


def mobilise(
    community: Community,
    *,
    text: str,
    title: str,
    location: str = "",
    starts_at: datetime,
    ends_at: datetime,
    places_needed: int | str,
    audience: Audience,
    by: Person,
    now: datetime,
    today: date,
    grid: Grid | None = None,
) -> Broadcast:
    """Record an urgent call for volunteers; a job sends it once the caller commits.

    A "1" reply (or "认领 T34") takes a place on the order it comes with.
    """
    text = check_text(text)
    order = work_orders.create_order(
        community,
        title=title or text[:40],
        instructions=text,
        location=location,
        starts_at=starts_at,
        ends_at=ends_at,
        places_needed=places_needed,
        priority=Priority.URGENT,
        audience=audience,
        by=by,
        now=now,
        today=today,
        grid=grid,
        announce=False,
    )
    if not reaches_anyone(community.id, audience, today, order.grid_id):
        raise InvalidInput(_("Nobody serves in the audience you chose yet."))
    broadcast = _queued(community, BroadcastKind.MOBILISATION, text, audience.as_json(), by, now)
    broadcast.order_id = order.id
    db.session.flush()
    order.announced_at = now
    work_orders.record(order, "announced", now, by, detail=f"broadcast:{broadcast.id}")
    work_groups.mobilised(broadcast.id, text, order, when_text(order), now)
    return broadcast


def inform(
    community: Community,
    *,
    text: str,
    criteria: Criteria,
    by: Person,
    now: datetime,
    today: date,
) -> Broadcast:
    """Record a policy notice to the residents it concerns (with SMS consent or an account).

    A job sends it once the caller commits. It is not urgent: in quiet hours it waits until
    morning (the outbox defers it).
    """
    total, reachable = check_information(community, text=text, criteria=criteria, today=today)
    broadcast = _queued(community, BroadcastKind.INFORMATION, text, criteria.as_json(), by, now)
    broadcast.recipient_count, broadcast.skipped_count = reachable, total - reachable
    db.session.flush()
    return broadcast


def check_information(
    community: Community, *, text: str, criteria: Criteria, today: date
) -> tuple[int, int]:
    """Refuse what inform would refuse; return (residents matching, of whom may be messaged)."""
    check_text(text)
    if criteria.grids:
        found = set(
            db.session.scalars(
                select(Grid.id).where(
                    Grid.id.in_(criteria.grids), Grid.community_id == community.id
                )
            )
        )
        if found != set(criteria.grids):
            raise InvalidInput(_("That grid is not in your area."))
    total, reachable = count_matching(community, criteria, today)
    if not total:
        raise InvalidInput(_("No resident matches: nobody would receive it."))
    if not reachable:
        raise InvalidInput(_("None of these residents agreed to receive SMS."))
    return total, reachable


def _queued(
    community: Community,
    kind: str,
    text: str,
    audience: dict[str, Any],
    by: Person,
    now: datetime,
) -> Broadcast:
    """Add a broadcast in status "queued", to be prepared by a job after the commit."""
    broadcast = Broadcast(
        community_id=community.id,
        kind=kind,
        text=text,
        audience=audience,
        recipient_count=0,
        skipped_count=0,
        created_by_id=by.id,
        created_at=now,
        sent_at=now,
        status=BroadcastStatus.QUEUED,
        prepared_through=0,
    )
    db.session.add(broadcast)
    db.session.flush()
    fanout.prepare_soon(broadcast)
    return broadcast
