"""Buildings and grids: added one by one or in bulk, moved between grids."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Building, Community, Grid, db
from models.roles import Permission
from pwa import auth
from pwa.forms.roster import BuildingForm, BulkBuildingsForm, GridForm, MoveBuildingForm
from pwa.steps import run_step
from pwa.views.secretary.blueprint import bp, building_in, current_community, grid_in
from services.errors import InvalidInput
from services.roster import operations as roster
from services.roster import places


def _buildings_page(
    community: Community,
    error: str | None,
    *,
    plan: places.BuildingPlan | None = None,
    bulk_error: str | None = None,
    grid_error: str | None = None,
    move_error: str | None = None,
) -> Any:
    grids = db.session.scalars(
        select(Grid)
        .where(Grid.community_id == community.id)
        .order_by(Grid.number)
        .options(selectinload(Grid.buildings))
    ).all()
    failed = error or bulk_error or grid_error or move_error
    return render_template(
        "secretary/buildings.html",
        community=community,
        grids=grids,
        form=request.form,
        error=error,
        plan=plan,
        bulk_error=bulk_error,
        grid_error=grid_error,
        move_error=move_error,
        max_buildings=places.MAX_BUILDINGS,
    ), (422 if failed else 200)


@bp.route("/buildings", methods=["GET", "POST"])
@auth.permission_required(Permission.MANAGE_ROSTER)
def buildings() -> Any:
    community = current_community()
    if request.method == "GET":
        return _buildings_page(community, None)
    form = BuildingForm()

    def step() -> Building:
        grid = grid_in(community, form.grid_id.data)
        if grid is None:
            raise InvalidInput(_("Please choose a grid."))
        return roster.add_building(
            grid, compound=form.compound.data, name=form.name.data, by=auth.person_required()
        )

    def done(building: Building) -> Any:
        flash(_("Added %(building)s.", building=building.label))
        return redirect(url_for("secretary.buildings", community=community.id))

    return run_step(
        step,
        refused=lambda message: _buildings_page(community, message),
        done=done,
        form=form,
    )


def _plan(community: Community, form: BulkBuildingsForm) -> places.BuildingPlan:
    return places.plan_buildings(
        community,
        compound=form.compound.data,
        spec=form.buildings.data,
        units=form.units.data,
        grid=grid_in(community, form.grid_id.data),
    )


@bp.post("/buildings/bulk/preview")
@auth.permission_required(Permission.MANAGE_ROSTER)
def preview_buildings() -> Any:
    """Show what a bulk form would create, and ask to confirm; nothing is written."""
    community = current_community()
    form = BulkBuildingsForm()
    return run_step(
        lambda: _plan(community, form),
        refused=lambda message: _buildings_page(community, None, bulk_error=message),
        done=lambda plan: _buildings_page(community, None, plan=plan),
        form=form,
    )


@bp.post("/buildings/bulk")
@auth.permission_required(Permission.MANAGE_ROSTER)
def create_buildings() -> Any:
    community = current_community()
    form = BulkBuildingsForm()

    def step() -> tuple[list[Building], list[str]]:
        plan = _plan(community, form)
        return places.create_buildings(community, plan, by=auth.person_required()), plan.existing

    def done(result: tuple[list[Building], list[str]]) -> Any:
        created, existing = result
        if created:
            flash(
                _(
                    "Created %(n)d buildings: %(names)s.",
                    n=len(created),
                    names="、".join(b.name for b in created),
                )
            )
        if existing:
            flash(
                _(
                    "Skipped %(n)d that already exist: %(names)s.",
                    n=len(existing),
                    names="、".join(existing),
                )
            )
        return redirect(url_for("secretary.buildings", community=community.id))

    return run_step(
        step,
        refused=lambda message: _buildings_page(community, None, bulk_error=message),
        done=done,
        form=form,
    )


@bp.post("/grids")
@auth.permission_required(Permission.MANAGE_ROSTER)
def add_grid() -> Any:
    community = current_community()
    form = GridForm()

    def done(grid: Grid) -> Any:
        flash(_("Added %(grid)s.", grid=grid.name))
        return redirect(url_for("secretary.buildings", community=community.id))

    return run_step(
        lambda: places.add_grid(community, name=form.name.data, by=auth.person_required()),
        refused=lambda message: _buildings_page(community, None, grid_error=message),
        done=done,
        form=form,
    )


@bp.post("/buildings/move")
@auth.permission_required(Permission.MANAGE_ROSTER)
def move_building() -> Any:
    # One form for the page, not one per building: a form per building with every other grid
    # to choose from made the page grow with buildings × grids (the demo's heaviest page).
    community = current_community()
    form = MoveBuildingForm()

    def step() -> tuple[Building, Grid]:
        building = building_in(community, form.building_id.data)
        grid = grid_in(community, form.grid_id.data)
        assert building is not None and grid is not None  # the form requires both
        places.move_building(building, grid, by=auth.person_required())
        return building, grid

    def done(moved: tuple[Building, Grid]) -> Any:
        building, grid = moved
        flash(_("%(building)s is now in %(grid)s.", building=building.label, grid=grid.name))
        return redirect(url_for("secretary.buildings", community=community.id))

    return run_step(
        step,
        refused=lambda message: _buildings_page(community, None, move_error=message),
        done=done,
        form=form,
    )
