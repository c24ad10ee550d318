"""The needs list: the visitors' list and decisions, a need heard outside a visit, my needs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import Decision, Household, Need, NeedReferral, PartnerUnit, Resident, db
from models.roles import Permission
from pwa import audit_reads, auth, figures_cache, paging, rendering
from pwa.forms.needs import DecideForm, MyNeedForm, NeedForm, PartnerAnswerForm
from pwa.rendering import render
from pwa.steps import run_step
from services.errors import NotFound
from services.mediation import from_need as mediation_from_need
from services.needs import operations, queries, referrals
from services.needs.operations import Conversion
from services.roster import permissions
from services.roster.areas import Area
from services.visits import queries as visit_queries
from services.wishes import from_need as wish_from_need
from services.work_orders import from_need as order_from_need

bp = Blueprint("needs", __name__)
bp.before_request(auth.require_signed_in)

# A partner unit's contact answers a referred need through the link sent to them: no account,
# the unguessable token is the key (services/needs/referrals.py).
partner_bp = Blueprint("partner", __name__)

# What a need may become, made by the feature it becomes (the needs list imports neither).
NEED_CONVERSIONS: Mapping[str, Conversion] = {
    Decision.WISH: wish_from_need.to_wish,
    Decision.WORK_ORDER: order_from_need.to_order,
    Decision.MEDIATION: mediation_from_need.to_case,
}
# Above this many households the form asks for the household from the list, not a menu.
FORM_CHOICES_LIMIT = 400


def _area(permission: Permission = Permission.LOG_VISITS) -> Area:
    """Return the area where the signed-in person has the permission; none gets 404."""
    area = visit_queries.visit_area(auth.person_required(), auth.today(), permission)
    if area.is_empty:
        abort(404)
    return area


def _units(community_ids: set[int]) -> list[PartnerUnit]:
    if not community_ids:
        return []
    return list(
        db.session.scalars(
            select(PartnerUnit)
            .where(PartnerUnit.community_id.in_(community_ids), PartnerUnit.taking_part())
            .order_by(PartnerUnit.name)
        )
    )


def need_figures(area: Area, now: datetime) -> queries.NeedFigures:
    """The area's open and answered needs, kept for the minute ("open over a week" moves)."""
    return figures_cache.kept(
        "need figures",
        (area, now.replace(second=0, microsecond=0)),
        lambda: queries.figures(area, now),
    )


@bp.get("/needs")
@auth.permission_required(Permission.SEE_NEEDS)
def need_list() -> Any:
    area = _area(Permission.SEE_NEEDS)
    status = request.args.get("status", "open")
    if status not in queries.STATUSES:
        status = "open"
    now = auth.now()
    person = auth.person_required()
    today = auth.today()
    number = paging.page_number()
    total, items, unit_names = _need_page(area, status, number)
    page = paging.Page(number, paging.PAGE_SIZE, total)
    audit_reads.items("needs", items, detail=f"needs status={status} page={number}")
    more = paging.wants_more_rows()
    deciding = permissions.posts_with(person, Permission.DECIDE_NEEDS, today)
    return render(
        "needs/list.html",
        "need_rows" if more else "need_list",
        items=items,
        page=page,
        status=status,
        now=now,
        age=queries.age_days,
        is_old=queries.is_old,
        may_decide=lambda n: queries.may_decide_under(deciding, n),
        decisions=queries.DECISIONS,
        categories=queries.CATEGORIES,
        unit_names=unit_names,
        figures=None if more else need_figures(area, now),
    )


def _need_page(
    area: Area, status: str, number: int
) -> tuple[int, list[queries.NeedRow], dict[int, str]]:
    """A page of the needs list in plain rows, with its partner units' names, kept (the same
    for everyone with this area until anything is recorded; the view decides per viewer)."""

    def build() -> tuple[int, list[queries.NeedRow], dict[int, str]]:
        total = queries.count_needs(area, status=status)
        offset = (number - 1) * paging.PAGE_SIZE
        rows = queries.need_rows(area, status=status, limit=paging.PAGE_SIZE, offset=offset)
        units = {u.id: u.name for u in _units({n.community_id for n in rows})}
        return total, rows, units

    return figures_cache.kept("need rows", (area, status, number), build)


@bp.route("/needs/<int:need_id>/decide", methods=["GET", "POST"])
@auth.permission_required(Permission.SEE_NEEDS)
def decide(need_id: int) -> Any:
    """A need's decision: its own page, opened from the list (a form per row made it heavy)."""
    # Who sees a need and may not decide it is told why (needs.queries.may_decide).
    area = _area(Permission.SEE_NEEDS)
    try:
        need = queries.get_need(area, need_id)
    except NotFound:
        abort(404)
    person = auth.person_required()

    def page(error: str | None) -> Any:
        again = queries.get_need(area, need_id)
        audit_reads.items("need", [again], detail="need decision")
        return render_template(
            "needs/decide.html",
            need=again,
            error=error,
            form=request.form if error else None,
            may_decide=queries.may_decide(person, again, auth.today()),
            decisions=queries.DECISIONS,
            categories=queries.CATEGORIES,
            units=_units({again.community_id}),
            age=queries.age_days,
            now=auth.now(),
        ), (422 if error else 200)

    if request.method == "GET":
        return page(None)
    form = DecideForm()

    return run_step(
        lambda: operations.decide(
            need,
            by=person,
            decision=form.decision.data or "",
            today=auth.today(),
            now=auth.now(),
            partner_unit_id=form.partner_unit(),
            conversions=NEED_CONVERSIONS,
            **form.texts(),
        ),
        refused=page,
        done=lambda decided: _decided(decided),
        form=form,
    )


@bp.get("/needs/<int:need_id>/photo")
def photo(need_id: int) -> Any:
    """A reported problem's photo, for its reporter and whoever sees the need on the list."""
    person = auth.person_required()
    need = db.session.get(Need, need_id)
    if need is not None and need.raised_by_id != person.id:
        area = visit_queries.visit_area(person, auth.today(), Permission.SEE_NEEDS)
        try:
            need = queries.get_need(area, need_id)
        except NotFound:
            need = None
    if need is None or need.photo is None:
        abort(404)
    return rendering.photo(need.photo)


def _decided(need: Need) -> Any:
    what = queries.DECISIONS.get(need.decision or "", need.decision)
    if need.decision == Decision.REFERRED:
        flash(
            _(
                "%(ref)s referred: its partner unit's contact and the resident are told.",
                ref=need.ref,
            )
        )
    else:
        flash(_("%(ref)s decided (%(what)s): the resident is told.", ref=need.ref, what=what))
    return redirect(url_for("needs.need_list", status="open"))


def _choices(area: Area) -> dict[str, Any]:
    choices = visit_queries.households_to_choose(area, FORM_CHOICES_LIMIT + 1)
    audit_reads.household_rows(
        "need form", [h.id for h in choices[:FORM_CHOICES_LIMIT]], detail="need form"
    )
    return {
        "household": None,
        "choices": choices[:FORM_CHOICES_LIMIT],
        "too_many": len(choices) > FORM_CHOICES_LIMIT,
        "categories": queries.CATEGORIES,
        "today": auth.today(),
        "code": visit_queries.address_code,
    }


@bp.route("/needs/new", methods=["GET", "POST"])
@auth.permission_required(Permission.RAISE_NEEDS)
def raise_need() -> Any:
    """An observer (or any visitor) adds a need heard outside a visit."""
    area = _area(Permission.RAISE_NEEDS)
    person = auth.person_required()
    context = _choices(area)
    if request.method == "GET":
        return render_template("needs/new.html", error=None, form=request.form, **context)
    form = NeedForm()

    def step() -> Need:
        household_id = form.household()
        assert household_id is not None
        found = visit_queries.household_in_area(area, household_id)
        return operations.raise_need(
            community_id=found.building.community_id,
            household=found,
            source="observer",
            by=person,
            category=form.category.data or "",
            text=form.text.data or "",
            now=auth.now(),
        )

    return run_step(
        step,
        refused=lambda message: (
            render_template("needs/new.html", error=message, form=request.form, **context),
            422,
        ),
        done=lambda _need: redirect(url_for("needs.need_list")),
        form=form,
    )


@bp.route("/needs/mine", methods=["GET", "POST"])
def my_needs() -> Any:
    """A resident tells the community what they need, and sees every answer they got."""
    person = auth.person_required()
    residents = db.session.scalars(
        select(Resident)
        .join(Household, Household.id == Resident.household_id)
        .where(Resident.person_id == person.id, Household.current(), Resident.living())
        .order_by(Resident.id)
    ).all()
    if not residents:
        abort(404)

    def page(error: str | None) -> Any:
        return render_template(
            "needs/mine.html",
            items=queries.resident_needs([r.id for r in residents]),
            error=error,
            form=request.form,
            categories=queries.CATEGORIES,
            decisions=queries.DECISIONS,
        ), (422 if error else 200)

    if request.method == "GET":
        return page(None)
    form = MyNeedForm()
    return run_step(
        lambda: operations.resident_need(
            residents[0],
            category=form.category.data or "",
            text=form.text.data or "",
            by=person,
            now=auth.now(),
        ),
        refused=page,
        done=lambda _need: redirect(url_for("needs.my_needs", sent=1)),
        form=form,
    )


def _referral_page(referral: NeedReferral, *, error: str | None = None, status: int = 200) -> Any:
    need = referral.need
    unit = db.session.get(PartnerUnit, referral.partner_unit_id)
    audit_reads.note_by_link(
        need.community_id,
        "need",
        subject_id=need.id,
        households=[need.household_id] if need.household_id else [],
        residents=[need.resident_id] if need.resident_id else [],
        detail=f"partner link: {unit.name if unit else referral.partner_unit_id}",
    )
    response = render(
        "needs/partner.html",
        referral=referral,
        need=need,
        unit=unit,
        contact=referrals.contact_for(need),
        categories=queries.CATEGORIES,
        error=error,
        form=request.form,
    )
    response.status_code = status
    # The token is in the address: keep it out of caches and of other sites' Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _referral(token: str) -> NeedReferral:
    found = referrals.by_token(token, auth.now())
    if found is None:
        abort(404)
    return found


@partner_bp.get("/p/<token>")
def partner_answer_form(token: str) -> Any:
    return _referral_page(_referral(token))


@partner_bp.post("/p/<token>")
def partner_answer(token: str) -> Any:
    referral = _referral(token)
    form = PartnerAnswerForm()
    referral_id = referral.id

    def again(message: str) -> Any:
        found = db.session.get(NeedReferral, referral_id)
        assert found is not None
        return _referral_page(found, error=message, status=422)

    def thanked(_need: Need) -> Any:
        flash(_("Thank you: your answer is passed to the resident."))
        return redirect(url_for("partner.partner_answer_form", token=token))

    return run_step(
        lambda: operations.answer_referral(
            referral, form.answer.data or "", via="link", now=auth.now()
        ),
        refused=again,
        done=thanked,
        form=form,
    )
