"""A volunteer's work orders (/my/orders): the ones open to them, claimed, begun and done."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from flask_babel import gettext as _
from sqlalchemy import select

from models import WorkOrder, WorkOrderClaim, db
from pwa import auth
from pwa.forms.work_orders import DoneForm
from pwa.rendering import render
from pwa.steps import run_step
from pwa.views.work_orders import helpers
from services.photos import save_photo
from services.work_orders import claims, queries
from services.work_orders.claims import ClaimOutcome, ClaimResult

bp = Blueprint("my_orders", __name__, url_prefix="/my/orders")
bp.before_request(auth.require_signed_in)


def _mine(message: str | None = None, error: str | None = None, status: int = 200) -> Any:
    person = auth.person_required()
    orders = queries.orders_for(person, auth.today(), auth.now())
    held = {
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
        claims=held,
        message=message,
        error=error,
        **helpers(),
    )
    response.status_code = status
    return response


@bp.get("")
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


@bp.post("/<int:order_id>/<any(claim, withdraw, start, done):action>")
def act(order_id: int, action: str) -> Any:
    order = _order_for_me(order_id)
    person = auth.person_required()
    now = auth.now()

    def refused(message: str) -> Any:
        return _mine(error=message, status=422)

    if action == "claim":
        return run_step(
            lambda: claims.claim(order, by=person, via="app", now=now, today=auth.today()),
            refused=refused,
            done=lambda result: _claim_answer(order, result),
        )
    if action == "withdraw":
        return run_step(
            lambda: claims.withdraw(order, by=person, via="app", now=now),
            refused=refused,
            done=lambda _claim: _mine(_("You withdrew from %(ref)s.", ref=order.ref)),
        )
    if action == "start":
        return run_step(
            lambda: claims.start(order, by=person, via="app", now=now),
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
        return claims.mark_done(
            order, by=person, via="app", now=now, note=form.note.data, photo_id=photo_id
        )

    return run_step(
        done_step,
        form=form,
        refused=refused,
        done=lambda _claim: _mine(_("Noted: %(ref)s is done. Thank you!", ref=order.ref)),
    )
