"""What broadcasts a person may open, whom criteria select, and the delivery report."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, false, func, or_, select

from models import (
    Broadcast,
    BroadcastRecipient,
    Building,
    Community,
    Delivery,
    DeliveryState,
    Grid,
    Household,
    PartnerUnit,
    Resident,
    WorkOrder,
    WorkOrderClaim,
    db,
)
from services.messages import reasons as delivery_reasons
from services.phones import mask

MAX_AGE = 120
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


@dataclass(frozen=True)
class Criteria:
    """Which residents an information broadcast concerns."""

    min_age: int | None = None
    grids: tuple[int, ...] = ()
    lives_alone: bool = False
    # Any of these care flags (services.roster.operations.CARE_FLAGS); none: no filter.
    care_flags: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "min_age": self.min_age,
            "grids": list(self.grids),
            "lives_alone": self.lives_alone,
        }
        if self.care_flags:
            found["care_flags"] = list(self.care_flags)
        return found

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Criteria:
        data = data or {}
        min_age = data.get("min_age")
        return cls(
            int(min_age) if min_age is not None else None,
            tuple(int(g) for g in data.get("grids", ())),
            bool(data.get("lives_alone")),
            tuple(str(f) for f in data.get("care_flags", ())),
        )


def residents_matching(community: Community, criteria: Criteria, today: date) -> Any:
    """Return the query of the community's residents the criteria select."""
    query = (
        select(Resident)
        .join(Household, Resident.household_id == Household.id)
        .join(Building, Household.building_id == Building.id)
        .where(Building.community_id == community.id, Household.current(), Resident.living())
    )
    if criteria.min_age is not None:
        query = query.where(
            Resident.birth_year.isnot(None), Resident.birth_year <= today.year - criteria.min_age
        )
    if criteria.grids:
        query = query.where(Building.grid_id.in_(criteria.grids))
    if criteria.lives_alone:
        query = query.where(Resident.lives_alone.is_(True))
    if criteria.care_flags:
        # The flags are a JSON list; its text holds each code in quotes on SQLite and
        # PostgreSQL alike, and the codes are a fixed vocabulary (no LIKE wildcards).
        flags_text = func.coalesce(Resident.care_flags.cast(db.String), "")
        query = query.where(or_(*(flags_text.like(f'%"{f}"%') for f in criteria.care_flags)))
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
    # A worker died while sending these: the provider may have taken them before it did.
    uncertain: int = 0
    # Of those, sent again since: those recipients may have the message twice.
    sent_again: int = 0


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
        select(
            Delivery.recipient_key,
            Delivery.state,
            Delivery.error_reason,
            Delivery.address,
            Delivery.error_code,
            Delivery.kind,
        )
        .where(
            Delivery.batch_key == broadcast.batch_key,
            Delivery.state.in_(
                [DeliveryState.FAILED, DeliveryState.UNDELIVERED, DeliveryState.SUPPRESSED]
            ),
        )
        .order_by(Delivery.id)
        .limit(failures)
    ).all()
    uncertain, sent_again = db.session.execute(
        select(
            func.count(Delivery.id),
            func.coalesce(func.sum(case((Delivery.state.in_(REACHED), 1), else_=0)), 0),
        ).where(Delivery.batch_key == broadcast.batch_key, Delivery.uncertain.is_(True))
    ).one()
    return Report(
        uncertain=int(uncertain),
        sent_again=int(sent_again),
        overall=overall,
        by_grid=sorted(grids.values(), key=lambda t: (t.label == _("No grid"), t.label)),
        by_unit=sorted(units.values(), key=lambda t: t.label),
        order=db.session.get(WorkOrder, broadcast.order_id) if broadcast.order_id else None,
        failures=[
            (mask(addr) or key, state, delivery_reasons.shown(code, reason, kind))
            for key, state, reason, addr, code, kind in failed_rows
        ],
    )


def visible(community_ids: set[int], grid_ids: set[int]) -> Any:
    """Return a WHERE clause for the broadcasts an area's holder may open."""
    parts = []
    if community_ids:
        parts.append(Broadcast.community_id.in_(community_ids))
    if grid_ids:
        parts.append(
            Broadcast.order_id.in_(select(WorkOrder.id).where(WorkOrder.grid_id.in_(grid_ids)))
        )
    return or_(*parts) if parts else false()


def counts_by_state(broadcast: Broadcast) -> dict[str, int]:
    rows = db.session.execute(
        select(Delivery.state, func.count(Delivery.id))
        .where(Delivery.batch_key == broadcast.batch_key)
        .group_by(Delivery.state)
    )
    return defaultdict(int, {state: int(n) for state, n in rows})
