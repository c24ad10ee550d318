"""Broadcasts: mobilise volunteers ("reply 1 to join"), or inform the residents a policy concerns.

A mobilisation is an urgent message tied to a work order: a "1" reply (notify.replies) claims
a place on it, so the same rule (exactly as many as needed) holds. An information broadcast
goes to residents chosen by criteria (age, grid, living alone), and its delivery report is
read from the outbox's Delivery rows. One BroadcastRecipient row per recipient keeps which
grid and partner unit each counts under, and their reply.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import selectinload

from models import (
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    Building,
    Community,
    Delivery,
    DeliveryState,
    Grid,
    Household,
    PartnerUnit,
    Person,
    Post,
    Resident,
    WorkOrder,
    WorkOrderClaim,
    db,
)
from models.work_orders import Priority
from notify.commands import Inbound, Reply
from notify.message import Message
from notify.outbox import send_later
from notify.replies import Question, register_answerer
from services import work_orders
from services.errors import InvalidInput
from services.work_orders import Audience

# Twilio recommends at most 500 characters to mainland numbers.
MAX_TEXT = 500
MAX_AGE = 120
# A "1" answers a mobilisation for this long after it went out (and while its order is live).
REPLY_WINDOW = timedelta(hours=48)
REACHED = (DeliveryState.SENT, DeliveryState.DELIVERED)
STATE_ORDER = [
    DeliveryState.QUEUED,
    DeliveryState.DEFERRED,
    DeliveryState.SENDING,
    DeliveryState.SENT,
    DeliveryState.DELIVERED,
    DeliveryState.UNDELIVERED,
    DeliveryState.FAILED,
    DeliveryState.SUPPRESSED,
]


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
    people = work_orders.audience_people(community.id, audience, today, order.grid_id)
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


@dataclass(frozen=True)
class Criteria:
    """Which residents an information broadcast concerns."""

    min_age: int | None = None
    grids: tuple[int, ...] = ()
    lives_alone: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"min_age": self.min_age, "grids": list(self.grids), "lives_alone": self.lives_alone}


def criteria_from_form(form: Any) -> Criteria:
    raw_age = (form.get("min_age") or "").strip()
    min_age = None
    if raw_age:
        try:
            min_age = int(raw_age)
        except ValueError:
            raise InvalidInput(_("Enter the age as a number, e.g. 80.")) from None
        if not 0 < min_age <= MAX_AGE:
            raise InvalidInput(_("Enter an age between 1 and %(n)d.", n=MAX_AGE))
    grids = work_orders._ints(form.getlist("grids"))
    return Criteria(min_age, grids, form.get("lives_alone") in ("1", "on", "true"))


def residents_matching(community: Community, criteria: Criteria, today: date) -> Any:
    """Return the query of the community's residents the criteria select."""
    query = (
        select(Resident)
        .join(Household, Resident.household_id == Household.id)
        .join(Building, Household.building_id == Building.id)
        .where(Building.community_id == community.id)
    )
    if criteria.min_age is not None:
        query = query.where(
            Resident.birth_year.isnot(None), Resident.birth_year <= today.year - criteria.min_age
        )
    if criteria.grids:
        query = query.where(Building.grid_id.in_(criteria.grids))
    if criteria.lives_alone:
        query = query.where(Resident.lives_alone.is_(True))
    return query


def count_matching(community: Community, criteria: Criteria, today: date) -> tuple[int, int]:
    """Return (residents selected, of whom may be messaged: consent or an own account)."""
    base = residents_matching(community, criteria, today).subquery()
    total = db.session.scalar(select(func.count()).select_from(base)) or 0
    reachable = (
        db.session.scalar(
            select(func.count())
            .select_from(base)
            .where(or_(base.c.sms_consent.is_(True), base.c.person_id.isnot(None)))
        )
        or 0
    )
    return int(total), int(reachable)


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


# -- reports ----------------------------------------------------------------------------------


@dataclass
class Tally:
    label: str
    total: int = 0
    reached: int = 0
    replied: int = 0
    claimed: int = 0
    states: Counter[str] = field(default_factory=Counter)

    def add(self, n: int, state: str | None, replied: bool, claimed: bool) -> None:
        self.total += n
        self.states[state or "none"] += n
        if state in REACHED:
            self.reached += n
        if replied:
            self.replied += n
        if claimed:
            self.claimed += n


@dataclass
class Report:
    overall: Tally
    by_grid: list[Tally]
    by_unit: list[Tally]
    order: WorkOrder | None
    failures: list[tuple[str, str, str]]  # (recipient, state, reason)
    states: list[str] = field(default_factory=lambda: [str(s) for s in STATE_ORDER])


def report(broadcast: Broadcast, failures: int = 50) -> Report:
    """Count reached / replied / claimed per grid and partner unit, with delivery states."""
    br = BroadcastRecipient
    claimed_expr = (
        select(WorkOrderClaim.id)
        .where(
            WorkOrderClaim.order_id == broadcast.order_id,
            WorkOrderClaim.person_id == br.person_id,
            WorkOrderClaim.withdrawn_at.is_(None),
        )
        .exists()
        if broadcast.order_id is not None
        else None
    )
    columns: list[Any] = [
        br.grid_id,
        br.partner_unit_id,
        Delivery.state,
        br.replied_at.isnot(None),
    ]
    if claimed_expr is not None:
        columns.append(claimed_expr)
    query = (
        select(*columns, func.count(br.id))
        .select_from(br)
        .outerjoin(
            Delivery,
            and_(
                Delivery.batch_key == broadcast.batch_key,
                Delivery.recipient_key == br.recipient_key,
            ),
        )
        .where(br.broadcast_id == broadcast.id)
        .group_by(*columns)
    )
    grid_names = dict(
        db.session.execute(
            select(Grid.id, Grid.name).where(Grid.community_id == broadcast.community_id)
        ).all()
    )
    unit_names = dict(
        db.session.execute(
            select(PartnerUnit.id, PartnerUnit.name).where(
                PartnerUnit.community_id == broadcast.community_id
            )
        ).all()
    )
    overall = Tally(_("Everyone"))
    grids: dict[int | None, Tally] = {}
    units: dict[int, Tally] = {}
    for row in db.session.execute(query):
        grid_id, unit_id, state, replied = row[0], row[1], row[2], bool(row[3])
        claimed = bool(row[4]) if claimed_expr is not None else False
        n = int(row[-1])
        overall.add(n, state, replied, claimed)
        label = grid_names.get(grid_id, _("No grid")) if grid_id is not None else _("No grid")
        grids.setdefault(grid_id, Tally(label)).add(n, state, replied, claimed)
        if unit_id is not None:
            units.setdefault(unit_id, Tally(unit_names.get(unit_id, "?"))).add(
                n, state, replied, claimed
            )
    failed_rows = db.session.execute(
        select(Delivery.recipient_key, Delivery.state, Delivery.error_reason, Delivery.address)
        .where(
            Delivery.batch_key == broadcast.batch_key,
            Delivery.state.in_(
                [DeliveryState.FAILED, DeliveryState.UNDELIVERED, DeliveryState.SUPPRESSED]
            ),
        )
        .order_by(Delivery.id)
        .limit(failures)
    ).all()
    from services.phones import mask

    return Report(
        overall=overall,
        by_grid=sorted(grids.values(), key=lambda t: (t.label == _("No grid"), t.label)),
        by_unit=sorted(units.values(), key=lambda t: t.label),
        order=db.session.get(WorkOrder, broadcast.order_id) if broadcast.order_id else None,
        failures=[(mask(addr) or key, state, reason) for key, state, reason, addr in failed_rows],
    )


# -- "1" replies ------------------------------------------------------------------------------


def _sender(message: Inbound) -> Person | None:
    if message.person is not None:
        return message.person
    if message.phone:
        return db.session.scalar(select(Person).where(Person.phone == message.phone))
    return None


def answer_join(recipient_id: int, message: Inbound, value: int) -> Reply:
    """Take a "1" as joining: record the reply and claim a place on the order."""
    row = db.session.get(BroadcastRecipient, recipient_id)
    assert row is not None
    broadcast = db.session.get(Broadcast, row.broadcast_id)
    assert broadcast is not None and broadcast.order_id is not None
    order = db.session.get(WorkOrder, broadcast.order_id)
    assert order is not None
    if value != 1:
        return Reply("mobilisation_how", {"ref": order.ref})
    db.session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.id == recipient_id)
        .values(replied_at=func.coalesce(BroadcastRecipient.replied_at, message.now), reply="1")
        .execution_options(synchronize_session=False)
    )
    person = _sender(message)
    if person is None:
        return Reply("work_order_who", {})
    from services.order_commands import claim_reply

    today = message.now.astimezone(work_orders.quiet.SHANGHAI).date()
    result = work_orders.claim(
        order, by=person, via=message.channel, now=message.now, today=today, check_audience_of=False
    )
    return claim_reply(order, result)


def latest_question(message: Inbound) -> Question | None:
    """Return the latest live mobilisation this sender was asked to answer with "1"."""
    person = _sender(message)
    if person is None:
        return None
    row = db.session.execute(
        select(BroadcastRecipient.id, Broadcast.sent_at)
        .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
        .join(WorkOrder, WorkOrder.id == Broadcast.order_id)
        .where(
            BroadcastRecipient.person_id == person.id,
            Broadcast.kind == BroadcastKind.MOBILISATION,
            Broadcast.sent_at > message.now - REPLY_WINDOW,
            WorkOrder.ends_at > message.now,
        )
        .order_by(Broadcast.sent_at.desc(), Broadcast.id.desc())
        .limit(1)
    ).first()
    if row is None or row[1] is None:
        return None
    recipient_id, sent_at = int(row[0]), row[1]
    assert sent_at is not None
    return Question(
        asked_at=sent_at, answer=lambda inbound, value: answer_join(recipient_id, inbound, value)
    )


register_answerer("mobilisation", latest_question)


def visible(community_ids: set[int], grid_ids: set[int]) -> Any:
    """Return a WHERE clause for the broadcasts an area's holder may open."""
    parts = []
    if community_ids:
        parts.append(Broadcast.community_id.in_(community_ids))
    if grid_ids:
        parts.append(
            Broadcast.order_id.in_(select(WorkOrder.id).where(WorkOrder.grid_id.in_(grid_ids)))
        )
    from sqlalchemy import false

    return or_(*parts) if parts else false()


def counts_by_state(broadcast: Broadcast) -> dict[str, int]:
    rows = db.session.execute(
        select(Delivery.state, func.count(Delivery.id))
        .where(Delivery.batch_key == broadcast.batch_key)
        .group_by(Delivery.state)
    )
    return defaultdict(int, {state: int(n) for state, n in rows})
