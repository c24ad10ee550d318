"""Area pages for those who look after households: secretary, staff, grid leaders, heads."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import true
from sqlalchemy.orm import contains_eager, selectinload

from models import Building, Grid, Household, Resident, db
from models.roles import Permission
from pwa import audit_reads, auth, figures_cache, kept_lists
from pwa.forms.roster import ContactForm, DayForm, HouseholdForm, ResidentForm
from pwa.rendering import render
from pwa.steps import run_step
from services import phones
from services.roster import areas, posts
from services.roster import operations as roster
from services.roster import queries as overview

bp = Blueprint("head", __name__)
bp.before_request(auth.require_area_role)

PAGE_SIZE = 50


def _helpers() -> dict[str, Any]:
    return {
        "mask": phones.mask,
        "display": phones.display,
        "today": auth.today(),
        "role_name": posts.role_name,
        "elderly_age": overview.ELDERLY_AGE,
        "may_manage_roster": auth.may(Permission.MANAGE_ROSTER),
    }


@bp.get("/area")
@auth.permission_required(Permission.SEE_HOUSEHOLDS)
def area_home() -> Any:
    """The home of a head or secretary: their area at a glance."""
    area = auth.current_area()
    today = auth.today()
    communities = db.session.scalars(areas.visible_communities(area)).all()
    grids = db.session.scalars(
        areas.visible_grids(area).order_by(Grid.community_id, Grid.number)
    ).all()
    # Kept by the area, whose buildings the counts are over (pwa/figures_cache.py).
    grid_figures = (
        figures_cache.kept(
            "grid figures",
            (area, today),
            lambda: overview.figures_by(Building.grid_id, area.building_clause(), today),
        )
        if grids
        else {}
    )
    buildings = db.session.scalars(
        areas.visible_buildings(area)
        .where(~Building.grid_id.in_([g.id for g in grids]) if grids else true())
        .order_by(Building.compound, Building.name)
    ).all()
    building_ids = tuple(b.id for b in buildings)
    building_figures = (
        figures_cache.kept(
            "building figures",
            (building_ids, today),
            lambda: overview.figures_by(Building.id, Building.id.in_(building_ids), today),
        )
        if buildings
        else {}
    )
    roles_by_community = {
        c.id: figures_cache.kept(
            "posts by role", (c.id, today), partial(overview.posts_by_role, c.id, today)
        )
        for c in communities
    }
    return render_template(
        "head/area.html",
        communities=communities,
        grids=grids,
        grid_figures=grid_figures,
        buildings=buildings,
        building_figures=building_figures,
        totals=overview.total(grid_figures) if grids else overview.total(building_figures),
        roles_by_community=roles_by_community,
        posts_of_person=auth.person_required().active_posts(today),
        **_helpers(),
    )


@bp.get("/grids/<int:grid_id>")
@auth.permission_required(Permission.SEE_HOUSEHOLDS)
def grid(grid_id: int) -> Any:
    area = auth.current_area()
    grid = areas.get_grid(area, grid_id)
    today = auth.today()
    figures = figures_cache.kept(
        "grid's buildings",
        (grid.id, today),
        lambda: overview.figures_by(Building.id, Building.grid_id == grid.id, today),
    )
    return render_template(
        "head/grid.html",
        grid=grid,
        buildings=grid.buildings,
        figures=figures,
        totals=overview.total(figures),
        **_helpers(),
    )


@bp.get("/buildings/<int:building_id>")
@auth.permission_required(Permission.SEE_HOUSEHOLDS)
def building(building_id: int) -> Any:
    area = auth.current_area()
    building = areas.get_building(area, building_id)
    q = request.args.get("q", "").strip()[:20]
    households = kept_lists.building_households(building.id, q)
    if households:
        audit_reads.note(
            building.community_id,
            "building",
            subject_id=building.id,
            households=[h.id for h in households],
            residents=[r.id for h in households for r in h.residents],
            detail=f"building {building.id} q={q}" if q else f"building {building.id}",
        )
    return render(
        "head/building.html",
        "household_list",
        building=building,
        households=households,
        q=q,
        **_helpers(),
    )


@bp.get("/households/<int:household_id>")
@auth.permission_required(Permission.SEE_HOUSEHOLDS)
def household(household_id: int) -> Any:
    area = auth.current_area()
    # What the page and its read audit show: the building and grid (crumbs), the residents.
    household = areas.get_household(
        area,
        household_id,
        contains_eager(Household.building).joinedload(Building.grid),
        selectinload(Household.residents),
    )
    audit_reads.household(household)
    return render_template("head/household.html", household=household, **_helpers())


@bp.get("/residents/<int:resident_id>")
@auth.permission_required(Permission.SEE_HOUSEHOLDS)
def resident(resident_id: int) -> Any:
    area = auth.current_area()
    resident = areas.get_resident(area, resident_id)
    audit_reads.resident(resident)
    return render_template("head/resident.html", resident=resident, **_helpers())


def _resident_form(household: Household, resident: Resident | None, error: str | None) -> Any:
    if resident is not None:
        audit_reads.resident(resident, detail="edit form")
    else:
        audit_reads.household(household, detail="new resident form")
    return render_template(
        "head/resident_form.html",
        resident=resident,
        household=household,
        form=request.form if request.method == "POST" else None,
        error=error,
        **_helpers(),
    ), (422 if error else 200)


@bp.route("/residents/<int:resident_id>/edit", methods=["GET", "POST"])
@auth.permission_required(Permission.EDIT_HOUSEHOLDS)
def edit_resident(resident_id: int) -> Any:
    area = auth.current_area()
    resident = areas.get_resident(area, resident_id)
    if request.method == "GET":
        return _resident_form(resident.household, resident, None)
    form = ResidentForm()

    def refused(message: str) -> Any:
        again = areas.get_resident(area, resident_id)
        return _resident_form(again.household, again, message)

    return run_step(
        lambda: roster.update_resident(resident, form.parsed(), by=auth.person_required()),
        refused=refused,
        done=lambda _changed: redirect(url_for("head.resident", resident_id=resident_id)),
        form=form,
    )


@bp.route("/households/<int:household_id>/residents/new", methods=["GET", "POST"])
@auth.permission_required(Permission.EDIT_HOUSEHOLDS)
def add_resident(household_id: int) -> Any:
    area = auth.current_area()
    household = areas.get_household(area, household_id)
    if request.method == "GET":
        return _resident_form(household, None, None)
    form = ResidentForm()
    return run_step(
        lambda: roster.add_resident(household, form.parsed(), by=auth.person_required()),
        refused=lambda message: _resident_form(
            areas.get_household(area, household_id), None, message
        ),
        done=lambda resident: redirect(url_for("head.resident", resident_id=resident.id)),
        form=form,
    )


@bp.get("/search")
@auth.permission_required(Permission.SEE_HOUSEHOLDS)
def search() -> Any:
    """Find a resident by name or a household by room within the area."""
    area = auth.current_area()
    q = request.args.get("q", "").strip()[:30]
    residents = kept_lists.search_residents(area, q, PAGE_SIZE) if q else ()
    if residents:
        audit_reads.items("search", residents, detail=f"search q={q}")
    return render("head/search.html", "results", q=q, residents=residents, **_helpers())


def _household_form(building: Building, household: Household | None, error: str | None) -> Any:
    if household is not None:
        audit_reads.household(household, detail="contact form")
    return render_template(
        "head/household_form.html",
        building=building,
        household=household,
        form=request.form,
        error=error,
        **_helpers(),
    ), (422 if error else 200)


@bp.route("/buildings/<int:building_id>/households/new", methods=["GET", "POST"])
@auth.permission_required(Permission.EDIT_HOUSEHOLDS)
def add_household(building_id: int) -> Any:
    area = auth.current_area()
    building = areas.get_building(area, building_id)
    if request.method == "GET":
        return _household_form(building, None, None)
    form = HouseholdForm()
    return run_step(
        lambda: roster.add_household(building, form.parsed(), by=auth.person_required()),
        refused=lambda message: _household_form(
            areas.get_building(area, building_id), None, message
        ),
        done=lambda household: redirect(url_for("head.household", household_id=household.id)),
        form=form,
    )


@bp.route("/households/<int:household_id>/contact", methods=["GET", "POST"])
@auth.permission_required(Permission.EDIT_HOUSEHOLDS)
def edit_household_contact(household_id: int) -> Any:
    area = auth.current_area()
    household = areas.get_household(area, household_id)
    if request.method == "GET":
        return _household_form(household.building, household, None)
    form = ContactForm()

    def refused(message: str) -> Any:
        again = areas.get_household(area, household_id)
        return _household_form(again.building, again, message)

    return run_step(
        lambda: roster.update_household_contact(
            household,
            name=form.contact_name.data,
            phone=form.contact_phone.data,
            by=auth.person_required(),
        ),
        refused=refused,
        done=lambda _changed: redirect(url_for("head.household", household_id=household_id)),
        form=form,
    )


# Moving out and dying: the record stays for the ledgers, the lists and messages forget them.


def _refused_to(endpoint: str, **values: Any) -> Any:
    def refused(message: str) -> Any:
        flash(message)
        return redirect(url_for(endpoint, **values))

    return refused


@bp.post("/households/<int:household_id>/moved-out")
@auth.permission_required(Permission.MANAGE_ROSTER)
def household_moved_out(household_id: int) -> Any:
    household = areas.get_household(auth.current_area(), household_id)
    form = DayForm()

    def done(_household: Household) -> Any:
        flash(
            _(
                "%(address)s is marked moved out: it has left the lists and gets no messages; "
                "its visits and wishes stay on record.",
                address=household.address,
            )
        )
        return redirect(url_for("head.household", household_id=household_id))

    return run_step(
        lambda: roster.mark_moved_out(
            household, on=form.on.data, today=auth.today(), by=auth.person_required()
        ),
        refused=_refused_to("head.household", household_id=household_id),
        done=done,
        form=form,
    )


@bp.post("/households/<int:household_id>/moved-back")
@auth.permission_required(Permission.MANAGE_ROSTER)
def household_moved_back(household_id: int) -> Any:
    household = areas.get_household(auth.current_area(), household_id)

    def done(_household: Household) -> Any:
        flash(_("%(address)s is on the lists again.", address=household.address))
        return redirect(url_for("head.household", household_id=household_id))

    return run_step(
        lambda: roster.undo_moved_out(household, by=auth.person_required()),
        refused=_refused_to("head.household", household_id=household_id),
        done=done,
    )


@bp.post("/residents/<int:resident_id>/deceased")
@auth.permission_required(Permission.MANAGE_ROSTER)
def resident_deceased(resident_id: int) -> Any:
    resident = areas.get_resident(auth.current_area(), resident_id)
    form = DayForm()

    def done(_resident: Resident) -> Any:
        flash(
            _(
                "%(name)s is marked deceased: no longer on the lists or sent messages; "
                "the record stays.",
                name=resident.name,
            )
        )
        return redirect(url_for("head.resident", resident_id=resident_id))

    return run_step(
        lambda: roster.mark_deceased(
            resident, on=form.on.data, today=auth.today(), by=auth.person_required()
        ),
        refused=_refused_to("head.resident", resident_id=resident_id),
        done=done,
        form=form,
    )


@bp.post("/residents/<int:resident_id>/not-deceased")
@auth.permission_required(Permission.MANAGE_ROSTER)
def resident_not_deceased(resident_id: int) -> Any:
    resident = areas.get_resident(auth.current_area(), resident_id)

    def done(_resident: Resident) -> Any:
        flash(_("%(name)s is on the lists again.", name=resident.name))
        return redirect(url_for("head.resident", resident_id=resident_id))

    return run_step(
        lambda: roster.undo_deceased(resident, by=auth.person_required()),
        refused=_refused_to("head.resident", resident_id=resident_id),
        done=done,
    )
