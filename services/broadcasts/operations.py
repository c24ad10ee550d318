"""Broadcasts' state changes: mobilise volunteers, inform the residents a policy concerns.

A mobilisation is an urgent message tied to a work order: a "1" reply (services.broadcasts
.commands) claims a place on it, so the same rule (exactly as many as needed) holds. An
information broadcast goes to residents chosen by criteria (age, grid, living alone). One
BroadcastRecipient row per recipient keeps which grid and partner unit each counts under, and
their reply. Functions flush, never commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

from models import (
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    Community,
    Grid,
    Household,
    Person,
    Post,
    Resident,
    db,
)
from models.work_orders import Priority
from notify.message import Message
from notify.outbox import send_later
from services.broadcasts.queries import Criteria, residents_matching
from services.errors import InvalidInput
from services.work_orders import operations as work_orders
from services.work_orders.audiences import Audience, audience_people

# Twilio recommends at most 500 characters to mainland numbers.
MAX_TEXT = 500


def check_text(text: str) -> str:
    return work_orders.check_text(text, _("the message"), MAX_TEXT, required=True)


def _attribution(community_id: int, person_ids: list[int], today: date) -> dict[int, int | None]:
    """Return the grid each person is counted under (their first post in a grid)."""
    grid_of: dict[int, int | None] = {}
    for start in range(0, len(person_ids), 5000):
        chunk = person_ids[start : start + 5000]
        rows = db.session.execute(
            select(Post.person_id, func.min(Post.grid_id))
            .where(
                Post.person_id.in_(chunk),
                Post.community_id == community_id,
                Post.grid_id.isnot(None),
                Post.active_on(today),
            )
            .group_by(Post.person_id)
        )
        grid_of.update({pid: gid for pid, gid in rows})
    return grid_of


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
    """Send an urgent call for volunteers; a "1" reply (or "认领 T34") takes a place."""
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
    people = audience_people(community.id, audience, today, order.grid_id)
    if not people:
        raise InvalidInput(_("Nobody serves in the audience you chose yet."))
    broadcast = Broadcast(
        community_id=community.id,
        kind=BroadcastKind.MOBILISATION,
        text=text,
        audience=audience.as_json(),
        order_id=order.id,
        recipient_count=len(people),
        skipped_count=0,
        created_by_id=by.id,
        created_at=now,
        sent_at=now,
    )
    db.session.add(broadcast)
    db.session.flush()
    grid_of = _attribution(community.id, [p.id for p in people], today)
    _add_recipients(
        broadcast,
        [
            {
                "recipient_key": f"p{p.id}",
                "person_id": p.id,
                "resident_id": None,
                "grid_id": grid_of.get(p.id),
                "partner_unit_id": p.partner_unit_id,
            }
            for p in people
        ],
    )
    send_later(
        Message(
            "mobilisation",
            {"text": text},
            batch_key=broadcast.batch_key,
            urgent=True,
            ref=order.ref,
            community_id=community.id,
            actions=(("报名 Join", f"认领 {order.ref}"),),
        ),
        to=people,
        now=now,
    )
    order.announced_at = now
    work_orders.record(order, "announced", now, by, detail=f"broadcast:{broadcast.id}")
    return broadcast


def _add_recipients(broadcast: Broadcast, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row.update(broadcast_id=broadcast.id, reply="")
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(BroadcastRecipient), rows[start : start + 5000])


def inform(
    community: Community,
    *,
    text: str,
    criteria: Criteria,
    by: Person,
    now: datetime,
    today: date,
) -> Broadcast:
    """Send a policy notice to the residents it concerns (with SMS consent or an account).

    It is not urgent: in quiet hours it waits until morning (the outbox defers it).
    """
    text = check_text(text)
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
    residents = list(
        db.session.scalars(
            residents_matching(community, criteria, today).options(
                selectinload(Resident.household).selectinload(Household.building),
                selectinload(Resident.person),
            )
        )
    )
    if not residents:
        raise InvalidInput(_("No resident matches: nobody would receive it."))
    reachable = [r for r in residents if r.sms_consent or r.person_id is not None]
    if not reachable:
        raise InvalidInput(_("None of these residents agreed to receive SMS."))
    broadcast = Broadcast(
        community_id=community.id,
        kind=BroadcastKind.INFORMATION,
        text=text,
        audience=criteria.as_json(),
        recipient_count=len(reachable),
        skipped_count=len(residents) - len(reachable),
        created_by_id=by.id,
        created_at=now,
        sent_at=now,
    )
    db.session.add(broadcast)
    db.session.flush()
    rows = []
    seen: set[str] = set()
    for r in reachable:
        key = f"p{r.person_id}" if r.person_id is not None else f"r{r.id}"
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "recipient_key": key,
                "person_id": r.person_id,
                "resident_id": r.id,
                "grid_id": r.household.building.grid_id,
                "partner_unit_id": None,
            }
        )
    _add_recipients(broadcast, rows)
    send_later(
        Message(
            "policy_notice",
            {"text": text},
            batch_key=broadcast.batch_key,
            community_id=community.id,
        ),
        to=reachable,
        now=now,
    )
    return broadcast
