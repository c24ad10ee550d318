"""Patrols: everyone's shifts (/patrols), the grid leader's routes and findings
(/patrols/manage), and the month's patrol log per grid (/patrols/log)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    Grid,
    PartnerUnit,
    PatrolFinding,
    PatrolRoute,
    PatrolSchedule,
    PatrolShift,
    PatrolSignup,
    Photo,
    db,
)
from models.clock import month_start
from pwa import auth, rendering
from pwa.forms.patrols import FindingForm, RouteForm, ScheduleForm, TakeUpForm
from pwa.rendering import render
from pwa.steps import run_step
from services.errors import DomainError, NotFound
from services.needs.queries import CATEGORIES
from services.patrols import operations, queries
from services.patrols.operations import SIGN_UP_ANSWERS, SignUpOutcome
from services.photos import save_photo

bp = Blueprint("patrols", __name__, url_prefix="/patrols")
bp.before_request(auth.require_signed_in)


def _mine(message: str = "", error: str = "", status: int = 200) -> Any:
    person = auth.person_required()
    today = auth.today()
    now = auth.now()
    shifts = queries.upcoming_for(person, today, now)
    held = {
        s.id: x
        for s in shifts
        for x in s.signups
        if x.person_id == person.id and x.withdrawn_at is None
    }
    response = render(
        "patrols/mine.html",
        shifts=shifts,
        held=held,
        when=queries.when_text,
        manages=bool(queries.managed_grid_ids(person, today)),
        message=message,
        error=error,
    )
    response.status_code = status
    return response


@bp.get("")
def mine() -> Any:
    return _mine()


def _shift_for_me(shift_id: int) -> Any:
    person = auth.person_required()
    try:
        shift = queries.get_shift(shift_id)
    except NotFound:
        abort(404)
    if not queries.may_patrol(person, shift.route, auth.today()) and (
        queries.signup_of(shift, person) is None
    ):
        abort(404)
    return shift


def _signup(shift: Any) -> PatrolSignup:
    found = queries.signup_of(shift, auth.person_required())
    if found is None or found.withdrawn_at is not None:
        raise DomainError(_("You have not signed up for this shift."))
    return found


@bp.post("/shifts/<int:shift_id>/<any(sign_up, withdraw, start, finish, finding):action>")
def act(shift_id: int, action: str) -> Any:
    shift = _shift_for_me(shift_id)
    person = auth.person_required()
    now = auth.now()

    def refused(message: str) -> Any:
        return _mine(error=message, status=422)

    if action == "sign_up":
        result = operations.sign_up(shift, by=person, via="app", now=now, today=auth.today())
        if result.outcome != SignUpOutcome.SIGNED_UP:
            db.session.rollback()
            return _mine(error=str(SIGN_UP_ANSWERS[result.outcome]), status=409)
        db.session.commit()
        return _mine(_("You signed up for %(when)s.", when=queries.when_text(shift)))
    if action == "withdraw":
        return run_step(
            lambda: operations.withdraw(shift, by=person, via="app", now=now),
            refused=refused,
            done=lambda _s: _mine(_("You withdrew; your place is open again.")),
        )
    if action == "start":
        return run_step(
            lambda: operations.start(_signup(shift), via="app", now=now),
            refused=refused,
            done=lambda _s: _mine(_("Noted: your patrol has begun.")),
        )
    form = FindingForm()
    if action == "finish":
        return run_step(
            lambda: operations.finish(
                _signup(shift), via="app", now=now, report=form.text.data or _("All well")
            ),
            form=form,
            refused=refused,
            done=lambda _s: _mine(_("Noted: your patrol is finished. Thank you!")),
        )

    def finding_step() -> PatrolFinding:
        signup = _signup(shift)
        if not form.text.data:
            raise DomainError(_("Say what was found."))
        upload = form.photo.data
        photo_id = (
            save_photo(upload, by=person).id if upload is not None and upload.filename else None
        )
        return operations.report_finding(
            signup, text=form.text.data, via="app", now=now, photo_id=photo_id
        )

    return run_step(
        finding_step,
        form=form,
        refused=refused,
        done=lambda f: _mine(
            _("Finding %(ref)s noted; the grid leader will take it up.", ref=f.ref)
        ),
    )


# -- the grid leader's page -------------------------------------------------------------------


def _managed() -> set[int]:
    grids = queries.managed_grid_ids(auth.person_required(), auth.today())
    if not grids:
        abort(404)
    return grids


def _manage(
    error: str = "",
    status: int = 200,
    form: Any = None,
    schedule_form: Any = None,
    schedule_route: int | None = None,
) -> Any:
    grids_ids = _managed()
    grids = db.session.scalars(
        select(Grid).where(Grid.id.in_(grids_ids)).order_by(Grid.community_id, Grid.number)
    ).all()
    communities = {g.community_id for g in grids}
    units = db.session.scalars(
        select(PartnerUnit)
        .where(PartnerUnit.community_id.in_(communities), PartnerUnit.taking_part())
        .order_by(PartnerUnit.name)
    ).all()
    findings = db.session.scalars(
        select(PatrolFinding)
        .join(PatrolShift, PatrolShift.id == PatrolFinding.shift_id)
        .where(PatrolShift.grid_id.in_(grids_ids))
        .order_by(PatrolFinding.at.desc())
        .limit(30)
    ).all()
    response = render(
        "patrols/manage.html",
        grids=grids,
        routes=queries.routes_of(grids_ids),
        units=units,
        findings=findings,
        categories=CATEGORIES,
        schedule_text=operations.schedule_text,
        when=queries.when_text,
        error=error,
        form=form,
        schedule_form=schedule_form,
        schedule_route=schedule_route,
        this_month=month_start(auth.today()).strftime("%Y-%m"),
    )
    response.status_code = status
    return response


@bp.get("/manage")
def manage() -> Any:
    return _manage()


@bp.post("/routes")
def add_route() -> Any:
    grids = _managed()
    form = RouteForm()

    def step() -> PatrolRoute:
        try:
            grid_id = int(form.grid.data or "")
        except ValueError:
            raise DomainError(_("Choose the grid the route is in.")) from None
        if grid_id not in grids:
            raise DomainError(_("Choose the grid the route is in."))
        grid = db.session.get(Grid, grid_id)
        assert grid is not None
        return operations.add_route(
            grid,
            name=form.name.data,
            covers=form.covers.data,
            partner_unit_ids=form.partner_units.data or (),
            by=auth.person_required(),
            now=auth.now(),
        )

    def done(route: PatrolRoute) -> Any:
        flash(_("Route %(name)s added.", name=route.name))
        return redirect(url_for("patrols.manage"))

    return run_step(step, form=form, refused=lambda m: _manage(m, 422, form), done=done)


@bp.post("/routes/<int:route_id>/schedules")
def add_schedule(route_id: int) -> Any:
    grids = _managed()
    route = db.session.get(PatrolRoute, route_id)
    if route is None or route.grid_id not in grids:
        abort(404)
    form = ScheduleForm()

    def done(schedule: Any) -> Any:
        flash(_("Shifts %(when)s added.", when=operations.schedule_text(schedule)))
        return redirect(url_for("patrols.manage"))

    return run_step(
        lambda: operations.add_schedule(
            route,
            weekdays=form.weekdays.data or (),
            starts=form.starts.data,
            ends=form.ends.data,
            places_needed=form.places_needed.data,
            by=auth.person_required(),
            now=auth.now(),
        ),
        form=form,
        refused=lambda m: _manage(m, 422, schedule_form=form, schedule_route=route.id),
        done=done,
    )


@bp.post("/schedules/<int:schedule_id>/end")
def end_schedule(schedule_id: int) -> Any:
    grids = _managed()
    schedule = db.session.get(PatrolSchedule, schedule_id)
    if schedule is None or schedule.route.grid_id not in grids:
        abort(404)

    def done(cancelled: int) -> Any:
        flash(_("Shifts stopped; %(n)d coming shifts nobody held were called off.", n=cancelled))
        return redirect(url_for("patrols.manage"))

    return run_step(
        lambda: operations.end_schedule(schedule, by=auth.person_required(), now=auth.now()),
        refused=lambda m: _manage(m, 422),
        done=done,
    )


@bp.post("/findings/<int:finding_id>/<any(need, work_order):what>")
def take_up(finding_id: int, what: str) -> Any:
    _managed()
    person = auth.person_required()
    try:
        finding = queries.get_managed_finding(person, finding_id, auth.today())
    except NotFound:
        abort(404)
    form = TakeUpForm()

    def step() -> str:
        category = form.category.data or "safety"
        if what == "need":
            return str(
                operations.to_need(finding, by=person, category=category, now=auth.now()).ref
            )
        return operations.to_order(
            finding, by=person, category=category, today=auth.today(), now=auth.now()
        )

    def done(ref: str) -> Any:
        flash(_("Finding %(finding)s became %(ref)s.", finding=finding.ref, ref=ref))
        return redirect(url_for("patrols.manage"))

    return run_step(step, form=form, refused=lambda m: _manage(m, 422), done=done)


@bp.get("/findings/<int:finding_id>/photo")
def finding_photo(finding_id: int) -> Any:
    person = auth.person_required()
    finding = db.session.get(PatrolFinding, finding_id)
    if finding is None or finding.photo_id is None:
        abort(404)
    if finding.person_id != person.id and finding.shift.grid_id not in queries.managed_grid_ids(
        person, auth.today()
    ):
        abort(404)
    photo = db.session.get(Photo, finding.photo_id)
    if photo is None:
        abort(404)
    return rendering.photo(photo)


@bp.get("/log")
def log() -> Any:
    grids = _managed()
    try:
        grid_id = int(request.args.get("grid", "") or min(grids))
        raw = request.args.get("month", "")
        month = date.fromisoformat(raw + "-01") if raw else month_start(auth.today())
    except ValueError:
        abort(404)
    if grid_id not in grids:
        abort(404)
    grid = db.session.get(Grid, grid_id)
    assert grid is not None
    return render(
        "patrols/log.html",
        log=queries.month_log(grid, month),
        grids=db.session.scalars(
            select(Grid).where(Grid.id.in_(grids)).order_by(Grid.number)
        ).all(),
        when=queries.when_text,
    )
