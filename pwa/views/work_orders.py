"""Work orders: secretary and grid leaders dispatch and check (volunteers claim in my_orders)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Need, Photo, WorkOrder, WorkOrderClaim, db
from models.roles import Permission, Role
from models.work_orders import OrderStatus, Priority
from pwa import audit_reads, auth, rendering
from pwa.confirming import kept_fields, two_steps
from pwa.forms.work_orders import OrderForm, ReopenForm
from pwa.rendering import render
from pwa.steps import run_step
from pwa.views.audiences import audience_choices, audience_lines, people_text, reach_fragment, scope
from services.errors import DomainError
from services.roster import posts
from services.work_orders import operations as work_orders
from services.work_orders import queries
from services.work_orders.audiences import count_reached

MANAGERS = {Role.SECRETARY, Role.STAFF, Role.GRID_LEADER}

bp = Blueprint("work_orders", __name__, url_prefix="/work-orders")
bp.before_request(auth.require_roles(set(MANAGERS)))
bp.before_request(auth.require_permission(Permission.DISPATCH))


def action_name(action: str) -> str:
    """Return how the history names an event."""
    return {
        "created": _("created"),
        "announced": _("announced"),
        "claimed": _("claimed"),
        "claim_refused": _("claim refused (filled or closed)"),
        "withdrawn": _("withdrew"),
        "started": _("started"),
        "done": _("reported done"),
        "verified": _("verified"),
        "reopened": _("reopened"),
        "cancelled": _("cancelled"),
        "again": _("announced again"),
        "escalate": _("escalated to the grid leader and secretary"),
        "reminded": _("reminded before the window"),
        "closed": _("closed by its organiser"),
        "closed_by_itself": _("closed by itself: its window passed"),
        "expired": _("expired: its window passed with nothing reported done"),
    }.get(action, action)


def helpers() -> dict[str, Any]:
    return {
        "action_name": action_name,
        "when": queries.when_text,
        "status_name": status_name,
        "priority_name": priority_name,
        "role_name": posts.role_name,
    }


def status_name(status: str) -> str:
    return {
        OrderStatus.OPEN: _("Open"),
        OrderStatus.FILLED: _("Filled"),
        OrderStatus.DONE: _("Done, to check"),
        OrderStatus.VERIFIED: _("Verified"),
        OrderStatus.CANCELLED: _("Cancelled"),
        OrderStatus.EXPIRED: _("Expired"),
    }.get(OrderStatus(status), status)


def priority_name(priority: str) -> str:
    return {
        Priority.NORMAL: _("Normal"),
        Priority.HIGH: _("High"),
        Priority.URGENT: _("Urgent"),
    }.get(Priority(priority), priority)


# -- managers ---------------------------------------------------------------------------------


@bp.get("")
def order_list() -> Any:
    area = auth.current_area()
    show = request.args.get("show", "live")
    query = (
        select(WorkOrder)
        .where(queries.managed_orders_clause(area))
        .order_by(WorkOrder.starts_at.desc())
        .limit(200)
    )
    if show == "live":
        query = query.where(
            WorkOrder.status.in_([OrderStatus.OPEN, OrderStatus.FILLED, OrderStatus.DONE])
        )
    community, grid = scope()
    return render(
        "work_orders/list.html",
        "orders",
        orders=db.session.scalars(query).all(),
        show=show,
        community=community,
        grid=grid,
        **helpers(),
    )


def _form(error: str | None, status: int) -> Any:
    community, grid = scope()
    return render_template(
        "work_orders/form.html",
        community=community,
        grid=grid,
        form=request.form,
        error=error,
        priorities=[(p.value, priority_name(p)) for p in Priority],
        **audience_choices(community, grid, url_for("work_orders.reach")),
    ), status


@bp.get("/new")
def new_order() -> Any:
    return _form(None, 200)


@bp.get("/reach")
def reach() -> Any:
    community, grid = scope()
    return reach_fragment(community, grid)


@bp.post("/new")
def create_order() -> Any:
    community, grid = scope()
    if request.form.get("edit"):
        return _form(None, 200)
    form = OrderForm()

    def fields() -> dict[str, Any]:
        assert form.starts_at.data is not None and form.ends_at.data is not None
        assert form.places_needed.data is not None
        return {
            "title": form.title.data,
            "instructions": form.instructions.data,
            "location": form.location.data,
            "starts_at": form.starts_at.data,
            "ends_at": form.ends_at.data,
            "places_needed": form.places_needed.data,
            "priority": form.priority.data,
            "audience": form.audience(),
            "now": auth.now(),
            "grid": grid,
        }

    def count() -> int:
        work_orders.check_order(community, **fields())
        n = count_reached(community.id, form.audience(), auth.today(), grid.id if grid else None)
        if not n:
            raise DomainError(_("Nobody serves in the audience you chose yet."))
        return n

    def confirm(n: int, changed: bool) -> Any:
        values = fields()
        return render_template(
            "work_orders/confirm.html",
            heading=_("Send this work order?"),
            lines=[
                (_("Title"), values["title"]),
                (_("When"), queries.window_text(values["starts_at"], values["ends_at"])),
                (_("People needed"), str(values["places_needed"])),
                *audience_lines(community, values["audience"]),
            ],
            reach=people_text(n),
            count=n,
            changed=changed,
            kept=kept_fields(),
            action=url_for("work_orders.create_order"),
            confirm_label=_("Send (%(n)d people)", n=n),
            editable=True,
        )

    def created(order: WorkOrder) -> Any:
        told = _told(order, "announced")
        flash(_("Work order %(ref)s sent; people told: %(n)d.", ref=order.ref, n=told))
        return redirect(url_for("work_orders.detail", order_id=order.id))

    return two_steps(
        form=form,
        count=count,
        act=lambda: work_orders.create_order(
            community, by=auth.person_required(), today=auth.today(), **fields()
        ),
        confirm=confirm,
        refused=lambda message: _form(message, 422),
        done=created,
    )


def _told(order: WorkOrder, action: str) -> int:
    """Return how many an order's event says were told (its detail holds the count)."""
    for event in reversed(queries.history(order)):
        if event.action == action and event.detail.isdigit():
            return int(event.detail)
    return 0


def _managed(order_id: int) -> WorkOrder:
    try:
        return queries.get_managed(auth.current_area(), order_id)
    except DomainError:
        abort(404)


def _detail(order: WorkOrder, error: str | None = None, status: int = 200) -> Any:
    claims = db.session.scalars(
        select(WorkOrderClaim)
        .where(WorkOrderClaim.order_id == order.id)
        .options(selectinload(WorkOrderClaim.person))
        .order_by(WorkOrderClaim.claimed_at)
    ).all()
    return render_template(
        "work_orders/detail.html",
        order=order,
        claims=claims,
        events=queries.history(order),
        error=error,
        **helpers(),
    ), status


def _note_read(order: WorkOrder, what: str) -> None:
    """A work order names its volunteers and, from a need, a household's place and trouble."""
    need = db.session.get(Need, order.need_id) if order.need_id else None
    audit_reads.note(
        order.community_id,
        "work_order",
        subject_id=order.id,
        households=[need.household_id] if need and need.household_id else [],
        residents=[need.resident_id] if need and need.resident_id else [],
        detail=f"{what} {order.ref}",
    )


@bp.get("/<int:order_id>")
def detail(order_id: int) -> Any:
    order = _managed(order_id)
    _note_read(order, "work order")
    return _detail(order)


@bp.post("/<int:order_id>/<any(verify, reopen, cancel, close):action>")
def manage(order_id: int, action: str) -> Any:
    order = _managed(order_id)
    person = auth.person_required()
    form = ReopenForm() if action == "reopen" else None
    claimers = len(order.active_claims())

    def step() -> int:
        if action == "verify":
            work_orders.verify(order, by=person, now=auth.now())
            return claimers
        if action == "reopen":
            assert form is not None
            work_orders.reopen(order, by=person, reason=form.reason.data, now=auth.now())
            return claimers
        if action == "close":
            return work_orders.close(order, by=person, now=auth.now())
        return work_orders.cancel(order, by=person, now=auth.now())

    def done(n: int) -> Any:
        said = {
            "verify": _("%(ref)s verified; people thanked: %(n)d.", ref=order.ref, n=n),
            "reopen": _("%(ref)s reopened; people told why: %(n)d.", ref=order.ref, n=n),
            "close": _("%(ref)s closed; reports to check now: %(n)d.", ref=order.ref, n=n),
            "cancel": _("%(ref)s cancelled; claimers told: %(n)d.", ref=order.ref, n=n),
        }
        flash(said[action])
        return redirect(url_for("work_orders.detail", order_id=order.id))

    def refused(message: str) -> Any:
        return _detail(_managed(order_id), message, 422)

    if action != "cancel":
        return run_step(step, form=form, refused=refused, done=done)

    def confirm(n: int, changed: bool) -> Any:
        lines = [
            (_("Work order"), f"{order.ref} · {order.title}"),
            (_("When"), queries.when_text(order)),
        ]
        if order.need_id is not None:
            lines.append(
                (
                    _("Need"),
                    _("N%(id)d goes back undecided to whoever decided it.", id=order.need_id),
                )
            )
        return render_template(
            "work_orders/confirm.html",
            heading=_("Cancel %(ref)s?", ref=order.ref),
            lines=lines,
            reach=_("Claimers who will be told: %(n)d.", n=n),
            count=n,
            changed=changed,
            kept=[],
            action=url_for("work_orders.manage", order_id=order.id, action="cancel"),
            confirm_label=_("Cancel the work order"),
            editable=False,
            back_url=url_for("work_orders.detail", order_id=order.id),
        )

    def count() -> int:
        if order.status not in (OrderStatus.OPEN, OrderStatus.FILLED, OrderStatus.DONE):
            raise DomainError(_("%(ref)s is closed.", ref=order.ref))
        return claimers

    return two_steps(count=count, act=step, confirm=confirm, refused=refused, done=done)


@bp.get("/<int:order_id>/claims/<int:claim_id>/photo")
def claim_photo(order_id: int, claim_id: int) -> Any:
    order = _managed(order_id)
    claim = db.session.get(WorkOrderClaim, claim_id)
    if claim is None or claim.order_id != order.id or claim.photo_id is None:
        abort(404)
    photo = db.session.get(Photo, claim.photo_id)
    if photo is None:
        abort(404)
    _note_read(order, "work order photo")
    return rendering.photo(photo)
