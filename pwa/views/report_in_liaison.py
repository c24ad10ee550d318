"""双报到: a partner unit's liaison's own page (the signed-in person whose phone is the unit's
contact phone): its members, those waiting, the quarter, the feedback, and the QR code to show
colleagues."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from models import PartnerUnit, ReportIn, utcnow
from pwa import audit_reads, auth
from pwa.forms.report_in import FeedbackForm, LiaisonMemberForm
from pwa.steps import run_step
from pwa.views.report_in_join import join_url, page
from services.errors import InvalidInput
from services.report_in import operations, queries
from services.report_in.quarters import Quarter

liaison_bp = Blueprint("report_in_liaison", __name__, url_prefix="/my/unit")
liaison_bp.before_request(auth.require_signed_in)


def _liaison_unit() -> PartnerUnit:
    units = queries.liaison_units(auth.person_required())
    wanted = request.values.get("unit", type=int)
    chosen = (
        next((u for u in units if u.id == wanted), None)
        if wanted
        else (units[0] if units else None)
    )
    if chosen is None:
        abort(404)
    return chosen


def _liaison_page(unit: PartnerUnit, error: str | None = None, status: int = 200) -> Any:
    quarter = Quarter.of(auth.today()).previous
    community = queries.community_of(unit)
    members = queries.members(unit)
    waiting = [r for r in queries.pending(unit.community_id) if r.partner_unit_id == unit.id]
    audit_reads.note(unit.community_id, "partner_unit", subject_id=unit.id, detail="liaison page")
    return page(
        "report_in/liaison.html",
        error,
        status,
        unit=unit,
        units=queries.liaison_units(auth.person_required()),
        members=members,
        waiting=waiting,
        quarter=quarter,
        service=queries.unit_service(unit, quarter),
        row=queries.quarter_row(unit, quarter),
        community=community,
        join_url=join_url(community),
    )


@liaison_bp.get("")
def liaison() -> Any:
    return _liaison_page(_liaison_unit())


@liaison_bp.post("/members")
def liaison_enter() -> Any:
    unit = _liaison_unit()
    form = LiaisonMemberForm()

    def step() -> ReportIn:
        if not form.name.data.strip():
            raise InvalidInput(_("Name is required."))
        return operations.report_member(
            unit.community_id,
            unit,
            name=form.name.data,
            phone=form.phone.data,
            via="liaison",
            now=utcnow(),
            by=auth.person_required(),
        )

    def done(report: ReportIn) -> Any:
        flash(_("%(name)s waits for the secretary's approval.", name=report.name))
        return redirect(url_for("report_in_liaison.liaison", unit=unit.id))

    return run_step(step, refused=lambda m: _liaison_page(unit, m, 422), done=done, form=form)


@liaison_bp.post("/feedback")
def liaison_feedback() -> Any:
    unit = _liaison_unit()
    form = FeedbackForm()
    quarter = Quarter.of(auth.today()).previous

    def done(_row: Any) -> Any:
        flash(_("Thank you: the community reads the unit's feedback."))
        return redirect(url_for("report_in_liaison.liaison", unit=unit.id))

    return run_step(
        lambda: operations.give_feedback(unit, quarter, form.text.data, via="page", now=utcnow()),
        refused=lambda m: _liaison_page(unit, m, 422),
        done=done,
        form=form,
    )
