"""Broadcasts: mobilise volunteers with a live page; inform residents with a delivery report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import Broadcast, BroadcastStatus, Community, Grid, db
from models.roles import Permission, Role
from pwa import auth
from pwa.confirming import kept_fields, two_steps
from pwa.forms.broadcasts import InformForm, MobiliseForm
from pwa.rendering import render
from pwa.steps import run_step
from pwa.views.audiences import (
    audience_choices,
    audience_lines,
    people_text,
    reach_fragment,
    scope,
)
from services.broadcasts import operations as broadcasts
from services.broadcasts import queries
from services.messages import outbox as outbox_admin
from services.work_orders.audiences import Audience
from services.work_orders.queries import when_text, window_text

bp = Blueprint("broadcasts", __name__, url_prefix="/broadcasts")
bp.before_request(auth.require_roles({Role.SECRETARY, Role.STAFF, Role.GRID_LEADER}))
bp.before_request(auth.require_permission(Permission.BROADCAST))

MOBILISATION_EXAMPLE = "需要20人07:00清扫积雪，回复1报名"


def status_labels() -> dict[str, str]:
    """Return how the pages name a broadcast's status."""
    return {
        BroadcastStatus.QUEUED: _("Queued: it goes out in a moment"),
        BroadcastStatus.PREPARING: _("Preparing the recipients"),
        BroadcastStatus.SENDING: _("Sending"),
        BroadcastStatus.DONE: _("Done"),
    }


def _visible(broadcast_id: int) -> Broadcast:
    area = auth.current_area()
    found = db.session.scalar(
        select(Broadcast).where(
            Broadcast.id == broadcast_id,
            queries.visible(set(area.community_ids), set(area.grid_ids)),
        )
    )
    if found is None:
        abort(404)
    return found


@bp.get("")
def broadcast_list() -> Any:
    area = auth.current_area()
    community, grid = scope()
    rows = db.session.scalars(
        select(Broadcast)
        .where(queries.visible(set(area.community_ids), set(area.grid_ids)))
        .order_by(Broadcast.created_at.desc())
        .limit(100)
    ).all()
    return render_template(
        "broadcasts/list.html",
        broadcasts=rows,
        community=community,
        grid=grid,
        status_labels=status_labels(),
    )


def _mobilisation_form(error: str | None, status: int) -> Any:
    community, grid = scope()
    return render_template(
        "broadcasts/mobilise.html",
        community=community,
        grid=grid,
        form=request.form,
        error=error,
        example=MOBILISATION_EXAMPLE,
        **audience_choices(community, grid, url_for("broadcasts.reach")),
    ), status


@bp.get("/mobilise")
def new_mobilisation() -> Any:
    return _mobilisation_form(None, 200)


@bp.get("/reach")
def reach() -> Any:
    community, grid = scope()
    return reach_fragment(community, grid)


@bp.post("/mobilise")
def mobilise() -> Any:
    community, grid = scope()
    if request.form.get("edit"):
        return _mobilisation_form(None, 200)
    form = MobiliseForm()

    def fields() -> dict[str, Any]:
        assert form.starts_at.data is not None and form.ends_at.data is not None
        assert form.places_needed.data is not None
        return {
            "text": form.text.data,
            "title": form.title.data,
            "location": form.location.data,
            "starts_at": form.starts_at.data,
            "ends_at": form.ends_at.data,
            "places_needed": form.places_needed.data,
            "audience": form.audience(),
            "now": auth.now(),
            "today": auth.today(),
            "grid": grid,
        }

    def confirm(n: int, changed: bool) -> Any:
        values = fields()
        return render_template(
            "work_orders/confirm.html",
            heading=_("Send this mobilisation now?"),
            lines=[
                (_("Message"), values["text"]),
                (_("When"), window_text(values["starts_at"], values["ends_at"])),
                (_("People needed"), str(values["places_needed"])),
                *audience_lines(community, values["audience"]),
            ],
            reach=people_text(n),
            count=n,
            changed=changed,
            kept=kept_fields(),
            action=url_for("broadcasts.mobilise"),
            confirm_label=_("Send now (%(n)d people)", n=n),
            editable=True,
        )

    def sent(broadcast: Broadcast) -> Any:
        n = form_count[0]
        flash(_("Mobilisation sent; people told: %(n)d. Replies show below as they come.", n=n))
        return redirect(url_for("broadcasts.detail", broadcast_id=broadcast.id))

    form_count = [0]

    def count() -> int:
        form_count[0] = broadcasts.check_mobilisation(community, **fields())
        return form_count[0]

    return two_steps(
        form=form,
        count=count,
        act=lambda: broadcasts.mobilise(community, by=auth.person_required(), **fields()),
        confirm=confirm,
        refused=lambda message: _mobilisation_form(message, 422),
        done=sent,
    )


def _staff_community() -> Community:
    community, grid = scope()
    if grid is not None:
        abort(404)  # information broadcasts to residents are the community staff's
    return community


def _inform_form(error: str | None, status: int, preview: tuple[int, int] | None = None) -> Any:
    community = _staff_community()
    grids = db.session.scalars(
        select(Grid).where(Grid.community_id == community.id).order_by(Grid.number)
    ).all()
    return render_template(
        "broadcasts/inform.html",
        community=community,
        grids=grids,
        form=request.form,
        error=error,
        preview=preview,
    ), status


@bp.get("/inform")
def new_information() -> Any:
    return _inform_form(None, 200)


@bp.post("/inform")
def inform() -> Any:
    community = _staff_community()
    if request.form.get("edit"):
        return _inform_form(None, 200)
    form = InformForm()
    if form.preview.data:
        return run_step(
            lambda: queries.count_matching(community, form.criteria(), auth.today()),
            form=form,
            refused=lambda message: _inform_form(message, 422),
            done=lambda count: _inform_form(None, 200, count),
        )
    matched = [0, 0]

    def count() -> int:
        total, reachable = broadcasts.check_information(
            community, text=form.text.data or "", criteria=form.criteria(), today=auth.today()
        )
        matched[:] = [total, reachable]
        return reachable

    def confirm(n: int, changed: bool) -> Any:
        criteria = form.criteria()
        lines = [(_("Message"), form.text.data or "")]
        if criteria.min_age is not None:
            lines.append((_("Aged at least"), str(criteria.min_age)))
        if criteria.grids:
            lines.extend(audience_lines(community, Audience(grids=criteria.grids)))
        if criteria.lives_alone:
            lines.append((_("Only residents who live alone"), _("yes")))
        left_out = matched[0] - matched[1]
        if left_out:
            lines.append((_("Left out: no SMS consent"), str(left_out)))
        return render_template(
            "work_orders/confirm.html",
            heading=_("Send this notice?"),
            lines=lines,
            reach=_("Residents who will receive it: %(n)d.", n=n),
            count=n,
            changed=changed,
            kept=kept_fields(),
            action=url_for("broadcasts.inform"),
            confirm_label=_("Send (%(n)d residents)", n=n),
            editable=True,
        )

    def sent(broadcast: Broadcast) -> Any:
        flash(
            _(
                "Notice queued; residents: %(n)d. In quiet hours it waits until the morning.",
                n=broadcast.recipient_count,
            )
        )
        return redirect(url_for("broadcasts.detail", broadcast_id=broadcast.id))

    return two_steps(
        form=form,
        count=count,
        act=lambda: broadcasts.inform(
            community,
            text=form.text.data,
            criteria=form.criteria(),
            by=auth.person_required(),
            now=auth.now(),
            today=auth.today(),
        ),
        confirm=confirm,
        refused=lambda message: _inform_form(message, 422),
        done=sent,
    )


def _held(broadcast: Broadcast) -> str | None:
    """Say when the messages held for quiet hours go ("08:00–08:17 发送"), if any are."""
    window = outbox_admin.held_window(broadcast.batch_key)
    if window is None:
        return None
    first, last, _n = window
    return outbox_admin.goes_between(first, last, auth.now())


@bp.get("/<int:broadcast_id>")
def detail(broadcast_id: int) -> Any:
    broadcast = _visible(broadcast_id)
    return render(
        "broadcasts/detail.html",
        "live",
        broadcast=broadcast,
        report=queries.report(broadcast),
        when=when_text,
        state_labels=outbox_admin.state_labels(),
        status_labels=status_labels(),
        held=_held(broadcast),
    )


@bp.get("/<int:broadcast_id>/live")
def live(broadcast_id: int) -> Any:
    """The figures alone, polled by the page every few seconds (htmx)."""
    broadcast = _visible(broadcast_id)
    response = render(
        "broadcasts/detail.html",
        "live",
        broadcast=broadcast,
        report=queries.report(broadcast),
        when=when_text,
        state_labels=outbox_admin.state_labels(),
        status_labels=status_labels(),
        held=_held(broadcast),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
