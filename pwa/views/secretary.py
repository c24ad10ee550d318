"""The secretary's and staff's pages: posts, buildings, custom roles, the audit trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import AuditEntry, Building, Community, Grid, PartnerUnit, Post, db
from pwa import auth
from services import phones
from services.errors import DomainError, InvalidInput
from services.roster import areas, partners, posts
from services.roster import operations as roster

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


def _parse_date(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("“%(value)s” is not a date (YYYY-MM-DD).", value=value)) from None


@bp.get("/posts")
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
    return render_template(
        "secretary/posts.html",
        community=community,
        posts=db.session.scalars(query).all(),
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
def new_post() -> Any:
    return _post_form(_community(), None, 200)


@bp.post("/posts/new")
def create_post() -> Any:
    community = _community()
    form = request.form
    try:
        person = posts.find_or_add_person(form.get("name", ""), form.get("phone", ""))
        grid = building = None
        if form.get("grid_id"):
            grid = db.session.scalar(
                select(Grid).where(
                    Grid.id == form.get("grid_id", type=int), Grid.community_id == community.id
                )
            )
            if grid is None:
                raise InvalidInput(_("That grid is not in this community."))
        if form.get("building_id"):
            building = db.session.scalar(
                select(Building).where(
                    Building.id == form.get("building_id", type=int),
                    Building.community_id == community.id,
                )
            )
            if building is None:
                raise InvalidInput(_("That building is not in this community."))
        posts.assign(
            person,
            community_id=community.id,
            role=form.get("role", ""),
            grid=grid,
            building=building,
            duties=form.get("duties", ""),
            starts_on=_parse_date(form.get("starts_on"), auth.today()),
            by=auth.person_required(),
        )
    except DomainError as error:
        db.session.rollback()
        return _post_form(community, error.message, 422)
    db.session.commit()
    return redirect(url_for("secretary.post_list", community=community.id))


@bp.post("/posts/<int:post_id>/end")
def end_post(post_id: int) -> Any:
    post = areas.get_post(auth.current_area(), post_id)
    try:
        posts.end(
            post,
            on=_parse_date(request.form.get("ends_on"), auth.today()),
            by=auth.person_required(),
        )
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return redirect(url_for("secretary.post_list", community=post.community_id))


@bp.route("/roles", methods=["GET", "POST"])
def custom_roles() -> Any:
    community = _community()
    error = None
    if request.method == "POST":
        try:
            posts.define_role(
                community.id,
                code=request.form.get("code", ""),
                name=request.form.get("name", ""),
                duties=request.form.get("duties", ""),
                by=auth.person_required(),
            )
            db.session.commit()
            return redirect(url_for("secretary.custom_roles", community=community.id))
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    return render_template(
        "secretary/roles.html",
        community=community,
        roles=posts.roles_for(community.id),
        form=request.form,
        error=error,
    ), (422 if error else 200)


@bp.route("/buildings", methods=["GET", "POST"])
def buildings() -> Any:
    community = _community()
    error = None
    if request.method == "POST":
        try:
            grid = db.session.scalar(
                select(Grid).where(
                    Grid.id == request.form.get("grid_id", type=int),
                    Grid.community_id == community.id,
                )
            )
            if grid is None:
                raise InvalidInput(_("Please choose a grid."))
            roster.add_building(
                grid,
                compound=request.form.get("compound", ""),
                name=request.form.get("name", ""),
                by=auth.person_required(),
            )
            db.session.commit()
            return redirect(url_for("secretary.buildings", community=community.id))
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
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


@bp.get("/audit")
def audit_trail() -> Any:
    community = _community()
    page = max(request.args.get("page", 1, type=int), 1)
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.community_id == community.id)
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * 100)
        .limit(101)
    ).all()
    return render_template(
        "secretary/audit.html",
        community=community,
        entries=entries[:100],
        has_more=len(entries) > 100,
        page=page,
    )


@bp.route("/partners", methods=["GET", "POST"])
def partner_units() -> Any:
    community = _community()
    error = None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("unit_id"):
                unit = db.session.scalar(
                    select(PartnerUnit).where(
                        PartnerUnit.id == form.get("unit_id", type=int),
                        PartnerUnit.community_id == community.id,
                    )
                )
                if unit is None:
                    abort(404)
                partners.add_member(
                    unit,
                    name=form.get("name", ""),
                    phone=form.get("phone", ""),
                    by=auth.person_required(),
                )
            else:
                partners.add_unit(
                    community.id,
                    name=form.get("name", ""),
                    kind=form.get("kind", ""),
                    contact_name=form.get("contact_name", ""),
                    contact_phone=form.get("contact_phone", ""),
                    by=auth.person_required(),
                )
            db.session.commit()
            return redirect(url_for("secretary.partner_units", community=community.id))
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
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
