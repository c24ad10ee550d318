"""Visits, the needs list and coverage: pages for heads, N members, grid leaders and staff."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Building, Grid, Household, Need, PartnerUnit, Resident, db
from models.roles import Role
from pwa import auth
from pwa.i18n import SHANGHAI
from pwa.rendering import render
from services import coverage, needs, visits
from services.errors import DomainError, NotFound
from services.roster import areas
from services.roster.areas import Area

bp = Blueprint("visits", __name__)
bp.before_request(auth.require_signed_in)

# Above this many households the form asks for the household from the list, not a menu.
FORM_CHOICES_LIMIT = 400


def _area() -> Area:
    """Return the signed-in person's visiting area; someone with none gets 404."""
    area = visits.visit_area(auth.person_required(), auth.today())
    if area.is_empty:
        abort(404)
    return area


def _month_start() -> datetime:
    return datetime.now(SHANGHAI).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


@bp.get("/visits")
def my_households() -> Any:
    """The visitor's households: not yet visited this month first, found by room."""
    area = _area()
    today = auth.today()
    q = request.args.get("q", "").strip()[:20]
    rows, total = visits.my_households(area, today, q=q)
    if not q and len(rows) == total:  # the whole area is on the page: count it there
        figures = coverage.Coverage(sum(r.visited_this_month for r in rows), total)
    else:
        figures = coverage.total(coverage.by(Building.id, area, today).values())
    return render(
        "visits/households.html",
        "household_list",
        rows=rows,
        total=total,
        q=q,
        figures=figures,
        today=today,
        code=visits.address_code,
    )


def _form_context(area: Area, household: Household | None) -> dict[str, Any]:
    choices: list[Household] = []
    if household is None:
        query = (
            select(Household)
            .join(Building)
            .where(area.building_clause())
            .options(selectinload(Household.building))
            .order_by(Building.compound, Building.name, Household.unit, Household.room)
            .limit(FORM_CHOICES_LIMIT + 1)
        )
        choices = list(db.session.scalars(query))
    return {
        "household": household,
        "choices": choices[:FORM_CHOICES_LIMIT],
        "too_many": len(choices) > FORM_CHOICES_LIMIT,
        "categories": needs.CATEGORIES,
        "today": auth.today(),
        "key": uuid.uuid4().hex,
        "code": visits.address_code,
    }


@bp.get("/visits/log")
def log_form() -> Any:
    area = _area()
    household = None
    if request.args.get("household"):
        try:
            household = visits.household_in_area(area, int(request.args["household"]))
        except (ValueError, NotFound):
            abort(404)
    return render_template(
        "visits/log.html", form=None, error=None, **_form_context(area, household)
    )


@bp.post("/visits")
def log_visit() -> Any:
    """Save a visit from the form or from the offline queue (JSON); the same key saves once."""
    area = _area()
    person = auth.person_required()
    today = auth.today()
    payload: Any = request.get_json(silent=True) if request.is_json else request.form
    status = 422
    try:
        if payload is None or not hasattr(payload, "get"):
            raise DomainError(_("The visit could not be read; try again."))
        data = visits.parse_form(payload, today)
        visit, new = visits.log_visit(data, by=person, area=area, today=today, now=auth.now())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, NotFound):
            status = 404
        if _wants_json():
            return jsonify({"ok": False, "error": error.message}), status
        household = None
        try:
            household = visits.household_in_area(area, int(request.form.get("household_id", "")))
        except (ValueError, NotFound):
            household = None
        context = _form_context(area, household)
        context["key"] = request.form.get("key") or context["key"]
        return render_template(
            "visits/log.html", form=request.form, error=error.message, **context
        ), status
    if _wants_json():
        return jsonify({"ok": True, "visit_id": visit.id, "new": new}), 201 if new else 200
    return redirect(url_for("visits.my_households", saved=visit.household_id))


@bp.get("/visits/households/<int:household_id>")
def household(household_id: int) -> Any:
    area = _area()
    try:
        found = visits.household_in_area(area, household_id)
    except NotFound:
        abort(404)
    return render_template(
        "visits/household.html",
        household=found,
        history=visits.recent_visits(found.id),
        code=visits.address_code,
    )


# -- the needs list -----------------------------------------------------------------------


def _need_area() -> Area:
    area = _area()
    return area


@bp.get("/needs")
def need_list() -> Any:
    area = _need_area()
    status = request.args.get("status", "open")
    if status not in ("open", "in_hand", "answered"):
        status = "open"
    now = auth.now()
    person = auth.person_required()
    today = auth.today()
    items = needs.list_needs(area, status=status)
    community_ids = {n.community_id for n in items}
    units = (
        db.session.scalars(
            select(PartnerUnit)
            .where(PartnerUnit.community_id.in_(community_ids))
            .order_by(PartnerUnit.name)
        ).all()
        if community_ids
        else []
    )
    return render(
        "visits/needs.html",
        "need_list",
        items=items,
        status=status,
        now=now,
        age=needs.age_days,
        is_old=needs.is_old,
        may_decide=lambda n: needs.may_decide(person, n, today),
        decisions=needs.DECISIONS,
        categories=needs.CATEGORIES,
        units=units,
        figures=needs.figures(area, now, _month_start()),
    )


@bp.post("/needs/<int:need_id>/decide")
def decide(need_id: int) -> Any:
    area = _need_area()
    try:
        need = needs.get_need(area, need_id)
    except NotFound:
        abort(404)
    person = auth.person_required()
    unit_raw = request.form.get("partner_unit_id", "").strip()
    try:
        needs.decide(
            need,
            by=person,
            decision=request.form.get("decision", ""),
            today=auth.today(),
            now=auth.now(),
            answer=request.form.get("answer", ""),
            reason=request.form.get("reason", ""),
            partner_unit_id=int(unit_raw) if unit_raw.isdigit() else None,
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        need = needs.get_need(area, need_id)
        return render_template(
            "visits/need_decide.html",
            need=need,
            error=error.message,
            form=request.form,
            decisions=needs.DECISIONS,
            categories=needs.CATEGORIES,
            units=db.session.scalars(
                select(PartnerUnit).where(PartnerUnit.community_id == need.community_id)
            ).all(),
            age=needs.age_days,
            now=auth.now(),
        ), 422
    return redirect(url_for("visits.need_list", status="open"))


@bp.route("/needs/new", methods=["GET", "POST"])
def raise_need() -> Any:
    """An observer (or any visitor) adds a need heard outside a visit."""
    area = _area()
    person = auth.person_required()
    error = None
    context = _form_context(area, None)
    if request.method == "POST":
        try:
            try:
                household_id = int(request.form.get("household_id", ""))
            except ValueError:
                raise DomainError(_("Choose the household the need comes from.")) from None
            found = visits.household_in_area(area, household_id)
            needs.raise_need(
                community_id=found.building.community_id,
                household=found,
                source="observer",
                by=person,
                category=request.form.get("category", ""),
                text=request.form.get("text", ""),
                now=auth.now(),
            )
            db.session.commit()
            return redirect(url_for("visits.need_list"))
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    return render_template("visits/need_form.html", error=error, form=request.form, **context), (
        422 if error else 200
    )


# -- coverage ------------------------------------------------------------------------------


def _scope(area: Area) -> tuple[Area, str, Any]:
    """Narrow the area to ?grid= or ?building= (404 when outside); return it with a title."""
    if request.args.get("building"):
        try:
            building = areas.get_building(area, int(request.args["building"]))
        except (ValueError, NotFound):
            abort(404)
        return Area(building_ids=frozenset({building.id})), building.label, building
    if request.args.get("grid"):
        try:
            grid_id = int(request.args["grid"])
        except ValueError:
            abort(404)
        grid = db.session.scalar(
            select(Grid).where(
                Grid.id == grid_id,
                Grid.id.in_(select(Building.grid_id).where(area.building_clause())),
            )
        )
        if grid is None:
            abort(404)
        # A head sees the grid's buildings that are theirs, never the rest of the grid.
        ids = db.session.scalars(
            select(Building.id).where(area.building_clause(), Building.grid_id == grid.id)
        ).all()
        narrowed = Area(building_ids=frozenset(ids))
        if grid.id in area.grid_ids or grid.community_id in area.community_ids:
            narrowed = Area(grid_ids=frozenset({grid.id}))
        return narrowed, grid.name, grid
    return area, "", None


@bp.get("/coverage")
def coverage_page() -> Any:
    area = _area()
    today = auth.today()
    scoped, title, subject = _scope(area)
    person = auth.person_required()
    grids = db.session.scalars(
        select(Grid)
        .where(Grid.id.in_(select(Building.grid_id).where(scoped.building_clause())))
        .order_by(Grid.community_id, Grid.number)
    ).all()
    by_building = coverage.by(Building.id, scoped, today)
    buildings = db.session.scalars(
        select(Building)
        .where(scoped.building_clause())
        .order_by(Building.grid_id, Building.compound, Building.name)
    ).all()
    by_grid: dict[int, coverage.Coverage] = {}
    for b in buildings:
        part = by_building.get(b.id, coverage.Coverage())
        into = by_grid.setdefault(b.grid_id, coverage.Coverage())
        into.visited += part.visited
        into.total += part.total
    totals = coverage.total(by_building.values())
    secretary_of = [p.community_id for p in person.active_posts(today) if p.role == Role.SECRETARY]
    schedule = None
    if secretary_of:
        from tasks.visits import defaults

        schedule = coverage.schedule_of(secretary_of[0], defaults())
    return render(
        "visits/coverage.html",
        None,
        title=title,
        subject=subject,
        totals=totals,
        grids=grids,
        by_grid=by_grid,
        buildings=buildings,
        by_building=by_building,
        trend=coverage.trend(scoped, today, households=totals.total),
        to_visit=coverage.to_visit(scoped, today, limit=100),
        today=today,
        args=request.args,
        code=visits.address_code,
        schedule=schedule,
        settings_error=request.args.get("settings_error"),
    )


def _export_headers() -> tuple[list[str], list[str], tuple[str, str]]:
    return (
        [_("Grid"), _("Building"), _("Compound"), _("Visited"), _("Households"), _("Percent")],
        [_("Compound"), _("Building"), _("Unit"), _("Room"), _("Contact")],
        (_("Coverage"), _("Still to visit")),
    )


@bp.get("/coverage.csv")
def coverage_csv() -> Response:
    area = _area()
    today = auth.today()
    scoped, _title, _subject = _scope(area)
    headers, household_headers, _titles = _export_headers()
    body = coverage.report_csv(coverage.report(scoped, today), headers, household_headers)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=coverage-{today:%Y-%m}.csv",
            "Cache-Control": "no-store",
        },
    )


@bp.get("/coverage.xlsx")
def coverage_xlsx() -> Response:
    area = _area()
    today = auth.today()
    scoped, _title, _subject = _scope(area)
    headers, household_headers, titles = _export_headers()
    body = coverage.report_xlsx(coverage.report(scoped, today), headers, household_headers, titles)
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=coverage-{today:%Y-%m}.xlsx",
            "Cache-Control": "no-store",
        },
    )


@bp.post("/coverage/settings")
def coverage_settings() -> Any:
    """The secretary sets the community's reminder days and hours."""
    person = auth.person_required()
    today = auth.today()
    communities = [p.community_id for p in person.active_posts(today) if p.role == Role.SECRETARY]
    if not communities:
        abort(404)
    try:
        coverage.save_schedule(communities[0], request.form)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return redirect(url_for("visits.coverage_page", settings_error=error.message))
    return redirect(url_for("visits.coverage_page"))


@bp.app_template_global()
def visit_summary() -> dict[str, Any] | None:
    """Return this month's coverage and open needs for the signed-in person's home page."""
    person = auth.current_person()
    if person is None:
        return None
    today = auth.today()
    area = visits.visit_area(person, today)
    if area.is_empty:
        return None
    return {
        "coverage": coverage.total(coverage.by(Building.id, area, today).values()),
        "open_needs": needs.figures(area, auth.now(), _month_start()),
        "decides": any(
            p.role in (Role.SECRETARY, Role.GRID_LEADER) for p in person.active_posts(today)
        ),
    }


@bp.route("/needs/mine", methods=["GET", "POST"])
def my_needs() -> Any:
    """A resident tells the community what they need, and sees every answer they got."""
    person = auth.person_required()
    residents = db.session.scalars(
        select(Resident).where(Resident.person_id == person.id).order_by(Resident.id)
    ).all()
    if not residents:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            needs.resident_need(
                residents[0],
                category=request.form.get("category", ""),
                text=request.form.get("text", ""),
                by=person,
                now=auth.now(),
            )
            db.session.commit()
            return redirect(url_for("visits.my_needs", sent=1))
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    mine = db.session.scalars(
        select(Need)
        .where(Need.resident_id.in_([r.id for r in residents]))
        .order_by(Need.created_at.desc())
        .limit(50)
    ).all()
    return render_template(
        "visits/my_needs.html",
        items=mine,
        error=error,
        form=request.form,
        categories=needs.CATEGORIES,
        decisions=needs.DECISIONS,
    ), (422 if error else 200)
