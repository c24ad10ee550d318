"""Work orders: secretary and grid leaders dispatch and check; volunteers claim in /my/orders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import (
    Community,
    Grid,
    PartnerUnit,
    Person,
    Photo,
    Post,
    WorkOrder,
    WorkOrderClaim,
    db,
)
from models.roles import Permission, Role
from models.work_orders import OrderStatus, Priority
from pwa import auth, rendering
from pwa.forms.work_orders import DoneForm, OrderForm, ReopenForm
from pwa.rendering import render
from pwa.steps import run_step
from services.errors import DomainError
from services.photos import save_photo
from services.roster import posts
from services.work_orders import operations as work_orders
from services.work_orders import queries
from services.work_orders.operations import ClaimOutcome, ClaimResult

MANAGERS = {Role.SECRETARY, Role.STAFF, Role.GRID_LEADER}

bp = Blueprint("work_orders", __name__, url_prefix="/work-orders")
bp.before_request(auth.require_roles(set(MANAGERS)))
bp.before_request(auth.require_permission(Permission.DISPATCH))

my_bp = Blueprint("my_orders", __name__, url_prefix="/my/orders")
my_bp.before_request(auth.require_signed_in)


def scope() -> tuple[Community, Grid | None]:
    """Return where the signed-in manager dispatches: their community, or their grid."""
    area = auth.current_area()
    if area.community_ids:
        community = db.session.get(Community, min(area.community_ids))
        if community is None:
            abort(404)
        return community, None
    if area.grid_ids:
        grid = db.session.get(Grid, min(area.grid_ids))
        if grid is None:
            abort(404)
        return grid.community, grid
    abort(404)


def audience_choices(community: Community, grid: Grid | None) -> dict[str, Any]:
    """Return what an audience may be picked from, within the manager's scope."""
    today = auth.today()
    grids = db.session.scalars(
        select(Grid)
        .where(Grid.community_id == community.id, Grid.id == grid.id if grid else Grid.id > 0)
        .order_by(Grid.number)
    ).all()
    people_query = (
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(Post.community_id == community.id, Post.active_on(today), Person.active.is_(True))
        .distinct()
        .order_by(Person.name)
        .limit(500)
    )
    if grid is not None:
        people_query = people_query.where(Post.grid_id == grid.id)
    units = (
        db.session.scalars(
            select(PartnerUnit)
            .where(PartnerUnit.community_id == community.id, PartnerUnit.taking_part())
            .order_by(PartnerUnit.name)
        ).all()
        if grid is None
        else []
    )
    return {
        "grids": grids,
        "roles": posts.roles_for(community.id),
        "units": units,
        "people": db.session.scalars(people_query).all(),
    }


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
    }.get(action, action)


def _helpers() -> dict[str, Any]:
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
        **_helpers(),
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
        **audience_choices(community, grid),
    ), status


@bp.get("/new")
def new_order() -> Any:
    return _form(None, 200)


@bp.post("/new")
def create_order() -> Any:
    community, grid = scope()
    form = OrderForm()

    def step() -> WorkOrder:
        assert form.starts_at.data is not None and form.ends_at.data is not None
        assert form.places_needed.data is not None
        return work_orders.create_order(
            community,
            title=form.title.data,
            instructions=form.instructions.data,
            location=form.location.data,
            starts_at=form.starts_at.data,
            ends_at=form.ends_at.data,
            places_needed=form.places_needed.data,
            priority=form.priority.data,
            audience=form.audience(),
            by=auth.person_required(),
            now=auth.now(),
            today=auth.today(),
            grid=grid,
        )

    return run_step(
        step,
        form=form,
        refused=lambda message: _form(message, 422),
        done=lambda order: redirect(url_for("work_orders.detail", order_id=order.id)),
    )


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
        **_helpers(),
    ), status


@bp.get("/<int:order_id>")
def detail(order_id: int) -> Any:
    return _detail(_managed(order_id))


@bp.post("/<int:order_id>/<any(verify, reopen, cancel):action>")
def manage(order_id: int, action: str) -> Any:
    order = _managed(order_id)
    person = auth.person_required()
    form = ReopenForm() if action == "reopen" else None

    def step() -> None:
        if action == "verify":
            work_orders.verify(order, by=person, now=auth.now())
        elif action == "reopen":
            assert form is not None
            work_orders.reopen(order, by=person, reason=form.reason.data, now=auth.now())
        else:
            work_orders.cancel(order, by=person, now=auth.now())

    return run_step(
        step,
        form=form,
        refused=lambda message: _detail(_managed(order_id), message, 422),
        done=lambda _result: redirect(url_for("work_orders.detail", order_id=order.id)),
    )


@bp.get("/<int:order_id>/claims/<int:claim_id>/photo")
def claim_photo(order_id: int, claim_id: int) -> Any:
    order = _managed(order_id)
    claim = db.session.get(WorkOrderClaim, claim_id)
    if claim is None or claim.order_id != order.id or claim.photo_id is None:
        abort(404)
    photo = db.session.get(Photo, claim.photo_id)
    if photo is None:
        abort(404)
    return rendering.photo(photo)


# -- volunteers -------------------------------------------------------------------------------


def _mine(message: str | None = None, error: str | None = None, status: int = 200) -> Any:
    person = auth.person_required()
    orders = queries.orders_for(person, auth.today(), auth.now())
    claims = {
        c.order_id: c
        for c in db.session.scalars(
            select(WorkOrderClaim).where(
                WorkOrderClaim.person_id == person.id,
                WorkOrderClaim.order_id.in_([o.id for o in orders] or [0]),
            )
        )
    }
    response = render(
        "work_orders/mine.html",
        "my_orders",
        orders=orders,
        claims=claims,
        message=message,
        error=error,
        **_helpers(),
    )
    response.status_code = status
    return response


@my_bp.get("")
def mine() -> Any:
    return _mine()


def _order_for_me(order_id: int) -> WorkOrder:
    order = db.session.get(WorkOrder, order_id)
    person = auth.person_required()
    if order is None:
        abort(404)
    held = queries.claim_of(order, person)
    if held is None and not queries.in_audience(order, person, auth.today()):
        abort(404)
    return order


def _claim_answer(order: WorkOrder, result: ClaimResult) -> Any:
    messages = {
        ClaimOutcome.CLAIMED: _("You claimed %(ref)s.", ref=order.ref),
        ClaimOutcome.ALREADY: _("You already hold a place on %(ref)s.", ref=order.ref),
        ClaimOutcome.FILLED: _("%(ref)s is already filled. Thank you!", ref=order.ref),
        ClaimOutcome.CLOSED: _("%(ref)s is closed.", ref=order.ref),
        ClaimOutcome.NOT_FOR_YOU: _("%(ref)s is not for your area.", ref=order.ref),
    }
    if result.outcome == ClaimOutcome.CLAIMED:
        return _mine(messages[result.outcome])
    # A refused claim is kept too (its event is recorded), and answered 409.
    return _mine(error=messages[result.outcome], status=409)


@my_bp.post("/<int:order_id>/<any(claim, withdraw, start, done):action>")
def act(order_id: int, action: str) -> Any:
    order = _order_for_me(order_id)
    person = auth.person_required()
    now = auth.now()

    def refused(message: str) -> Any:
        return _mine(error=message, status=422)

    if action == "claim":
        return run_step(
            lambda: work_orders.claim(order, by=person, via="app", now=now, today=auth.today()),
            refused=refused,
            done=lambda result: _claim_answer(order, result),
        )
    if action == "withdraw":
        return run_step(
            lambda: work_orders.withdraw(order, by=person, via="app", now=now),
            refused=refused,
            done=lambda _claim: _mine(_("You withdrew from %(ref)s.", ref=order.ref)),
        )
    if action == "start":
        return run_step(
            lambda: work_orders.start(order, by=person, via="app", now=now),
            refused=refused,
            done=lambda _claim: _mine(_("Noted: %(ref)s has begun.", ref=order.ref)),
        )
    form = DoneForm()

    def done_step() -> WorkOrderClaim:
        # The note is checked (by the form) before a photo is stored, so a refused form
        # saves nothing.
        upload = form.photo.data
        photo_id = None
        if upload is not None and upload.filename:
            photo_id = save_photo(upload, by=person).id
        return work_orders.mark_done(
            order, by=person, via="app", now=now, note=form.note.data, photo_id=photo_id
        )

    return run_step(
        done_step,
        form=form,
        refused=refused,
        done=lambda _claim: _mine(_("Noted: %(ref)s is done. Thank you!", ref=order.ref)),
    )
