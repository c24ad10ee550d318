"""Pages anyone may open: the front page, each community's notice board, the language switch."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, url_for
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Community, Post, db
from models.roles import AREA_ROLES, STAFF_ROLES, Role
from pwa import auth, figures_cache
from pwa.forms.public import LanguageForm
from pwa.i18n import LANG_COOKIE
from pwa.steps import run_step
from services import phones
from services.administration import queries as administration
from services.assessment import queries as assessment
from services.pledges import queries as pledge_queries
from services.roster import posts

bp = Blueprint("public", __name__)


@bp.get("/")
def index() -> Any:
    if auth.current_person() is not None:
        return redirect(url_for("public.home"))
    communities = db.session.scalars(select(Community).order_by(Community.name)).all()
    return render_template("public/index.html", communities=communities)


@bp.get("/home")
@auth.login_required
def home() -> Any:
    """Send each person to the home of their broadest post."""
    person = auth.person_required()
    roles = {p.role for p in person.active_posts(auth.today())}
    if roles & STAFF_ROLES:
        return redirect(url_for("head.area_home"))
    if roles & AREA_ROLES:
        return redirect(url_for("head.area_home"))
    if administration.is_administrator(person, auth.today()):
        return redirect(url_for("administration.home"))
    if roles:
        return redirect(url_for("volunteer.my_work"))
    return redirect(url_for("resident.my_home"))


@bp.get("/c/<code>/board")
def board(code: str) -> Any:
    """The public notice board (公示牌): who holds which post, their duties, a masked phone."""
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None:
        abort(404)
    today = auth.today()
    # The same for every reader in a language: rendered once per change of the data.
    posts_html = figures_cache.kept(
        "notice board", (community.id, today, str(get_locale())), lambda: _board_posts(community)
    )
    # The latest published assessment: publishing writes its rows, which moves the data
    # version, so the board shows it at once.
    assessment_html = figures_cache.kept(
        "notice board assessment",
        (community.id, str(get_locale())),
        lambda: _board_assessment(community),
    )
    return render_template(
        "public/board.html",
        community=community,
        posts_html=posts_html,
        assessment_html=assessment_html,
    )


def _board_assessment(community: Community) -> Markup:
    part = assessment.for_board(community)
    if part is None:
        return Markup("")
    return Markup(render_template("assessment/_board.html", part=part))


def _board_posts(community: Community) -> Markup:
    today = auth.today()
    active = db.session.scalars(
        select(Post)
        .where(
            Post.community_id == community.id,
            Post.active_on(today),
        )
        .options(selectinload(Post.person), selectinload(Post.grid), selectinload(Post.building))
        .order_by(Post.grid_id.is_(None).desc(), Post.grid_id, Post.role, Post.id)
    ).all()
    leadership = [p for p in active if p.role in (Role.SECRETARY, Role.STAFF)]
    by_grid: dict[int, list[Post]] = {}
    for post in active:
        if post.role in (Role.SECRETARY, Role.STAFF):
            continue
        grid_id = post.grid_id or (post.building.grid_id if post.building else 0)
        by_grid.setdefault(grid_id, []).append(post)
    return Markup(
        render_template(
            "public/_board_posts.html",
            leadership=leadership,
            by_grid=by_grid,
            grids=community.grids,
            mask=phones.mask,
            # Approved pledges in force today, by post (双诺双评).
            pledges=pledge_queries.on_board(community.id, today),
            role_name=lambda role: posts.role_name(role, community.id),
        )
    )


@bp.post("/lang")
def switch_language() -> Any:
    form = LanguageForm()
    lang = form.language()
    person = auth.current_person()

    def remember() -> None:
        if person is not None:
            person.language = lang

    def answer(_result: object) -> Any:
        response = make_response(redirect(form.back()))
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 86400,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
        )
        return response

    # Any language and any page are answered (Chinese, the front page): nothing is refused.
    return run_step(remember, form=form, refused=answer, done=answer)
