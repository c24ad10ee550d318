"""Work orders: dispatch to an audience, claim (exactly as many as needed), do, check, chase.

Every rule lives here so the app, SMS and Telegram (services.order_commands) behave the same.
Functions flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import case, false, or_, select, update
from sqlalchemy.exc import IntegrityError

from models import (
    Community,
    Grid,
    PartnerUnit,
    Person,
    Post,
    WorkOrder,
    WorkOrderClaim,
    WorkOrderEvent,
    WorkOrderReminder,
    db,
)
from models.roles import Role
from models.work_orders import LIVE_STATUSES, OrderStatus, Priority
from notify import quiet
from notify.message import Message
from notify.outbox import send_later
from services.errors import DomainError, InvalidInput, NotFound
from services.needs import operations as needs
from services.roster import areas, posts

MAX_TITLE = 100
MAX_INSTRUCTIONS = 2000
MAX_LOCATION = 200
MAX_NOTE = 1000
MAX_REASON = 500
MAX_PLACES = 500
# The longest window one order may span (a patrol night, a weekend clean-up).
MAX_WINDOW = timedelta(days=7)
MANAGER_ROLES = {Role.SECRETARY, Role.STAFF, Role.GRID_LEADER}

# Chasing (tasks.work_orders): defaults, overridable in the app config.
DEFAULTS = {
    "WORK_ORDER_ANNOUNCE_AGAIN_HOURS": 2.0,
    "WORK_ORDER_ESCALATE_HOURS": 2.0,
    "WORK_ORDER_REMIND_BEFORE_HOURS": 2.0,
}


def setting(name: str) -> float:
    if has_app_context():
        return float(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


@dataclass(frozen=True)
class Audience:
    """Whom an order (or a mobilisation) goes to; people in any part are reached once."""

    grids: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    partner_units: tuple[int, ...] = ()
    people: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.grids or self.roles or self.partner_units or self.people)

    def as_json(self) -> dict[str, list[Any]]:
        return {
            "grids": list(self.grids),
            "roles": list(self.roles),
            "partner_units": list(self.partner_units),
            "people": list(self.people),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Audience:
        data = data or {}
        return cls(
            tuple(int(x) for x in data.get("grids", ())),
            tuple(str(x) for x in data.get("roles", ())),
            tuple(int(x) for x in data.get("partner_units", ())),
            tuple(int(x) for x in data.get("people", ())),
        )


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


# -- reading ----------------------------------------------------------------------------------


def when_text(order: WorkOrder) -> str:
    """Return the window in local time, short enough for an SMS: "11-26 07:00-09:00"."""
    start = order.starts_at.astimezone(quiet.SHANGHAI)
    end = order.ends_at.astimezone(quiet.SHANGHAI)
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


def audience_people(
    community_id: int, audience: Audience, today: date, grid_id: int | None = None
) -> list[Person]:
    """Return the active people an audience reaches, each once (a grid order: in that grid)."""
    active = Post.active_on(today)
    in_scope = [Post.community_id == community_id, active]
    if grid_id is not None:
        in_scope.append(Post.grid_id == grid_id)
    ids: set[int] = set()
    if audience.grids:
        ids.update(
            db.session.scalars(
                select(Post.person_id).where(*in_scope, Post.grid_id.in_(audience.grids))
            )
        )
    if audience.roles:
        ids.update(
            db.session.scalars(
                select(Post.person_id).where(*in_scope, Post.role.in_(audience.roles))
            )
        )
    if audience.partner_units:
        unit_members = select(Person.id).where(Person.partner_unit_id.in_(audience.partner_units))
        if grid_id is not None:
            unit_members = unit_members.where(
                Person.id.in_(select(Post.person_id).where(*in_scope))
            )
        ids.update(db.session.scalars(unit_members))
    if audience.people:
        named = select(Person.id).where(Person.id.in_(audience.people))
        if grid_id is not None:
            named = named.where(Person.id.in_(select(Post.person_id).where(*in_scope)))
        ids.update(db.session.scalars(named))
    if not ids:
        return []
    found: list[Person] = []
    id_list = sorted(ids)
    for start in range(0, len(id_list), 5000):
        found.extend(
            db.session.scalars(
                select(Person)
                .where(Person.id.in_(id_list[start : start + 5000]), Person.active.is_(True))
                .order_by(Person.id)
            )
        )
    return found


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
    parts = []
    if audience.grids:
        parts.append(Post.grid_id.in_(audience.grids))
    if audience.roles:
        parts.append(Post.role.in_(audience.roles))
    if not parts:
        return False
    return db.session.scalar(held.where(or_(*parts)).limit(1)) is not None


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


# -- input ------------------------------------------------------------------------------------


def parse_local_datetime(value: str | None, what: str) -> datetime:
    """Parse "2026-11-26T07:00" (a datetime-local field) as Asia/Shanghai time."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("Enter %(what)s.", what=what))
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            _("“%(value)s” is not a date and time (YYYY-MM-DD HH:MM).", value=value[:40])
        ) from None
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=quiet.SHANGHAI)
    return naive


def parse_places(value: str | int | None) -> int:
    try:
        places = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(_("Enter how many people are needed, as a number.")) from None
    if places < 1:
        raise InvalidInput(_("At least one person must be needed."))
    if places > MAX_PLACES:
        raise InvalidInput(_("At most %(n)d people per order.", n=MAX_PLACES))
    return places


def _ints(values: Iterable[Any]) -> tuple[int, ...]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise InvalidInput(_("The audience holds an unknown choice.")) from None
    return tuple(sorted(set(out)))


def audience_from_form(form: Any) -> Audience:
    """Read the audience checkboxes (grids, roles, partner_units, people) of a form."""
    return Audience(
        grids=_ints(form.getlist("grids")),
        roles=tuple(sorted({str(r) for r in form.getlist("roles") if r})),
        partner_units=_ints(form.getlist("partner_units")),
        people=_ints(form.getlist("people")),
    )


def check_audience(community: Community, audience: Audience, grid: Grid | None) -> None:
    """Refuse an empty audience, or one naming grids, units or people outside the scope."""
    if audience.empty:
        raise InvalidInput(_("Choose whom it goes to: grids, posts, partner units or people."))
    if audience.grids:
        found = set(
            db.session.scalars(
                select(Grid.id).where(
                    Grid.id.in_(audience.grids), Grid.community_id == community.id
                )
            )
        )
        if found != set(audience.grids) or (grid is not None and found - {grid.id}):
            raise InvalidInput(_("That grid is not in your area."))
    if audience.roles:
        known = {code for code, _name in posts.roles_for(community.id)}
        if set(audience.roles) - known:
            raise InvalidInput(_("Unknown post."))
    if audience.partner_units:
        found = set(
            db.session.scalars(
                select(PartnerUnit.id).where(
                    PartnerUnit.id.in_(audience.partner_units),
                    PartnerUnit.community_id == community.id,
                )
            )
        )
        if found != set(audience.partner_units):
            raise InvalidInput(_("That partner unit is not in this community."))
    if audience.people:
        found = set(
            db.session.scalars(
                select(Post.person_id).where(
                    Post.person_id.in_(audience.people),
                    Post.community_id == community.id,
                    Post.grid_id == grid.id if grid is not None else Post.id.isnot(None),
                )
            )
        ) | set(
            db.session.scalars(
                select(Person.id)
                .join(PartnerUnit, Person.partner_unit_id == PartnerUnit.id)
                .where(Person.id.in_(audience.people), PartnerUnit.community_id == community.id)
            )
            if grid is None
            else []
        )
        if found != set(audience.people):
            raise InvalidInput(_("That person does not serve in your area."))


def check_text(value: str, what: str, limit: int, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("Enter %(what)s.", what=what))
    if len(value) > limit:
        raise InvalidInput(_("%(what)s is too long: at most %(n)d characters.", what=what, n=limit))
    return value


def check_window(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput(_("The window must end after it starts."))
    if ends_at - starts_at > MAX_WINDOW:
        raise InvalidInput(_("A window may last at most 7 days."))
    if ends_at <= now:
        raise InvalidInput(_("The window is already over."))


# -- events and messages ----------------------------------------------------------------------


def record(
    order: WorkOrder,
    action: str,
    now: datetime,
    person: Person | None = None,
    via: str = "app",
    detail: str = "",
) -> None:
    db.session.add(
        WorkOrderEvent(
            order_id=order.id,
            person_id=person.id if person else None,
            action=action,
            via=via,
            detail=detail[:MAX_NOTE],
            at=now,
        )
    )


def params(order: WorkOrder, **extra: Any) -> dict[str, Any]:
    return {
        "ref": order.ref,
        "title": order.title,
        "when": when_text(order),
        "location": order.location or "-",
        "needed": order.places_needed,
        "missing": order.places_free,
        **extra,
    }


def claim_button(order: WorkOrder) -> tuple[tuple[str, str], ...]:
    """Return the Telegram button that sends "认领 T34" back when pressed."""
    return (("认领 Claim", f"认领 {order.ref}"),)


def tell(
    order: WorkOrder, kind: str, to: Iterable[Person], now: datetime, key: str, **extra: Any
) -> list[int]:
    """Send one message kind about an order; the key makes each (key, person) go once."""
    people = list(to)
    if not people:
        return []
    buttons = claim_button(order) if kind in ("work_order_new", "work_order_again") else ()
    if kind == "work_order_before_window":
        buttons = (("开始 Start", f"开始 {order.ref}"), ("退出 Withdraw", f"退出 {order.ref}"))
    return send_later(
        Message(
            kind,
            params(order, **extra),
            batch_key=f"work_order:{order.id}:{key}",
            urgent=order.priority == Priority.URGENT and kind == "work_order_new",
            ref=order.ref,
            community_id=order.community_id,
            actions=buttons,
        ),
        to=people,
        now=now,
    )


# -- creating ---------------------------------------------------------------------------------


def create_order(
    community: Community,
    *,
    title: str,
    instructions: str = "",
    location: str = "",
    starts_at: datetime,
    ends_at: datetime,
    places_needed: int | str,
    priority: str = Priority.NORMAL,
    audience: Audience,
    by: Person,
    now: datetime,
    today: date,
    grid: Grid | None = None,
    need_id: int | None = None,
    announce: bool = True,
) -> WorkOrder:
    """Create a work order and tell its audience; refuse bad input before saving anything."""
    title = check_text(title, _("a title"), MAX_TITLE, required=True)
    instructions = check_text(instructions, _("what to do"), MAX_INSTRUCTIONS, required=False)
    location = check_text(location, _("where"), MAX_LOCATION, required=False)
    places = parse_places(places_needed)
    if priority not in set(Priority):
        raise InvalidInput(_("Unknown priority."))
    check_window(starts_at, ends_at, now)
    if grid is not None and grid.community_id != community.id:
        raise InvalidInput(_("That grid is not in your area."))
    check_audience(community, audience, grid)
    order = WorkOrder(
        community_id=community.id,
        grid_id=grid.id if grid else None,
        title=title,
        instructions=instructions,
        location=location,
        starts_at=starts_at,
        ends_at=ends_at,
        places_needed=places,
        places_claimed=0,
        priority=priority,
        status=OrderStatus.OPEN,
        audience=audience.as_json(),
        need_id=need_id,
        created_by_id=by.id,
        created_at=now,
        updated_at=now,
        reopen_reason="",
    )
    db.session.add(order)
    db.session.flush()
    record(order, "created", now, by, detail=f"{places}")
    if announce:
        people = audience_people(community.id, audience, today, order.grid_id)
        if not people:
            raise InvalidInput(_("Nobody serves in the audience you chose yet."))
        tell(order, "work_order_new", people, now, "new")
        order.announced_at = now
        record(order, "announced", now, by, detail=str(len(people)))
    return order


def order_from_form(
    form: Any,
    community: Community,
    *,
    by: Person,
    now: datetime,
    today: date,
    grid: Grid | None = None,
) -> WorkOrder:
    """Create an order from the web form's fields."""
    return create_order(
        community,
        title=form.get("title", ""),
        instructions=form.get("instructions", ""),
        location=form.get("location", ""),
        starts_at=parse_local_datetime(form.get("starts_at"), _("when it starts")),
        ends_at=parse_local_datetime(form.get("ends_at"), _("when it ends")),
        places_needed=form.get("places_needed", ""),
        priority=form.get("priority", Priority.NORMAL) or Priority.NORMAL,
        audience=audience_from_form(form),
        by=by,
        now=now,
        today=today,
        grid=grid,
    )


# -- claiming ---------------------------------------------------------------------------------


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
    active = [c for c in order.active_claims()]
    if active and all(c.done_at is not None for c in active):
        order.status = OrderStatus.DONE
        order.done_at = now
        creator = db.session.get(Person, order.created_by_id)
        if creator is not None:
            tell(order, "work_order_to_check", [creator], now, f"check:{now.isoformat()}")
    db.session.flush()
    return claim_row


def verify(order: WorkOrder, *, by: Person, now: datetime) -> None:
    """Accept the work as done; tell the claimers, and settle the need it came from."""
    if order.status != OrderStatus.DONE:
        raise DomainError(_("Only work reported done can be verified."))
    order.status = OrderStatus.VERIFIED
    order.verified_at = now
    order.verified_by_id = by.id
    record(order, "verified", now, by)
    claimers = [c.person for c in order.active_claims()]
    tell(order, "work_order_verified", claimers, now, "verified")
    if order.need_id is not None:
        _settle_need(order, now)
    db.session.flush()


def _settle_need(order: WorkOrder, now: datetime) -> None:
    notes = "；".join(c.note for c in order.active_claims() if c.note)
    answer = _("%(title)s was done: %(notes)s", title=order.title, notes=notes or order.title)
    needs.settle_from(order.ref, answer, now)


def reopen(order: WorkOrder, *, by: Person, reason: str, now: datetime) -> None:
    """Send the work back with a reason; the claimers' "done" is cleared and they are told."""
    reason = check_text(reason, _("a reason"), MAX_REASON, required=True)
    if order.status not in (OrderStatus.DONE, OrderStatus.VERIFIED):
        raise DomainError(_("Only work reported done can be reopened."))
    for c in order.active_claims():
        c.done_at = None
    order.status = (
        OrderStatus.FILLED if order.places_claimed >= order.places_needed else OrderStatus.OPEN
    )
    order.done_at = None
    order.verified_at = None
    order.verified_by_id = None
    order.reopen_reason = reason
    record(order, "reopened", now, by, detail=reason)
    claimers = [c.person for c in order.active_claims()]
    tell(order, "work_order_reopened", claimers, now, f"reopened:{now.isoformat()}", reason=reason)
    db.session.flush()


def cancel(order: WorkOrder, *, by: Person, now: datetime) -> None:
    if order.status in (OrderStatus.VERIFIED, OrderStatus.CANCELLED):
        raise DomainError(_("%(ref)s is closed.", ref=order.ref))
    order.status = OrderStatus.CANCELLED
    record(order, "cancelled", now, by)
    tell(order, "work_order_cancelled", [c.person for c in order.active_claims()], now, "cancel")
    db.session.flush()


# -- chasing (the periodic job) ---------------------------------------------------------------


@dataclass
class ChaseReport:
    announced_again: int = 0
    escalated: int = 0
    reminded: int = 0
    skipped_quiet: int = 0


def _local_day(now: datetime) -> date:
    return now.astimezone(quiet.SHANGHAI).date()


def _note_reminder(order: WorkOrder, person: Person, kind: str, now: datetime) -> bool:
    """Record a chase; False when this kind was sent before or the person had one today."""
    try:
        with db.session.begin_nested():
            db.session.add(
                WorkOrderReminder(
                    order_id=order.id,
                    person_id=person.id,
                    kind=kind,
                    day=_local_day(now),
                    sent_at=now,
                )
            )
            db.session.flush()
    except IntegrityError:
        return False
    return True


def _chase_people(
    order: WorkOrder, kind: str, people: Iterable[Person], now: datetime, **extra: Any
) -> int:
    told = [p for p in people if _note_reminder(order, p, kind, now)]
    tell(order, f"work_order_{kind}", told, now, kind, **extra)
    for p in told:
        record(order, "reminded" if kind == "before_window" else kind, now, p, "system")
    return len(told)


def _escalation_people(order: WorkOrder, today: date) -> list[Person]:
    audience = Audience.from_json(order.audience)
    grids = set(audience.grids)
    if order.grid_id is not None:
        grids.add(order.grid_id)
    else:
        # A community-wide order: the leaders of the grids its audience serves in.
        people = [p.id for p in audience_people(order.community_id, audience, today)]
        for start in range(0, len(people), 5000):
            grids.update(
                g
                for g in db.session.scalars(
                    select(Post.grid_id)
                    .where(
                        Post.person_id.in_(people[start : start + 5000]),
                        Post.community_id == order.community_id,
                        Post.grid_id.isnot(None),
                        Post.active_on(today),
                    )
                    .distinct()
                )
                if g is not None
            )
    leaders = (
        select(Post.person_id).where(
            Post.role == Role.GRID_LEADER, Post.grid_id.in_(grids), Post.active_on(today)
        )
        if grids
        else None
    )
    secretaries = select(Post.person_id).where(
        Post.role == Role.SECRETARY, Post.community_id == order.community_id, Post.active_on(today)
    )
    ids = set(db.session.scalars(secretaries))
    if leaders is not None:
        ids.update(db.session.scalars(leaders))
    return list(db.session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.id)))


def reminder_due(order: WorkOrder, now: datetime, community: Community | None) -> bool:
    """Return whether claimers who have not started should be reminded now.

    Normally within REMIND_BEFORE of the start. When quiet hours would swallow that time
    (a 07:00 snow clearing), remind in the last hour before they begin, the evening before.
    """
    if now >= order.starts_at:
        return False
    lead = timedelta(hours=setting("WORK_ORDER_REMIND_BEFORE_HOURS"))
    if order.starts_at - now <= lead:
        return True
    if order.starts_at - now > timedelta(hours=16):
        return False
    resume = quiet.next_allowed(now + timedelta(hours=1), community)
    return resume is not None and resume + timedelta(minutes=30) > order.starts_at


def chase(now: datetime, today: date | None = None) -> ChaseReport:
    """Announce unclaimed orders once more, then escalate; remind claimers before the window.

    Safe to run any number of times: every chase is a unique row (order, person, kind) and
    nobody gets more than one per order per day (order, person, day). Nothing is sent in the
    community's quiet hours.
    """
    today = today or _local_day(now)
    report = ChaseReport()
    again_after = timedelta(hours=setting("WORK_ORDER_ANNOUNCE_AGAIN_HOURS"))
    escalate_after = timedelta(hours=setting("WORK_ORDER_ESCALATE_HOURS"))
    orders = db.session.scalars(
        select(WorkOrder)
        .where(WorkOrder.status.in_(LIVE_STATUSES), WorkOrder.ends_at > now)
        .order_by(WorkOrder.id)
    ).all()
    for order in orders:
        community = db.session.get(Community, order.community_id)
        if quiet.next_allowed(now, community) is not None:
            report.skipped_quiet += 1
            continue
        if order.status == OrderStatus.OPEN and order.announced_at is not None:
            soon = order.starts_at - now <= timedelta(hours=3)
            # Each step runs on every pass while due: the reminder keys make it reach each
            # person once, and someone held back today (one chase a day) is reached tomorrow.
            if now - order.announced_at >= again_after or soon:
                holders = {c.person_id for c in order.active_claims()}
                people = [
                    p
                    for p in audience_people(
                        order.community_id,
                        Audience.from_json(order.audience),
                        today,
                        order.grid_id,
                    )
                    if p.id not in holders
                ]
                report.announced_again += _chase_people(order, "again", people, now)
                order.announced_again_at = order.announced_again_at or now
            if (
                order.announced_again_at is not None
                and order.announced_again_at < now
                and (now - order.announced_again_at >= escalate_after or soon)
            ):
                report.escalated += _chase_people(
                    order, "escalate", _escalation_people(order, today), now
                )
                order.escalated_at = order.escalated_at or now
        if reminder_due(order, now, community):
            waiting = [
                c.person
                for c in order.active_claims()
                if c.started_at is None and c.done_at is None
            ]
            report.reminded += _chase_people(order, "before_window", waiting, now)
    db.session.flush()
    return report
