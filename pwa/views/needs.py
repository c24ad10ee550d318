"""The needs list: the visitors' list and decisions, a need heard outside a visit, my needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from models import Decision, Need, PartnerUnit, Resident, db
from models.roles import Permission
from pwa import audit_reads, auth, paging
from pwa.forms.needs import DecideForm, MyNeedForm, NeedForm
from pwa.rendering import render
from pwa.steps import run_step
from services.errors import NotFound
from services.needs import operations, queries
from services.needs.operations import Conversion
from services.roster.areas import Area
from services.visits import queries as visit_queries
from services.wishes import from_need as wish_from_need
from services.work_orders import from_need as order_from_need

bp = Blueprint("needs", __name__)
bp.before_request(auth.require_signed_in)

# What a need may become, made by the feature it becomes (the needs list imports neither).
NEED_CONVERSIONS: Mapping[str, Conversion] = {
    Decision.WISH: wish_from_need.to_wish,
    Decision.WORK_ORDER: order_from_need.to_order,
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
            .where(PartnerUnit.community_id.in_(community_ids))
            .order_by(PartnerUnit.name)
        )
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
    page = paging.Page(number, paging.PAGE_SIZE, queries.count_needs(area, status=status))
    items = queries.list_needs(area, status=status, limit=page.size, offset=page.offset)
    audit_reads.items("needs", items, detail=f"needs status={status} page={number}")
    more = paging.wants_more_rows()
    return render(
        "needs/list.html",
        "need_rows" if more else "need_list",
        items=items,
        page=page,
        status=status,
        now=now,
        age=queries.age_days,
        is_old=queries.is_old,
        may_decide=lambda n: queries.may_decide(person, n, today),
        decisions=queries.DECISIONS,
        categories=queries.CATEGORIES,
        units=_units({n.community_id for n in items}),
        figures=None if more else queries.figures(area, now),
    )


@bp.post("/needs/<int:need_id>/decide")
@auth.permission_required(Permission.SEE_NEEDS)
def decide(need_id: int) -> Any:
    # Who sees a need and may not decide it is told why (needs.queries.may_decide).
    area = _area(Permission.SEE_NEEDS)
    try:
        need = queries.get_need(area, need_id)
    except NotFound:
        abort(404)
    person = auth.person_required()
    form = DecideForm()

    def refused(message: str) -> Any:
        again = queries.get_need(area, need_id)
        return render_template(
            "needs/decide.html",
            need=again,
            error=message,
            form=request.form,
            decisions=queries.DECISIONS,
            categories=queries.CATEGORIES,
            units=db.session.scalars(
                select(PartnerUnit).where(PartnerUnit.community_id == again.community_id)
            ).all(),
            age=queries.age_days,
            now=auth.now(),
        ), 422

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
        refused=refused,
        done=lambda _need: redirect(url_for("needs.need_list", status="open")),
        form=form,
    )


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
        select(Resident).where(Resident.person_id == person.id).order_by(Resident.id)
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
