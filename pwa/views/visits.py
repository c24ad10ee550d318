"""Visits and coverage: pages for heads, N members, grid leaders and staff."""

from __future__ import annotations

import uuid
from datetime import date
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
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from models import Building, Grid, Household, Visit, db
from models.roles import Permission, Role
from pwa import audit_reads, auth, figures_cache, paging
from pwa.forms.visits import ScheduleForm, VisitForm
from pwa.offline_round import round_id
from pwa.rendering import render
from pwa.steps import run_step
from pwa.views import needs as need_views
from services.errors import DomainError, NotFound
from services.needs import queries as need_queries
from services.roster import areas
from services.roster.areas import Area
from services.visits import coverage, queries, reminders
from services.visits import operations as visits
from tasks.visits import defaults as reminder_defaults

bp = Blueprint("visits", __name__)
bp.before_request(auth.require_signed_in)

# Above this many households the form asks for the household from the list, not a menu.
FORM_CHOICES_LIMIT = 400
# The offline round keeps at most this many households' pages on the phone (unvisited first):
# a building head's whole building (the demo's: 30 households, 62 pages, 0.4 MB before
# compression, 0.6 s), the first part of a grid leader's list; about 9 ms and 6.5 kB a page.
ROUND_LIMIT = 60


def _area(permission: Permission = Permission.LOG_VISITS) -> Area:
    """Return the area where the signed-in person has the permission; none gets 404."""
    area = queries.visit_area(auth.person_required(), auth.today(), permission)
    if area.is_empty:
        abort(404)
    return area


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


@bp.get("/visits")
@auth.permission_required(Permission.LOG_VISITS)
def my_households() -> Any:
    """The visitor's households: not yet visited this month first, found by room."""
    area = _area()
    q = request.args.get("q", "").strip()[:20]
    number = paging.page_number()
    more = paging.wants_more_rows()
    context = _list_context(area, auth.today(), q, number, figures=not more)
    audit_reads.household_rows(
        "visit list", [r.id for r in context["rows"]], detail=f"visits q={q} page={number}"
    )
    return render(
        "visits/households.html", "household_rows" if more else "household_list", **context
    )


def _list_context(
    area: Area, today: date, q: str = "", number: int = 1, *, figures: bool = True
) -> dict[str, Any]:
    """The list of households to visit, a page of it (and, unless only rows are wanted, the
    area's figures); the offline round renders its first page the same way."""
    # Plain rows, the same for everyone with this area until anything is recorded.
    rows, total = figures_cache.kept(
        "households to visit",
        (area, today, q, number),
        lambda: queries.my_households(
            area, today, q=q, limit=paging.PAGE_SIZE, offset=(number - 1) * paging.PAGE_SIZE
        ),
    )
    page = paging.Page(number, paging.PAGE_SIZE, total)
    with_history = auth.may(Permission.SEE_VISIT_NOTES)
    rows_html = figures_cache.kept(
        "households to visit, rendered",
        (area, today, q, number, with_history, str(get_locale())),
        lambda: Markup(
            render_template(
                "visits/_household_rows.html",
                rows=rows,
                with_history=with_history,
            )
        ),
    )
    shown: coverage.Coverage | None
    if not figures:
        shown = None  # only the next rows are sent
    elif not q and number == 1 and len(rows) == total:  # all of the area is on the page
        shown = coverage.Coverage(sum(r.visited_this_month for r in rows), total)
    else:
        shown = _coverage_total(area, today)
    return {
        "rows": rows,
        "rows_html": rows_html,
        "total": total,
        "page": page,
        "q": q,
        "figures": shown,
        "today": today,
        "code": queries.address_code,
    }


def _coverage_total(area: Area, today: date) -> coverage.Coverage:
    return figures_cache.kept(
        "coverage total",
        (area, today),
        lambda: coverage.total(coverage.by(Building.id, area, today).values()),
    )


@bp.app_context_processor
def _offline_round() -> dict[str, Any]:
    person = auth.current_person()
    return {"offline_round": round_id(person, auth.today()) if person is not None else ""}


@bp.get("/visits/round")
@auth.permission_required(Permission.LOG_VISITS)
def offline_round() -> Any:
    """The visiting round's pages, for the phone to keep and open without a network.

    One answer holds the list, the form, and each household's form and visit history (as the
    person may see them), rendered as the pages themselves are; the page script puts them in
    the cache the service worker falls back to. One read is audited for all of them.
    """
    area = _area()
    person = auth.person_required()
    today = auth.today()
    rows, _total = queries.my_households(area, today, limit=ROUND_LIMIT)
    households = queries.households_with_residents(area, [r.id for r in rows])
    notes = queries.visit_area(person, today, Permission.SEE_VISIT_NOTES)
    with_notes = queries.household_ids_in(notes, [h.id for h in households])
    pages = {
        url_for("visits.my_households"): render_template(
            "visits/households.html", **_list_context(area, today)
        ),
        url_for("visits.log_form"): render_template(
            "visits/log.html", form=None, error=None, **_form_context(area, None)
        ),
    }
    for found in households:
        pages[url_for("visits.log_form", household=found.id)] = render_template(
            "visits/log.html", form=None, error=None, **_form_context(area, found, audit=False)
        )
        if found.id in with_notes:
            pages[url_for("visits.household", household_id=found.id)] = render_template(
                "visits/household.html",
                household=found,
                history=queries.recent_visits(found.id),
                code=queries.address_code,
            )
    audit_reads.listing("offline round", households, detail="visits round")
    response = jsonify({"round": round_id(person, today), "pages": pages})
    response.headers["Cache-Control"] = "no-store"
    return response


def _form_context(area: Area, household: Household | None, *, audit: bool = True) -> dict[str, Any]:
    choices: list[Household] = []
    if household is None:
        choices = queries.households_to_choose(area, FORM_CHOICES_LIMIT + 1)
        if audit:
            audit_reads.household_rows(
                "visit form", [h.id for h in choices[:FORM_CHOICES_LIMIT]], detail="visit form"
            )
    elif audit:
        audit_reads.household(household, detail="visit form")
    return {
        "household": household,
        "choices": choices[:FORM_CHOICES_LIMIT],
        "too_many": len(choices) > FORM_CHOICES_LIMIT,
        "categories": need_queries.CATEGORIES,
        "today": auth.today(),
        "key": uuid.uuid4().hex,
        "code": queries.address_code,
    }


@bp.get("/visits/log")
@auth.permission_required(Permission.LOG_VISITS)
def log_form() -> Any:
    area = _area()
    household = None
    if request.args.get("household"):
        try:
            household = queries.household_in_area(area, int(request.args["household"]))
        except (ValueError, NotFound):
            abort(404)
    return render_template(
        "visits/log.html", form=None, error=None, **_form_context(area, household)
    )


@bp.post("/visits")
@auth.permission_required(Permission.LOG_VISITS)
def log_visit() -> Any:
    """Save a visit from the form or from the offline queue (JSON); the same key saves once."""
    area = _area()
    person = auth.person_required()
    today = auth.today()
    status = 422
    form: VisitForm | None = None
    if not request.is_json:
        form = VisitForm(today=today)
    else:
        payload = request.get_json(silent=True)
        if isinstance(payload, dict):
            form = VisitForm(formdata=VisitForm.from_json(payload), today=today)

    def step() -> tuple[Visit, bool]:
        nonlocal status
        if form is None:
            raise DomainError(_("The visit could not be read; try again."))
        try:
            return visits.log_visit(
                form.to_input(), by=person, area=area, today=today, now=auth.now()
            )
        except NotFound:
            status = 404
            raise

    def refused(message: str) -> Any:
        if _wants_json():
            return jsonify({"ok": False, "error": message}), status
        household = None
        household_id = form.household() if form is not None else None
        if household_id is not None:
            try:
                household = queries.household_in_area(area, household_id)
            except NotFound:
                household = None
        context = _form_context(area, household)
        context["key"] = request.form.get("key") or context["key"]
        return render_template(
            "visits/log.html", form=request.form, error=message, **context
        ), status

    def done(saved: tuple[Visit, bool]) -> Any:
        visit, new = saved
        if _wants_json():
            return jsonify({"ok": True, "visit_id": visit.id, "new": new}), 201 if new else 200
        return redirect(url_for("visits.my_households", saved=visit.household_id))

    return run_step(step, refused=refused, done=done, form=form)


@bp.get("/visits/households/<int:household_id>")
@auth.permission_required(Permission.SEE_VISIT_NOTES)
def household(household_id: int) -> Any:
    area = _area(Permission.SEE_VISIT_NOTES)
    try:
        found = queries.household_in_area(area, household_id)
    except NotFound:
        abort(404)
    audit_reads.household(found, detail="visit history")
    return render_template(
        "visits/household.html",
        household=found,
        history=queries.recent_visits(found.id),
        code=queries.address_code,
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


def _filter(page: str) -> str:
    """The list and its filter, as the audit trail names it: "coverage grid=3"."""
    parts = [
        f"{key}={request.args[key]}"[:40] for key in ("grid", "building") if key in request.args
    ]
    return " ".join([page, *parts])


@bp.get("/coverage")
@auth.permission_required(Permission.SEE_COVERAGE)
def coverage_page() -> Any:
    area = _area(Permission.SEE_COVERAGE)
    today = auth.today()
    scoped, title, subject = _scope(area)
    person = auth.person_required()
    totals, to_visit, body_html = figures_cache.kept(
        "coverage page", (scoped, today, str(get_locale())), lambda: _coverage_body(scoped, today)
    )
    audit_reads.household_rows("coverage", [r.id for r in to_visit], detail=_filter("coverage"))
    secretary_of = [p.community_id for p in person.active_posts(today) if p.role == Role.SECRETARY]
    schedule = None
    if secretary_of:
        schedule = reminders.schedule_of(secretary_of[0], reminder_defaults())
    return render(
        "visits/coverage.html",
        None,
        title=title,
        subject=subject,
        totals=totals,
        body_html=body_html,
        args=request.args,
        schedule=schedule,
        settings_error=request.args.get("settings_error"),
    )


def _coverage_body(
    scoped: Area, today: date
) -> tuple[coverage.Coverage, list[queries.HouseholdRow], Markup]:
    """The coverage page's figures, its households still to visit, and its trend and tables
    rendered: the same for everyone who sees this area (the caller keeps them)."""
    grids = db.session.scalars(
        select(Grid)
        .where(Grid.id.in_(select(Building.grid_id).where(scoped.building_clause())))
        .order_by(Grid.community_id, Grid.number)
    ).all()
    by_building = figures_cache.kept(
        "coverage by building", (scoped, today), lambda: coverage.by(Building.id, scoped, today)
    )
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
    to_visit = figures_cache.kept(
        "still to visit", (scoped, today), lambda: coverage.to_visit(scoped, today, limit=100)
    )
    html = render_template(
        "visits/_coverage_body.html",
        totals=totals,
        grids=grids,
        by_grid=by_grid,
        buildings=buildings,
        by_building=by_building,
        trend=figures_cache.kept(
            "coverage trend",
            (scoped, today, totals.total),
            lambda: coverage.trend(scoped, today, households=totals.total),
        ),
        to_visit=to_visit,
        code=queries.address_code,
    )
    return totals, to_visit, Markup(html)


def _export_headers() -> tuple[list[str], list[str], tuple[str, str]]:
    return (
        [_("Grid"), _("Building"), _("Compound"), _("Visited"), _("Households"), _("Percent")],
        [_("Compound"), _("Building"), _("Unit"), _("Room"), _("Contact")],
        (_("Coverage"), _("Still to visit")),
    )


@bp.get("/coverage.csv")
@auth.permission_required(Permission.EXPORT)
def coverage_csv() -> Response:
    area = _area(Permission.EXPORT)
    today = auth.today()
    scoped, _title, _subject = _scope(area)
    headers, household_headers, _titles = _export_headers()
    data = coverage.report(scoped, today)
    audit_reads.household_rows(
        "coverage export", [r.id for r in data.to_visit], detail=_filter("coverage.csv")
    )
    body = coverage.report_csv(data, headers, household_headers)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=coverage-{today:%Y-%m}.csv",
            "Cache-Control": "no-store",
        },
    )


@bp.get("/coverage.xlsx")
@auth.permission_required(Permission.EXPORT)
def coverage_xlsx() -> Response:
    area = _area(Permission.EXPORT)
    today = auth.today()
    scoped, _title, _subject = _scope(area)
    headers, household_headers, titles = _export_headers()
    data = coverage.report(scoped, today)
    audit_reads.household_rows(
        "coverage export", [r.id for r in data.to_visit], detail=_filter("coverage.xlsx")
    )
    body = coverage.report_xlsx(data, headers, household_headers, titles)
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=coverage-{today:%Y-%m}.xlsx",
            "Cache-Control": "no-store",
        },
    )


@bp.post("/coverage/settings")
@auth.permission_required(Permission.MANAGE_ROSTER)
def coverage_settings() -> Any:
    """The secretary sets the community's reminder days and hours."""
    person = auth.person_required()
    today = auth.today()
    communities = [p.community_id for p in person.active_posts(today) if p.role == Role.SECRETARY]
    if not communities:
        abort(404)
    form = ScheduleForm()
    return run_step(
        lambda: reminders.save_schedule(communities[0], form.schedule()),
        refused=lambda message: redirect(url_for("visits.coverage_page", settings_error=message)),
        done=lambda _row: redirect(url_for("visits.coverage_page")),
        form=form,
    )


@bp.app_template_global()
def visit_summary() -> dict[str, Any] | None:
    """Return this month's coverage and open needs for the signed-in person's home page."""
    person = auth.current_person()
    if person is None:
        return None
    today = auth.today()
    area = queries.visit_area(person, today)
    if area.is_empty:
        return None
    now = auth.now()
    return {
        "coverage": _coverage_total(area, today),
        "open_needs": need_views.need_figures(area, now),
        "decides": any(
            p.role in (Role.SECRETARY, Role.GRID_LEADER) for p in person.active_posts(today)
        ),
    }
