"""The secretary's and staff's pages: posts, buildings, custom roles, the audit trail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import AuditEntry, Building, Community, Grid, PartnerUnit, Post, db
from models.roles import Permission, Role
from pwa import auth, paging
from pwa.forms.roster import (
    AuditFilterForm,
    BuildingForm,
    CustomRoleForm,
    EndPostForm,
    PartnerForm,
    PostForm,
    RolePermissionsForm,
)
from pwa.rendering import render
from pwa.steps import run_step
from services import audit, phones
from services.errors import InvalidInput
from services.roster import areas, partners, posts
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
    community = _community()
    today = auth.today()
    show_ended = request.args.get("ended") == "1"
    query = (
        select(Post)
        .where(Post.community_id == community.id)
        .options(selectinload(Post.person), selectinload(Post.grid), selectinload(Post.building))
        .order_by(Post.role, Post.grid_id, Post.id)
    )
    if not show_ended:
        query = query.where((Post.ends_on.is_(None)) | (Post.ends_on > today))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = paging.Page(paging.page_number(), paging.PAGE_SIZE, total)
    return render(
        "secretary/posts.html",
        "post_rows" if paging.wants_more_rows() else None,
        community=community,
        posts=db.session.scalars(query.offset(page.offset).limit(page.size)).all(),
        page=page,
        show_ended=show_ended,
        mask=phones.mask,
        role_name=lambda r: posts.role_name(r, community.id),
        today=today,
    )


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

    return run_step(
        step,
        refused=lambda message: _post_form(community, message, 422),
        done=lambda _post: redirect(url_for("secretary.post_list", community=community.id)),
        form=form,
    )


def _refuse(message: str) -> Any:
    raise InvalidInput(message)


@bp.post("/posts/<int:post_id>/end")
@auth.permission_required(Permission.MANAGE_ROSTER)
def end_post(post_id: int) -> Any:
    post = areas.get_post(auth.current_area(), post_id)
    form = EndPostForm()
    # A refusal is answered by the app's error page, as before (there is no form to show).
    return run_step(
        lambda: posts.end(post, on=form.ends_on.data, by=auth.person_required()),
        refused=_refuse,
        done=lambda ended: redirect(url_for("secretary.post_list", community=ended.community_id)),
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
        done=lambda _row: redirect(
            url_for("secretary.custom_roles", community=community.id, _anchor=f"role-{role}")
        ),
        form=form,
    )


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
        done=lambda _role: redirect(url_for("secretary.custom_roles", community=community.id)),
        form=form,
    )


def _buildings_page(community: Community, error: str | None) -> Any:
    grids = db.session.scalars(
        select(Grid)
        .where(Grid.community_id == community.id)
        .order_by(Grid.number)
        .options(selectinload(Grid.buildings))
    ).all()
    return render_template(
        "secretary/buildings.html",
        community=community,
        grids=grids,
        form=request.form,
        error=error,
    ), (422 if error else 200)


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

    return run_step(
        step,
        refused=lambda message: _buildings_page(community, message),
        done=lambda _building: redirect(url_for("secretary.buildings", community=community.id)),
        form=form,
    )


AUDIT_PAGE_SIZE = 100
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
        units=units,
        form=request.form,
        error=error,
        mask=phones.mask,
    ), (422 if error else 200)


@bp.route("/partners", methods=["GET", "POST"])
@auth.permission_required(Permission.MANAGE_ROSTER)
def partner_units() -> Any:
    community = _community()
    if request.method == "GET":
        return _partners_page(community, None)
    form = PartnerForm()
    unit = None
    if form.unit_id.raw:
        unit = db.session.scalar(
            select(PartnerUnit).where(
                PartnerUnit.id == form.unit_id.parse(form.unit_id.raw),
                PartnerUnit.community_id == community.id,
            )
        )
        if unit is None:
            abort(404)

    def step() -> Any:
        if unit is not None:
            return partners.add_member(
                unit, name=form.name.data, phone=form.phone.data, by=auth.person_required()
            )
        return partners.add_unit(
            community.id,
            name=form.name.data,
            kind=form.kind.data,
            contact_name=form.contact_name.data,
            contact_phone=form.contact_phone.data,
            by=auth.person_required(),
        )

    return run_step(
        step,
        refused=lambda message: _partners_page(community, message),
        done=lambda _added: redirect(url_for("secretary.partner_units", community=community.id)),
        form=form,
    )
