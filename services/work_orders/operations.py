"""Work orders' state changes: create, check, reopen, close, cancel and expire (a volunteer's
claim, start and done: services.work_orders.claims).

Every rule lives here so the app, SMS and Telegram (services.work_orders.commands) behave the
same. Functions flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from models import (
    Community,
    Grid,
    Person,
    WorkOrder,
    WorkOrderEvent,
    db,
)
from models.roles import Role
from models.work_orders import LIVE_STATUSES, OrderStatus, Priority
from notify.message import Message
from notify.outbox import send_later
from services.errors import DomainError, InvalidInput
from services.needs import operations as needs
from services.work_groups import telling as work_groups
from services.work_orders.audiences import Audience, audience_people, check_audience
from services.work_orders.queries import when_text

MAX_TITLE = 100
MAX_INSTRUCTIONS = 2000
MAX_LOCATION = 200
MAX_NOTE = 1000
MAX_REASON = 500
MAX_PLACES = 500
# The longest window one order may span (a patrol night, a weekend clean-up).
MAX_WINDOW = timedelta(days=7)
MANAGER_ROLES = {Role.SECRETARY, Role.STAFF, Role.GRID_LEADER}


# -- input ------------------------------------------------------------------------------------


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


def check_order(
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
    now: datetime,
    grid: Grid | None = None,
) -> None:
    """Refuse what create_order would refuse, saving nothing (the confirmation step asks it)."""
    check_text(title, _("a title"), MAX_TITLE, required=True)
    check_text(instructions, _("what to do"), MAX_INSTRUCTIONS, required=False)
    check_text(location, _("where"), MAX_LOCATION, required=False)
    parse_places(places_needed)
    if priority not in set(Priority):
        raise InvalidInput(_("Unknown priority."))
    check_window(starts_at, ends_at, now)
    if grid is not None and grid.community_id != community.id:
        raise InvalidInput(_("That grid is not in your area."))
    check_audience(community, audience, grid)


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
    check_order(
        community,
        title=title,
        instructions=instructions,
        location=location,
        starts_at=starts_at,
        ends_at=ends_at,
        places_needed=places_needed,
        priority=priority,
        audience=audience,
        now=now,
        grid=grid,
    )
    title = check_text(title, _("a title"), MAX_TITLE, required=True)
    instructions = check_text(instructions, _("what to do"), MAX_INSTRUCTIONS, required=False)
    location = check_text(location, _("where"), MAX_LOCATION, required=False)
    places = parse_places(places_needed)
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
        work_groups.order_created(order, when_text(order), now)
        order.announced_at = now
        record(order, "announced", now, by, detail=str(len(people)))
    return order


def all_reported(order: WorkOrder) -> bool:
    """Return whether every place is taken and everyone holding one reported it done.

    One of three reporting early leaves the order open: the other places are still to be
    worked (or claimed). Its organiser may close it sooner (`close`).
    """
    active = order.active_claims()
    return (
        order.places_claimed >= order.places_needed
        and bool(active)
        and all(c.done_at is not None for c in active)
    )


def to_check(order: WorkOrder, now: datetime, *, tell_creator: bool = True) -> None:
    """The work is done: it waits for its organiser's check (verify or reopen)."""
    order.status = OrderStatus.DONE
    order.done_at = now
    creator = db.session.get(Person, order.created_by_id)
    if tell_creator and creator is not None:
        tell(order, "work_order_to_check", [creator], now, f"check:{now.isoformat()}")


def close(order: WorkOrder, *, by: Person, now: datetime) -> int:
    """The organiser ends the work before every place is reported: what was done is checked.

    Returns how many reported it done. Work nobody reported is cancelled instead.
    """
    if not order.live:
        raise DomainError(_("%(ref)s is closed.", ref=order.ref))
    reported = [c for c in order.active_claims() if c.done_at is not None]
    if not reported:
        raise DomainError(
            _("Nobody has reported %(ref)s done yet: cancel it instead.", ref=order.ref)
        )
    to_check(order, now, tell_creator=False)
    record(order, "closed", now, by, detail=str(len(reported)))
    db.session.flush()
    return len(reported)


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


def cancel(order: WorkOrder, *, by: Person, now: datetime) -> int:
    """Call the work off: the claimers are told, and a need it came from goes back undecided.

    Returns how many claimers were told.
    """
    if order.status not in (*LIVE_STATUSES, OrderStatus.DONE):
        raise DomainError(_("%(ref)s is closed.", ref=order.ref))
    order.status = OrderStatus.CANCELLED
    record(order, "cancelled", now, by)
    claimers = [c.person for c in order.active_claims()]
    tell(order, "work_order_cancelled", claimers, now, "cancel")
    if order.need_id is not None:
        needs.give_back(order.ref, "cancelled", now)
    db.session.flush()
    return len(claimers)


def expire(order: WorkOrder, *, now: datetime) -> str:
    """Close an order whose window has passed: checked if anyone reported, else expired.

    An expired order gives the need it came from back to whoever decided it. Returns the
    action recorded ("closed_by_itself" or "expired").
    """
    if not order.live or order.ends_at > now:
        raise DomainError(_("%(ref)s is not past its window.", ref=order.ref))
    if any(c.done_at is not None for c in order.active_claims()):
        to_check(order, now)
        record(order, "closed_by_itself", now, via="system")
        return "closed_by_itself"
    order.status = OrderStatus.EXPIRED
    record(order, "expired", now, via="system")
    if order.need_id is not None:
        needs.give_back(order.ref, "expired", now)
    return "expired"
