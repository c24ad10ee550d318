"""The secretary's and staff's pages: posts, buildings, custom roles, the audit trail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import AuditEntry, Building, Community, Grid, PartnerUnit, Post, db
from models.roles import Permission, Role
from pwa import auth, kept_lists, paging
from pwa.forms.roster import (
    AuditFilterForm,
    BuildingForm,
    BulkBuildingsForm,
    CustomRoleForm,
    EditPostForm,
    EndPartnerForm,
    EndPostForm,
    GridForm,
    MoveBuildingForm,
    PartnerForm,
    PostForm,
    RolePermissionsForm,
)
from pwa.rendering import render
from pwa.steps import run_step
from services import audit, phones
from services.errors import InvalidInput
from services.roster import areas, partners, places, posts
from services.roster import operations as roster
from services.roster import permissions as role_permissions

bp = Blueprint("secretary", __name__, url_prefix="/secretary")
bp.before_request(auth.require_staff)


def _community() -> Community:
    """Return the community the staff member runs (the first, when they run several)."""
    ids = sorted(auth.current_area().community_ids)
    wanted = request.values.get("community", type=int)
    if wanted is not None:
        if wanted not in ids:
            abort(404)
        ids = [wanted]
    community = db.session.get(Community, ids[0])
    if community is None:
        abort(404)
    return community


@bp.get("/posts")
@auth.permission_required(Permission.MANAGE_ROSTER)
def post_list() -> Any:
    return _posts_page(_community(), None)


def _posts_page(community: Community, error: str | None) -> Any:
    today = auth.today()
    show_ended = request.args.get("ended") == "1"
    number = paging.page_number()
    total, rows_html = kept_lists.post_rows(
        community.id, show_ended=show_ended, number=number, size=paging.PAGE_SIZE, today=today
    )
    return render(
        "secretary/posts.html",
        "post_rows" if paging.wants_more_rows() else None,
        community=community,
        rows_html=rows_html,
        page=paging.Page(number, paging.PAGE_SIZE, total),
        show_ended=show_ended,
        error=error,
    ), (422 if error else 200)


def _post_form(community: Community, error: str | None, status: int) -> Any:
    grids = db.session.scalars(
        select(Grid).where(Grid.community_id == community.id).order_by(Grid.number)
    ).all()
    buildings = db.session.scalars(
        select(Building)
        .where(Building.community_id == community.id)
        .order_by(Building.compound, Building.name)
    ).all()
    return render_template(
        "secretary/post_form.html",
        community=community,
        roles=posts.roles_for(community.id),
        grids=grids,
        buildings=buildings,
        form=request.form,
        error=error,
        today=auth.today(),
    ), status


@bp.get("/posts/new")
@auth.permission_required(Permission.MANAGE_ROSTER)
def new_post() -> Any:
    return _post_form(_community(), None, 200)


def _grid_in(community: Community, grid_id: int | None) -> Grid | None:
    """Return the community's grid with this id, or None when none was chosen."""
    if grid_id is None:
        return None
    grid = db.session.scalar(
        select(Grid).where(Grid.id == grid_id, Grid.community_id == community.id)
    )
    if grid is None:
        raise InvalidInput(_("That grid is not in this community."))
    return grid


def _building_in(community: Community, building_id: int | None) -> Building | None:
    """Return the community's building with this id, or None when none was chosen."""
    if building_id is None:
        return None
    building = db.session.scalar(
        select(Building).where(Building.id == building_id, Building.community_id == community.id)
    )
    if building is None:
        raise InvalidInput(_("That building is not in this community."))
    return building


@bp.post("/posts/new")
@auth.permission_required(Permission.MANAGE_ROSTER)
def create_post() -> Any:
    community = _community()
    form = PostForm()

    def step() -> Post:
        person = posts.find_or_add_person(form.name.data, form.phone.data)
        return posts.assign(
            person,
            community_id=community.id,
            role=form.role.data,
            grid=_grid_in(community, form.grid_id.data),
            building=_building_in(community, form.building_id.data),
            duties=form.duties.data,
            starts_on=form.starts_on.data,
            by=auth.person_required(),
        )

    def done(post: Post) -> Any:
        flash(
            _(
                "%(name)s now holds the post %(role)s.",
                name=post.person.name,
                role=posts.role_name(post.role, community.id),
            )
        )
        return redirect(url_for("secretary.post_list", community=community.id))

    return run_step(
        step,
        refused=lambda message: _post_form(community, message, 422),
        done=done,
        form=form,
    )


def _community_of_post(post: Post) -> Community:
    community = db.session.get(Community, post.community_id)
    assert community is not None
    return community


@bp.post("/posts/<int:post_id>/end")
@auth.permission_required(Permission.MANAGE_ROSTER)
def end_post(post_id: int) -> Any:
    """End a post (asked for on its page with a confirmation); it stays in the history."""
    post = areas.get_post(auth.current_area(), post_id)
    community = _community_of_post(post)
    form = EndPostForm()

    def done(ended: Post) -> Any:
        flash(
            _(
                "%(name)s's post %(role)s ends on %(day)s; it stays in the history.",
                name=ended.person.name,
                role=posts.role_name(ended.role, community.id),
                day=ended.ends_on.isoformat() if ended.ends_on else "",
            )
        )
        return redirect(url_for("secretary.post_list", community=community.id))

    return run_step(
        lambda: posts.end(post, on=form.ends_on.data, by=auth.person_required()),
        refused=lambda message: _edit_post_page(post, None, end_error=message),
        done=done,
        form=form,
    )


def _edit_post_page(post: Post, error: str | None, *, end_error: str | None = None) -> Any:
    community = _community_of_post(post)
    return render_template(
        "secretary/post_edit.html",
        community=community,
        post=post,
        today=auth.today(),
        end_error=end_error,
        roles=posts.roles_for(community.id),
        grids=db.session.scalars(
            select(Grid).where(Grid.community_id == community.id).order_by(Grid.number)
        ).all(),
        buildings=db.session.scalars(
            select(Building)
            .where(Building.community_id == community.id)
            .order_by(Building.compound, Building.name)
        ).all(),
        form=request.form if request.method == "POST" and not end_error else None,
        error=error,
        mask=phones.mask,
        role_name=lambda r: posts.role_name(r, community.id),
    ), (422 if error or end_error else 200)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@auth.permission_required(Permission.MANAGE_ROSTER)
def edit_post(post_id: int) -> Any:
    """Change a post's role, area or duties."""
    area = auth.current_area()
    post = areas.get_post(area, post_id)
    if request.method == "GET":
        return _edit_post_page(post, None)
    community = _community_of_post(post)
    form = EditPostForm()

    def step() -> list[str]:
        return posts.update(
            post,
            role=form.role.data,
            grid=_grid_in(community, form.grid_id.data),
            building=_building_in(community, form.building_id.data),
            duties=form.duties.data,
            today=auth.today(),
            by=auth.person_required(),
        )

    def done(changed: list[str]) -> Any:
        again = areas.get_post(area, post_id)
        if changed:
            flash(_("Saved the post of %(name)s.", name=again.person.name))
        else:
            flash(_("Nothing changed."))
        return redirect(url_for("secretary.post_list", community=community.id))

    return run_step(
        step,
        refused=lambda message: _edit_post_page(areas.get_post(area, post_id), message),
        done=done,
        form=form,
    )


def _roles_page(
    community: Community, error: str | None, *, role: str = "", role_error: str | None = None
) -> Any:
    roles = posts.roles_for(community.id)
    return render_template(
        "secretary/roles.html",
        community=community,
        roles=roles,
        form=request.form,
        error=error,
        permissions=list(Permission),
        permission_names=role_permissions.PERMISSION_NAMES,
        granted=role_permissions.of_roles(community.id, [code for code, _name in roles]),
        is_fixed=role_permissions.is_fixed,
        may_edit=_is_secretary_of(community),
        error_role=role,
        role_error=role_error,
    ), (422 if error or role_error else 200)


def _is_secretary_of(community: Community) -> bool:
    return any(
        post.role == Role.SECRETARY and post.community_id == community.id
        for post in auth.person_required().active_posts(auth.today())
    )


@bp.post("/roles/<role>/permissions")
@auth.permission_required(Permission.MANAGE_ROSTER)
def role_permissions_change(role: str) -> Any:
    """The secretary sets what a role may see or do in the community."""
    community = _community()
    if not _is_secretary_of(community) or role not in dict(posts.roles_for(community.id)):
        abort(404)
    form = RolePermissionsForm()
    return run_step(
        lambda: role_permissions.set_for_role(
            community.id, role, form.permissions.data, by=auth.person_required()
        ),
        refused=lambda message: _roles_page(community, None, role=role, role_error=message),
        done=lambda _row: _saved_permissions(community, role),
        form=form,
    )


def _saved_permissions(community: Community, role: str) -> Any:
    flash(
        _(
            "Saved what %(role)s may see and do.",
            role=posts.role_name(role, community.id),
        )
    )
    return redirect(
        url_for("secretary.custom_roles", community=community.id, _anchor=f"role-{role}")
    )


def _defined_role(community: Community, name: str) -> Any:
    flash(_("Added the post %(name)s.", name=name))
    return redirect(url_for("secretary.custom_roles", community=community.id))


@bp.route("/roles", methods=["GET", "POST"])
@auth.permission_required(Permission.MANAGE_ROSTER)
def custom_roles() -> Any:
    community = _community()
    if request.method == "GET":
        return _roles_page(community, None)
    form = CustomRoleForm()
    return run_step(
        lambda: posts.define_role(
            community.id,
            code=form.code.data,
            name=form.name.data,
            duties=form.duties.data,
            by=auth.person_required(),
        ),
        refused=lambda message: _roles_page(community, message),
        done=lambda role: _defined_role(community, role.name),
        form=form,
    )


def _buildings_page(
    community: Community,
    error: str | None,
    *,
    plan: places.BuildingPlan | None = None,
    bulk_error: str | None = None,
    grid_error: str | None = None,
) -> Any:
    grids = db.session.scalars(
        select(Grid)
        .where(Grid.community_id == community.id)
        .order_by(Grid.number)
        .options(selectinload(Grid.buildings))
    ).all()
    failed = error or bulk_error or grid_error
    return render_template(
        "secretary/buildings.html",
        community=community,
        grids=grids,
        form=request.form,
        error=error,
        plan=plan,
        bulk_error=bulk_error,
        grid_error=grid_error,
        max_buildings=places.MAX_BUILDINGS,
    ), (422 if failed else 200)


@bp.route("/buildings", methods=["GET", "POST"])
@auth.permission_required(Permission.MANAGE_ROSTER)
def buildings() -> Any:
    community = _community()
    if request.method == "GET":
        return _buildings_page(community, None)
    form = BuildingForm()

    def step() -> Building:
        grid = _grid_in(community, form.grid_id.data)
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
        grid=_grid_in(community, form.grid_id.data),
    )


@bp.post("/buildings/bulk/preview")
@auth.permission_required(Permission.MANAGE_ROSTER)
def preview_buildings() -> Any:
    """Show what a bulk form would create, and ask to confirm; nothing is written."""
    community = _community()
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
    community = _community()
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
    community = _community()
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


@bp.post("/buildings/<int:building_id>/grid")
@auth.permission_required(Permission.MANAGE_ROSTER)
def move_building(building_id: int) -> Any:
    building = areas.get_building(auth.current_area(), building_id)
    community = db.session.get(Community, building.community_id)
    assert community is not None
    form = MoveBuildingForm()

    def step() -> Grid:
        grid = _grid_in(community, form.grid_id.data)
        assert grid is not None  # the form requires one
        places.move_building(building, grid, by=auth.person_required())
        return grid

    def done(grid: Grid) -> Any:
        flash(_("%(building)s is now in %(grid)s.", building=building.label, grid=grid.name))
        return redirect(url_for("secretary.buildings", community=community.id))

    return run_step(
        step,
        refused=lambda message: _buildings_page(community, message),
        done=done,
        form=form,
    )


AUDIT_PAGE_SIZE = 50
AUDIT_FILTERS = ("person", "resident", "since", "until")


def _audit_filters() -> tuple[AuditFilterForm, str | None]:
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return form, form.first_error()
    return form, None


def _audit_headers() -> list[str]:
    return [
        _("When"),
        _("Who"),
        _("Role"),
        _("Post"),
        _("Did"),
        _("Record"),
        _("Records"),
        _("Detail"),
    ]


@bp.get("/audit")
@auth.permission_required(Permission.SEE_AUDIT)
def audit_trail() -> Any:
    community = _community()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    form, error = _audit_filters()
    entries: list[AuditEntry] = []
    if error is None:
        entries = list(
            db.session.scalars(
                audit.matching(community.id, form.filters())
                .offset((page - 1) * AUDIT_PAGE_SIZE)
                .limit(AUDIT_PAGE_SIZE + 1)
            )
        )
    # The filters as typed, for the paging and export links.
    args = {
        k: v for k, v in request.args.items() if k in ("person", "resident", "since", "until") and v
    }
    return render_template(
        "secretary/audit.html",
        community=community,
        entries=entries[:AUDIT_PAGE_SIZE],
        has_more=len(entries) > AUDIT_PAGE_SIZE,
        page=page,
        form=form,
        error=error,
        args=args,
    ), (422 if error else 200)


def _audit_export(kind: str) -> Any:
    community = _community()
    form, error = _audit_filters()
    if error is not None:
        return audit_trail()
    entries = list(
        db.session.scalars(audit.matching(community.id, form.filters()).limit(audit.EXPORT_LIMIT))
    )
    day = auth.today()
    if kind == "csv":
        body = audit.export_csv(entries, _audit_headers())
        mimetype = "text/csv"
    else:
        body = audit.export_xlsx(entries, _audit_headers(), _("Audit trail"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename=audit-{community.code}-{day}.{kind}",
            "Cache-Control": "no-store",
        },
    )


@bp.get("/audit.csv")
@auth.permission_required(Permission.SEE_AUDIT)
def audit_csv() -> Any:
    return _audit_export("csv")


@bp.get("/audit.xlsx")
@auth.permission_required(Permission.SEE_AUDIT)
def audit_xlsx() -> Any:
    return _audit_export("xlsx")


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
    community = _community()
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
    community = _community()
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
    community = _community()
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
    community = _community()
    unit = _unit_in(community, unit_id)

    def step() -> str:
        partners.restore_unit(unit, by=auth.person_required())
        return _("%(name)s takes part again.", name=unit.name)

    return run_step(
        step,
        refused=lambda message: _partners_page(community, message),
        done=lambda said: _flashed(said, community),
    )
