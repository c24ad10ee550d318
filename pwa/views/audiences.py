"""Picking an audience (work orders, broadcasts, meetings): where a manager dispatches, what
they may pick from, whom it reaches, and how the confirmation names it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, make_response, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from models import Community, Grid, PartnerUnit, Person, db
from pwa import auth
from pwa.forms.work_orders import AudienceForm
from services.errors import DomainError
from services.roster import posts
from services.work_orders.audiences import Audience, check_audience, count_reached, pickable_people


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


@dataclass(frozen=True)
class Reach:
    """What the audience picker says under itself: how many it reaches, or what is wrong."""

    count: int = 0
    text: str = ""
    error: str = ""


def people_text(n: int) -> str:
    return _("People it reaches: %(n)d.", n=n)


def reach_of(community: Community, grid: Grid | None, form: AudienceForm | None) -> Reach:
    """Count whom the picked audience reaches (the live preview and the confirmation)."""
    if form is None:  # a fresh form: nothing is wrong yet
        return Reach(text=_("Choose whom it goes to: grids, posts, partner units or people."))
    if not form.validate():
        return Reach(error=form.first_error())
    audience = form.audience()
    try:
        check_audience(community, audience, grid)
    except DomainError as error:
        return Reach(error=error.message)
    n = count_reached(community.id, audience, auth.today(), grid.id if grid else None)
    if not n:
        return Reach(error=_("Nobody serves in the audience you chose yet."))
    return Reach(n, people_text(n))


def audience_choices(community: Community, grid: Grid | None, reach_url: str) -> dict[str, Any]:
    """Return what an audience may be picked from, within the manager's scope, and its reach."""
    today = auth.today()
    grids = db.session.scalars(
        select(Grid)
        .where(Grid.community_id == community.id, Grid.id == grid.id if grid else Grid.id > 0)
        .order_by(Grid.number)
    ).all()
    units = (
        db.session.scalars(
            select(PartnerUnit)
            .where(PartnerUnit.community_id == community.id, PartnerUnit.taking_part())
            .order_by(PartnerUnit.name)
        ).all()
        if grid is None
        else []
    )
    picked = AudienceForm() if request.method == "POST" else None
    return {
        "grids": grids,
        "roles": posts.roles_for(community.id),
        "units": units,
        "people": pickable_people(community.id, today, grid.id if grid else None),
        "reach": reach_of(community, grid, picked),
        "reach_url": reach_url,
    }


def reach_fragment(community: Community, grid: Grid | None) -> Any:
    """The live count under the audience picker (htmx asks as the choices change)."""
    form = AudienceForm(formdata=request.args)
    response = make_response(
        render_template("work_orders/_reach.html", reach=reach_of(community, grid, form))
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def audience_lines(community: Community, audience: Audience) -> list[tuple[str, str]]:
    """Describe a picked audience for the confirmation page, by the names people know."""
    lines: list[tuple[str, str]] = []
    if audience.grids:
        names = db.session.scalars(
            select(Grid.name).where(Grid.id.in_(audience.grids)).order_by(Grid.number)
        ).all()
        lines.append((_("Grids"), "、".join(names)))
    if audience.roles:
        roles = dict(posts.roles_for(community.id))
        lines.append((_("Posts"), "、".join(roles.get(r, r) for r in audience.roles)))
    if audience.partner_units:
        names = db.session.scalars(
            select(PartnerUnit.name)
            .where(PartnerUnit.id.in_(audience.partner_units))
            .order_by(PartnerUnit.name)
        ).all()
        lines.append((_("Partner units"), "、".join(names)))
    if audience.people:
        names = db.session.scalars(
            select(Person.name).where(Person.id.in_(audience.people)).order_by(Person.name)
        ).all()
        lines.append((_("Named people"), "、".join(names)))
    return lines
