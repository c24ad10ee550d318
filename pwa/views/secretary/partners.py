"""Partner units: added, changed, ended and restored."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Community, PartnerUnit, db
from models.roles import Permission
from pwa import auth
from pwa.forms.roster import EndPartnerForm, PartnerForm
from pwa.steps import run_step
from pwa.views.secretary.blueprint import bp, current_community
from services import phones
from services.roster import partners


def _partners_page(community: Community, error: str | None) -> Any:
    units = db.session.scalars(
        select(PartnerUnit)
        .where(PartnerUnit.community_id == community.id)
        .options(selectinload(PartnerUnit.members))
        .order_by(PartnerUnit.name)
    ).all()
    return render_template(
        "secretary/partners.html",
        community=community,
        units=[u for u in units if u.ended_on is None],
        ended=[u for u in units if u.ended_on is not None],
        form=request.form,
        error=error,
        mask=phones.mask,
        today=auth.today(),
    ), (422 if error else 200)


def _unit_in(community: Community, unit_id: int | None) -> PartnerUnit:
    unit = db.session.scalar(
        select(PartnerUnit).where(
            PartnerUnit.id == unit_id, PartnerUnit.community_id == community.id
        )
    )
    if unit is None:
        abort(404)
    return unit


@bp.route("/partners", methods=["GET", "POST"])
@auth.permission_required(Permission.MANAGE_ROSTER)
def partner_units() -> Any:
    community = current_community()
    if request.method == "GET":
        return _partners_page(community, None)
    form = PartnerForm()
    unit = _unit_in(community, form.unit_id.parse(form.unit_id.raw)) if form.unit_id.raw else None

    def step() -> str:
        if unit is not None:
            member = partners.add_member(
                unit, name=form.name.data, phone=form.phone.data, by=auth.person_required()
            )
            return _("Added %(name)s to %(unit)s.", name=member.name, unit=unit.name)
        added = partners.add_unit(
            community.id,
            name=form.name.data,
            kind=form.kind.data,
            contact_name=form.contact_name.data,
            contact_phone=form.contact_phone.data,
            by=auth.person_required(),
        )
        return _("Added the partner unit %(name)s.", name=added.name)

    return run_step(
        step,
        refused=lambda message: _partners_page(community, message),
        done=lambda said: _flashed(said, community),
        form=form,
    )


def _flashed(said: str, community: Community) -> Any:
    flash(said)
    return redirect(url_for("secretary.partner_units", community=community.id))


@bp.post("/partners/<int:unit_id>/edit")
@auth.permission_required(Permission.MANAGE_ROSTER)
def edit_partner(unit_id: int) -> Any:
    community = current_community()
    unit = _unit_in(community, unit_id)
    form = PartnerForm()

    def step() -> str:
        changed = partners.update_unit(
            unit,
            name=form.name.data,
            kind=form.kind.data,
            contact_name=form.contact_name.data,
            contact_phone=form.contact_phone.data,
            by=auth.person_required(),
        )
        return _("Saved %(name)s.", name=unit.name) if changed else _("Nothing changed.")

    return run_step(
        step,
        refused=lambda message: _partners_page(community, message),
        done=lambda said: _flashed(said, community),
        form=form,
    )


@bp.post("/partners/<int:unit_id>/end")
@auth.permission_required(Permission.MANAGE_ROSTER)
def end_partner(unit_id: int) -> Any:
    """End a partner unit (asked for with a confirmation); it stays in the history."""
    community = current_community()
    unit = _unit_in(community, unit_id)
    form = EndPartnerForm()

    def step() -> str:
        partners.end_unit(unit, on=form.ends_on.data, today=auth.today(), by=auth.person_required())
        return _("%(name)s has ended; it stays in the history.", name=unit.name)

    return run_step(
        step,
        refused=lambda message: _partners_page(community, message),
        done=lambda said: _flashed(said, community),
        form=form,
    )


@bp.post("/partners/<int:unit_id>/restore")
@auth.permission_required(Permission.MANAGE_ROSTER)
def restore_partner(unit_id: int) -> Any:
    community = current_community()
    unit = _unit_in(community, unit_id)

    def step() -> str:
        partners.restore_unit(unit, by=auth.person_required())
        return _("%(name)s takes part again.", name=unit.name)

    return run_step(
        step,
        refused=lambda message: _partners_page(community, message),
        done=lambda said: _flashed(said, community),
    )
