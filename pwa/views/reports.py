"""Observers' reports (a public problem with a photo and a place) and property matters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from models import Need, Photo
from models.roles import Permission
from pwa import audit_reads, auth
from pwa.forms.reports import ReportForm
from pwa.steps import run_step
from services import photos
from services.needs import queries as need_queries
from services.reports import operations, queries
from services.visits import queries as visit_queries

bp = Blueprint("reports", __name__)
bp.before_request(auth.require_signed_in)


def _reporter() -> operations.Reporter:
    who = operations.reporter(auth.person_required(), auth.today())
    if who is None:
        abort(404)
    return who


def _form_page(who: operations.Reporter, error: str | None, status: int = 200) -> Any:
    return render_template(
        "reports/new.html",
        error=error,
        form=request.form,
        buildings=operations.buildings(who),
        categories=need_queries.CATEGORIES,
        mine=operations.my_reports(who.person, limit=10),
        max_photo_bytes=min(
            photos.MAX_UPLOAD_BYTES, int(current_app.config["MAX_CONTENT_LENGTH"]) - 64 * 1024
        ),
    ), status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    # Refused before it was read: the form's words are lost, so say what to do in plain words.
    message = _("The photo is larger than %(mb)s MB. Take a smaller one and try again.", mb=10)
    return render_template("reports/refused.html", message=message), 413


@bp.route("/reports/new", methods=["GET", "POST"])
@auth.permission_required(Permission.RAISE_NEEDS)
def report() -> Any:
    """An observer (or a head, a volunteer) reports a public problem of their area."""
    who = _reporter()
    if request.method == "GET":
        return _form_page(who, None)
    form = ReportForm()

    def step() -> Need:
        photo: Photo | None = None
        if form.photo.data is not None:
            photo = photos.save_photo(form.photo.data, by=who.person)
        return operations.report(
            who,
            category=form.category.data or "",
            text=form.text.data or "",
            building_id=form.building(),
            place=form.place.data or "",
            photo=photo,
            now=auth.now(),
        )

    def done(need: Need) -> Any:
        if need.partner_unit_id is not None:
            flash(_("%(ref)s recorded and sent to the property company.", ref=need.ref))
        else:
            flash(_("%(ref)s recorded: the grid leader answers it, and you hear.", ref=need.ref))
        return redirect(url_for("reports.report"))

    return run_step(
        step,
        refused=lambda message: _form_page(who, message, 422),
        done=done,
        form=form,
    )


@bp.get("/property")
@auth.permission_required(Permission.SEE_NEEDS)
def property_matters() -> Any:
    """The property matters of the area and where each stands (property liaisons, heads)."""
    area = visit_queries.visit_area(auth.person_required(), auth.today(), Permission.SEE_NEEDS)
    if area.is_empty:
        abort(404)
    shown = request.args.get("list", "open")
    if shown not in queries.LISTS:
        shown = "open"
    now = auth.now()
    matters = queries.property_matters_in(area, now, answered=shown == "answered")
    audit_reads.items(
        "property matters", [m.need for m in matters], detail=f"property matters list={shown}"
    )
    return render_template(
        "reports/property.html",
        matters=matters,
        shown=shown,
        states=queries.STATES,
        categories=need_queries.CATEGORIES,
        now=now,
    )
