"""Public pledges (双诺双评): each post-holder's pledges, the office's approval and the
quarter's ratings; a resident's rating from their home; rectification plans (整改).

These pages show post-holders' names and figures, no resident's personal data: they are not
read-audited (pwa/audit_reads.py records reads of residents' data); every change is in the
audit trail.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import Community, Grid, PledgePeriod, PledgeStatus, Post, db
from models.clock import today_of
from pwa import auth
from pwa.forms.pledges import (
    ACTION_ROWS,
    DoneForm,
    PlanForm,
    PledgeForm,
    QuarterForm,
    RateForm,
    ResultForm,
)
from pwa.rendering import render
from pwa.steps import run_step
from services.errors import InvalidInput, NotFound
from services.pledges import operations, queries, rectification
from services.report_in.quarters import Quarter
from services.roster import posts as roster_posts

bp = Blueprint("pledges", __name__, url_prefix="/pledges")
bp.before_request(auth.require_signed_in)
# A resident's rating from their home's card.
rate_bp = Blueprint("pledge_rating", __name__, url_prefix="/my/pledges")
rate_bp.before_request(auth.require_signed_in)
plans_bp = Blueprint("rectification", __name__, url_prefix="/rectification")
plans_bp.before_request(auth.require_signed_in)


def status_labels() -> dict[str, str]:
    return {PledgeStatus.SUBMITTED: _("Waiting for approval"), PledgeStatus.APPROVED: _("Approved")}


def period_label(kind: str, starts_on: Any) -> str:
    if kind == PledgePeriod.YEAR:
        return _("Year %(year)d", year=starts_on.year)
    return Quarter(starts_on).label()


def _quarter() -> Quarter:
    """The quarter the page asks for (?quarter=2026-3), else the one just ended."""
    return Quarter.parse(request.values.get("quarter")) or Quarter.of(auth.today()).previous


def _office_community() -> Community | None:
    """The community whose office the signed-in person works in (?community= picks one)."""
    ids = sorted(queries.office_of(auth.person_required(), auth.today()))
    wanted = request.values.get("community", type=int)
    if wanted is not None:
        ids = [wanted] if wanted in ids else []
    return db.session.get(Community, ids[0]) if ids else None


def _role_name(post: Post) -> str:
    return roster_posts.role_name(post.role, post.community_id)


# ---- pledges -----------------------------------------------------------------------------


def _index_page(error: str | None = None, status: int = 200) -> Any:
    person, today = auth.person_required(), auth.today()
    mine = queries.own_posts(person, today)
    if not mine:
        abort(404)
    community = _office_community()
    everyone = queries.community_posts(community.id, today) if community else []
    pledges = queries.pledges_of([p.id for p in {*mine, *everyone}])
    response = render(
        "pledges/index.html",
        mine=mine,
        community=community,
        everyone=everyone,
        waiting=queries.waiting(community.id) if community else [],
        pledges=pledges,
        statuses=status_labels(),
        period_label=period_label,
        role_name=_role_name,
        this_year=today.year,
        this_quarter=Quarter.of(today).code,
        error=error,
        form=request.form,
    )
    response.status_code = status
    return response


@bp.get("")
def index() -> Any:
    return _index_page()


@bp.post("/write")
def write() -> Any:
    form = PledgeForm()
    person, today = auth.person_required(), auth.today()
    if not queries.own_posts(person, today):
        abort(404)

    def step() -> Any:
        post = db.session.get(Post, form.post_number())
        if post is None or not queries.may_write(person, post, today):
            raise NotFound(_("You may write pledges only for your own posts."))
        period = operations.Period.parse(form.period.data, form.code.data)
        return operations.write(
            post, by=person, period=period, text=form.text.data, now=auth.now(), today=today
        )

    def done(pledge: Any) -> Any:
        if pledge.status == PledgeStatus.APPROVED:
            flash(_("Pledges saved and shown on the notice board."))
        else:
            flash(_("Pledges saved; the community's office approves them for the board."))
        return redirect(url_for("pledges.index", community=request.values.get("community")))

    return run_step(step, refused=lambda m: _index_page(m, 422), done=done, form=form)


@bp.post("/<int:pledge_id>/approve")
def approve(pledge_id: int) -> Any:
    person, today = auth.person_required(), auth.today()
    pledge = queries.get_pledge(pledge_id)
    if pledge is None or pledge.community_id not in queries.office_of(person, today):
        abort(404)

    def done(_approved: Any) -> Any:
        flash(_("Approved: the pledges are on the notice board."))
        return redirect(url_for("pledges.index", community=pledge.community_id))

    return run_step(
        lambda: operations.approve(pledge, by=person, now=auth.now(), today=today),
        refused=lambda m: _index_page(m, 422),
        done=done,
    )


# ---- ratings (the office's figures, the round) ----------------------------------------------


def _ratings_page(community: Community, error: str | None = None, status: int = 200) -> Any:
    quarter = _quarter()
    figures = queries.ratings(community.id, quarter.first, quarter.next.first)
    posts = {p.id: p for p in queries.rated_posts(community.id, auth.today())}
    missing = [pid for pid in figures.posts if pid not in posts]
    for post in db.session.scalars(select(Post).where(Post.id.in_(missing))):
        posts[post.id] = post
    grids = list(db.session.scalars(select(Grid).where(Grid.community_id == community.id)))
    round_ = queries.get_round(community.id, quarter)
    response = render(
        "pledges/ratings.html",
        community=community,
        quarter=quarter,
        previous=quarter.previous,
        following=quarter.next if quarter.next.first <= auth.today() else None,
        figures=figures,
        posts=sorted(posts.values(), key=lambda p: (p.grid_id or 0, p.role, p.id)),
        grids=grids,
        round=round_,
        opened_day=today_of(round_.opened_at).isoformat() if round_ else "",
        round_open=round_ is not None and queries.is_open(round_, auth.today()),
        secretary=queries.is_secretary(auth.person_required(), community.id, auth.today()),
        role_name=_role_name,
        error=error,
    )
    response.status_code = status
    return response


@bp.get("/ratings")
def ratings() -> Any:
    community = _office_community()
    if community is None:
        abort(404)
    return _ratings_page(community)


@bp.post("/rounds")
def open_round() -> Any:
    community = _office_community()
    if community is None:
        abort(404)
    form = QuarterForm()
    quarter = Quarter.parse(form.quarter.data)

    def step() -> Any:
        if quarter is None:
            raise InvalidInput(_("Choose the quarter."))
        return operations.open_round(
            community, quarter, by=auth.person_required(), now=auth.now(), today=auth.today()
        )

    def done(_round: Any) -> Any:
        flash(_("The rating is open: households with a phone are asked by SMS."))
        return redirect(
            url_for("pledges.ratings", community=community.id, quarter=form.quarter.data)
        )

    return run_step(step, refused=lambda m: _ratings_page(community, m, 422), done=done, form=form)


# ---- a resident's rating -------------------------------------------------------------------


@rate_bp.post("/rate")
def rate() -> Any:
    form = RateForm()
    person = auth.person_required()
    back = redirect(url_for("resident.my_home") + "#pledge-rating")

    def step() -> Any:
        rating_id, value = form.numbers()
        rating = queries.rating_for(person, rating_id)
        if rating is None:
            raise NotFound(_("Choose whom you rate."))
        return operations.rate(
            rating, value, by=person, via="app", now=auth.now(), today=auth.today()
        )

    def refused(message: str) -> Any:
        flash(message, "error")
        return back

    def done(rating: Any) -> Any:
        flash(_("Thank you: your rating (%(n)d) is recorded.", n=rating.value))
        return back

    return run_step(step, refused=refused, done=done, form=form)


# ---- rectification -------------------------------------------------------------------------


def plan_statuses() -> dict[str, str]:
    return {"open": _("Under way"), "passed": _("Passed"), "not_passed": _("Not passed")}


@plans_bp.get("")
def plan_list() -> Any:
    person, today = auth.person_required(), auth.today()
    community = _office_community()
    if community is None and not queries.led_grids(person, today):
        abort(404)
    quarter = _quarter()
    return render(
        "pledges/rectification.html",
        community=community,
        quarter=quarter,
        previous=quarter.previous,
        following=quarter.next if quarter.next.first <= today else None,
        low=rectification.low_grids(community.id, quarter) if community else [],
        plans=rectification.plans_for(person, today, community.id if community else None),
        threshold=rectification.setting("RECTIFICATION_THRESHOLD"),
        minimum=int(rectification.setting("RECTIFICATION_MIN_RATINGS")),
        statuses=plan_statuses(),
        period_label=lambda first: Quarter(first).label(),
    )


def _new_page(community: Community, error: str | None = None, status: int = 200) -> Any:
    quarter = _quarter()
    grid_id = request.values.get("grid", type=int)
    low = {g.grid.id: g for g in rectification.low_grids(community.id, quarter)}
    if grid_id not in low:
        if error is None:
            abort(404)
        # A refused plan for a grid with nothing to rectify: say why on the list.
        flash(error)
        return redirect(url_for("rectification.plan_list", community=community.id))
    response = render(
        "pledges/plan_new.html",
        community=community,
        quarter=quarter,
        low=low[grid_id],
        holders=rectification.holders(community.id, auth.today()),
        rows=range(1, ACTION_ROWS + 1),
        role_name=_role_name,
        error=error,
        form=request.form,
    )
    response.status_code = status
    return response


@plans_bp.get("/new")
def new_plan() -> Any:
    community = _office_community()
    if community is None:
        abort(404)
    return _new_page(community)


@plans_bp.post("/new")
def create_plan() -> Any:
    community = _office_community()
    if community is None:
        abort(404)
    form = PlanForm()

    def step() -> Any:
        quarter = Quarter.parse(form.quarter.data)
        grid = db.session.get(Grid, form.grid_number())
        if quarter is None or grid is None or grid.community_id != community.id:
            raise NotFound(_("Choose the grid."))
        return rectification.open_plan(
            community,
            grid,
            quarter,
            by=auth.person_required(),
            actions=form.actions(request.form.to_dict()),
            recheck_on=form.recheck_day(),
            now=auth.now(),
            today=auth.today(),
        )

    def done(plan: Any) -> Any:
        flash(_("The plan is open; each action's holder is reminded before its deadline."))
        return redirect(url_for("rectification.plan_page", plan_id=plan.id))

    return run_step(step, refused=lambda m: _new_page(community, m, 422), done=done, form=form)


def _plan(plan_id: int) -> Any:
    try:
        return rectification.get_plan(auth.person_required(), plan_id, auth.today())
    except NotFound:
        abort(404)


def _plan_page(plan_id: int, error: str | None = None, status: int = 200) -> Any:
    plan = _plan(plan_id)
    person, today = auth.person_required(), auth.today()
    response = render(
        "pledges/plan.html",
        plan=plan,
        quarter=Quarter(plan.quarter_first),
        following=rectification.following_figure(plan, today),
        office=plan.community_id in queries.office_of(person, today),
        leader=plan.grid_id in queries.led_grids(person, today),
        recheck_due=today >= plan.recheck_on,
        statuses=plan_statuses(),
        error=error,
        form=request.form,
    )
    response.status_code = status
    return response


@plans_bp.get("/<int:plan_id>")
def plan_page(plan_id: int) -> Any:
    return _plan_page(plan_id)


@plans_bp.post("/<int:plan_id>/actions/<int:action_id>/done")
def action_done(plan_id: int, action_id: int) -> Any:
    plan = _plan(plan_id)
    line = next((a for a in plan.actions if a.id == action_id), None)
    if line is None:
        abort(404)
    form = DoneForm()

    def done(_line: Any) -> Any:
        flash(_("Marked done."))
        return redirect(url_for("rectification.plan_page", plan_id=plan.id))

    return run_step(
        lambda: rectification.mark_done(
            plan,
            line,
            by=auth.person_required(),
            note=form.note.data,
            now=auth.now(),
            today=auth.today(),
        ),
        refused=lambda m: _plan_page(plan_id, m, 422),
        done=done,
        form=form,
    )


@plans_bp.post("/<int:plan_id>/result")
def record_result(plan_id: int) -> Any:
    plan = _plan(plan_id)
    if plan.community_id not in queries.office_of(auth.person_required(), auth.today()):
        abort(404)  # the grid leader sees the plan; the re-check is the office's
    form = ResultForm()

    def step() -> Any:
        return rectification.record_result(
            plan,
            by=auth.person_required(),
            passed=form.passed(),
            comment=form.comment.data,
            now=auth.now(),
            today=auth.today(),
        )

    def done(_plan_done: Any) -> Any:
        flash(_("The re-check is recorded."))
        return redirect(url_for("rectification.plan_page", plan_id=plan.id))

    return run_step(step, refused=lambda m: _plan_page(plan_id, m, 422), done=done, form=form)
