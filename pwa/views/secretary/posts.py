"""Posts: who holds which post where, made, changed and ended."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import Building, Community, Grid, Post, db
from models.roles import Permission
from pwa import auth, kept_lists, paging
from pwa.forms.roster import EditPostForm, EndPostForm, PostForm
from pwa.rendering import render
from pwa.steps import run_step
from pwa.views.secretary.blueprint import bp, building_in, current_community, grid_in
from services import phones
from services.roster import areas, posts


@bp.get("/posts")
@auth.permission_required(Permission.MANAGE_ROSTER)
def post_list() -> Any:
    return _posts_page(current_community(), None)


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
    return _post_form(current_community(), None, 200)


@bp.post("/posts/new")
@auth.permission_required(Permission.MANAGE_ROSTER)
def create_post() -> Any:
    community = current_community()
    form = PostForm()

    def step() -> Post:
        person = posts.find_or_add_person(form.name.data, form.phone.data)
        return posts.assign(
            person,
            community_id=community.id,
            role=form.role.data,
            grid=grid_in(community, form.grid_id.data),
            building=building_in(community, form.building_id.data),
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
            grid=grid_in(community, form.grid_id.data),
            building=building_in(community, form.building_id.data),
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
