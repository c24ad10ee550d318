"""Assessment (考核): the secretary computes a period's draft, adjusts, publishes and confers
awards; staff compute and adjust; a grid leader reads their grid's published results; a
street's administrator sets the street's default weights and reads its communities' results;
every post-holder sees their own stars (/my/stars)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from models import Assessment, AssessmentRow, Community, Street, db, utcnow
from models.roles import STAFF_ROLES, Role
from pwa import audit_reads, auth
from pwa.forms.assessment import AwardForm, ComputeForm, ScoreForm
from pwa.rendering import render
from pwa.steps import run_step
from services.administration import queries as administration
from services.assessment import operations, queries, weights
from services.assessment.indicators import by_code
from services.assessment.periods import choices, parse, previous_quarter
from services.errors import DomainError, NotFound
from services.roster import posts

bp = Blueprint("assessment", __name__, url_prefix="/assessment")
bp.before_request(auth.require_signed_in)

my_bp = Blueprint("my_assessment", __name__, url_prefix="/my/stars")
my_bp.before_request(auth.require_signed_in)


# -- who may see what ---------------------------------------------------------------------


def _community(roles: set[Any]) -> Community:
    """The community where the signed-in person holds one of these roles; else 404."""
    ids = sorted(
        {
            p.community_id
            for p in auth.person_required().active_posts(auth.today())
            if p.role in roles
        }
    )
    wanted = request.values.get("community", type=int)
    if wanted is not None:
        ids = [i for i in ids if i == wanted]
    community = db.session.get(Community, ids[0]) if ids else None
    if community is None:
        abort(404)
    return community


def _led_grids(community: Community) -> set[int]:
    return {
        p.grid_id
        for p in auth.person_required().active_posts(auth.today())
        if p.role == Role.GRID_LEADER and p.community_id == community.id and p.grid_id
    }


def _is_staff(community: Community) -> bool:
    return any(
        p.role in STAFF_ROLES and p.community_id == community.id
        for p in auth.person_required().active_posts(auth.today())
    )


def _is_secretary(community: Community) -> bool:
    return any(
        p.role == Role.SECRETARY and p.community_id == community.id
        for p in auth.person_required().active_posts(auth.today())
    )


def _readers() -> set[Any]:
    return {Role.SECRETARY, Role.STAFF, Role.GRID_LEADER}


def _assessment(community: Community, assessment_id: int) -> Assessment:
    found = queries.get(community, assessment_id)
    if found is None:
        abort(404)
    return found


def _street(code: str) -> Street:
    try:
        return administration.administered_street(auth.person_required(), code, auth.today())
    except NotFound:
        abort(404)


def _street_community(street: Street, assessment_id: int) -> tuple[Community, Assessment]:
    found = db.session.get(Assessment, assessment_id)
    community = db.session.get(Community, found.community_id) if found else None
    if found is None or community is None or community.street_id != street.id:
        abort(404)
    if not found.published:
        abort(404)
    return community, found


def role_names(community: Community) -> dict[str, str]:
    return {str(r): posts.role_name(r, community.id) for r in Role}


# -- the list and computing ---------------------------------------------------------------


@bp.get("")
def index() -> Any:
    community = _community(_readers())
    return _index_page(community)


def _index_page(community: Community, error: str | None = None, status: int = 200) -> Any:
    staff = _is_staff(community)
    found = queries.of_community(community, published_only=not staff)
    response = render(
        "assessment/index.html",
        community=community,
        assessments=found,
        periods=choices(auth.today()),
        default_period=previous_quarter(auth.today()).code,
        typed=request.form.get("period") if request.method == "POST" else None,
        staff=staff,
        secretary=_is_secretary(community),
        period_of=operations.period_of,
        error=error,
    )
    response.status_code = status
    return response


@bp.post("/compute")
def compute() -> Any:
    community = _community(set(STAFF_ROLES))
    form = ComputeForm()
    person = auth.person_required()

    def step() -> Assessment:
        return operations.compute(
            community, parse(form.period.data), by=person, now=utcnow(), today=auth.today()
        )

    def done(assessment: Assessment) -> Any:
        flash(
            _(
                "Computed %(period)s from the records.",
                period=operations.period_of(assessment).label,
            )
        )
        return redirect(
            url_for("assessment.detail", assessment_id=assessment.id, community=community.id)
        )

    return run_step(step, form=form, refused=lambda e: _index_page(community, e, 422), done=done)


# -- one assessment ---------------------------------------------------------------------------


@bp.get("/<int:assessment_id>")
def detail(assessment_id: int) -> Any:
    community = _community(_readers())
    assessment = _assessment(community, assessment_id)
    return _detail_page(community, assessment)


def _detail_page(
    community: Community,
    assessment: Assessment,
    *,
    error: str | None = None,
    status: int = 200,
    typed_row: int | None = None,
    street: Street | None = None,
) -> Any:
    staff = street is None and _is_staff(community)
    grid_ids = None
    if street is None and not staff:
        if not assessment.published:
            abort(404)
        grid_ids = _led_grids(community)
    rows = queries.rows(assessment, grid_ids)
    # Post-holders' names with their scores and comments are not public: the read is kept.
    audit_reads.note(
        community.id, "assessment", subject_id=assessment.id, detail="assessment results"
    )
    response = render(
        "assessment/detail.html",
        community=community,
        assessment=assessment,
        period=operations.period_of(assessment),
        rows=rows,
        columns=queries.indicator_columns(),
        editable=staff and not assessment.published,
        secretary=street is None and _is_secretary(community),
        suggestions=queries.suggestions(assessment) if assessment.published else [],
        awards=queries.awards(assessment),
        roles=role_names(community),
        manual_range=operations.MANUAL_RANGE,
        error=error,
        typed_row=typed_row,
        street=street,
    )
    response.status_code = status
    return response


def _row(assessment: Assessment, row_id: int) -> AssessmentRow:
    row = db.session.get(AssessmentRow, row_id)
    if row is None or row.assessment_id != assessment.id:
        abort(404)
    return row


@bp.post("/<int:assessment_id>/rows/<int:row_id>")
def score(assessment_id: int, row_id: int) -> Any:
    community = _community(set(STAFF_ROLES))
    assessment = _assessment(community, assessment_id)
    row = _row(assessment, row_id)
    form = ScoreForm()
    person = auth.person_required()

    def step() -> AssessmentRow:
        return operations.score(
            row, manual=form.manual.data, comment=form.comment.data or "", by=person
        )

    def done(saved: AssessmentRow) -> Any:
        flash(_("Saved the manual score of %(name)s.", name=saved.name))
        return redirect(
            url_for("assessment.detail", assessment_id=assessment.id, community=community.id)
            + f"#row-{saved.id}"
        )

    def refused(error: str) -> Any:
        # The rolled-back session forgets nothing typed: the page shows the form's values.
        fresh = _assessment(community, assessment_id)
        return _detail_page(community, fresh, error=error, status=422, typed_row=row_id)

    return run_step(step, form=form, refused=refused, done=done)


@bp.post("/<int:assessment_id>/publish")
def publish(assessment_id: int) -> Any:
    community = _community({Role.SECRETARY})
    assessment = _assessment(community, assessment_id)
    person = auth.person_required()

    def done(told: int) -> Any:
        flash(
            _(
                "Published %(period)s: the notice board shows it, and %(n)d post-holders are "
                "told their stars.",
                period=operations.period_of(assessment).label,
                n=told,
            )
        )
        return redirect(
            url_for("assessment.detail", assessment_id=assessment.id, community=community.id)
        )

    def refused(error: str) -> Any:
        return _detail_page(
            community, _assessment(community, assessment_id), error=error, status=422
        )

    return run_step(
        lambda: operations.publish(assessment, by=person, now=utcnow()), refused=refused, done=done
    )


@bp.post("/<int:assessment_id>/awards")
def confer(assessment_id: int) -> Any:
    community = _community({Role.SECRETARY})
    assessment = _assessment(community, assessment_id)
    form = AwardForm()
    person = auth.person_required()

    def step() -> Any:
        try:
            row = _row(assessment, int(form.row_id.data or ""))
        except ValueError:
            raise DomainError(_("Choose who receives the award.")) from None
        return operations.confer(
            assessment,
            row,
            name=form.name.data or "",
            citation=form.citation.data or "",
            by=person,
            now=utcnow(),
        )

    def done(award: Any) -> Any:
        flash(_("Conferred “%(name)s” on %(who)s.", name=award.name, who=award.row.name))
        return redirect(
            url_for("assessment.detail", assessment_id=assessment.id, community=community.id)
        )

    def refused(error: str) -> Any:
        return _detail_page(
            community, _assessment(community, assessment_id), error=error, status=422
        )

    return run_step(step, form=form, refused=refused, done=done)


# -- weights --------------------------------------------------------------------------------


@bp.get("/weights")
def community_weights() -> Any:
    community = _community({Role.SECRETARY})
    return _weights_page(community=community)


def _weights_page(
    *,
    community: Community | None = None,
    street: Street | None = None,
    error: str | None = None,
    status: int = 200,
) -> Any:
    if community is not None:
        current = weights.effective(community)
        own = weights.own_codes(community)
    else:
        current = weights.for_street(street)  # type: ignore[arg-type]
        own = set()
    typed = dict(request.form) if request.method == "POST" else {}
    response = render(
        "assessment/weights.html",
        community=community,
        street=street,
        indicators=list(by_code().values()),
        current=current,
        own=own,
        typed=typed,
        error=error,
    )
    response.status_code = status
    return response


@bp.post("/weights")
def set_community_weights() -> Any:
    community = _community({Role.SECRETARY})
    person = auth.person_required()

    def done(_result: object) -> Any:
        flash(_("Saved the weights. A draft takes them when it is computed again."))
        return redirect(url_for("assessment.community_weights", community=community.id))

    return run_step(
        lambda: weights.set_for(weights.parse(request.form), by=person, community=community),
        refused=lambda e: _weights_page(community=community, error=e, status=422),
        done=done,
    )


# -- stars -----------------------------------------------------------------------------------


@bp.get("/stars")
def stars() -> Any:
    community = _community(_readers())
    grid_ids = None if _is_staff(community) else _led_grids(community)
    found = queries.history(community, grid_ids=grid_ids)
    if found:
        audit_reads.note(community.id, "assessment", detail="stars history")
    return render(
        "assessment/stars.html", community=community, history=found, roles=role_names(community)
    )


@my_bp.get("")
def mine() -> Any:
    person = auth.person_required()
    found = queries.person_history(person.id)
    names = {str(r): posts.role_name(r, None) for r in Role}
    return render("assessment/mine.html", history=found, roles=names)


# -- the street -------------------------------------------------------------------------------


@bp.get("/streets/<street>")
def street_results(street: str) -> Any:
    return _street_page(_street(street))


def _street_page(street: Street, error: str | None = None, status: int = 200) -> Any:
    today = auth.today()
    try:
        period = parse(request.args["period"]) if request.args.get("period") else None
    except DomainError as refused:
        error, status, period = refused.message, 422, None
    period = period or previous_quarter(today)
    communities = db.session.scalars(
        db.select(Community).where(Community.street_id == street.id).order_by(Community.name)
    ).all()
    published = {c.id: queries.of_community(c, published_only=True) for c in communities}
    response = render(
        "assessment/street.html",
        street=street,
        communities=communities,
        published=published,
        period_of=operations.period_of,
        period=period,
        period_choices=choices(today),
        ranking=queries.street_ranking(street.id, period),
        indicators=list(by_code().values()),
        current=weights.for_street(street),
        typed=dict(request.form) if request.method == "POST" else {},
        error=error,
    )
    response.status_code = status
    return response


@bp.post("/streets/<street>/weights")
def set_street_weights(street: str) -> Any:
    found = _street(street)
    person = auth.person_required()

    def done(_result: object) -> Any:
        flash(_("Saved the street's weights: each community follows them unless it set its own."))
        return redirect(url_for("assessment.street_results", street=found.code))

    return run_step(
        lambda: weights.set_for(weights.parse(request.form), by=person, street=found),
        refused=lambda e: _street_page(found, e, 422),
        done=done,
    )


@bp.get("/streets/<street>/<int:assessment_id>")
def street_assessment(street: str, assessment_id: int) -> Any:
    found = _street(street)
    community, assessment = _street_community(found, assessment_id)
    return _detail_page(community, assessment, street=found)
