"""Mediation (矛盾调解): the cases list, a new case, a case's page and its steps.

Only the grid's mediators, its grid leader and the community's secretary see a case
(services/mediation/queries.reach_of); anyone else gets 404, as for a case that does not
exist. Every page that shows a case or a party is a read in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from models import MediationCase, MediationSession, Permission
from pwa import audit_reads, auth
from pwa.forms.mediation import CaseForm, OutcomeForm, PartyForm, SessionForm, parties_of
from pwa.rendering import render
from pwa.steps import run_step
from services.errors import NotFound
from services.mediation import operations, queries
from services.mediation.queries import Reach

bp = Blueprint("mediation", __name__)
bp.before_request(auth.require_signed_in)


@bp.app_context_processor
def _menu() -> dict[str, Any]:
    def sees_mediation() -> bool:
        person = auth.current_person()
        return person is not None and not queries.reach_of(person, auth.today()).is_empty

    return {"sees_mediation": sees_mediation}


def _reach() -> Reach:
    reach = queries.reach_of(auth.person_required(), auth.today())
    if reach.is_empty:
        abort(404)
    return reach


def _case(reach: Reach, case_id: int) -> MediationCase:
    try:
        return queries.get_case(reach, case_id)
    except NotFound:
        abort(404)


def _note_case(case: MediationCase, detail: str) -> None:
    audit_reads.note(
        case.community_id,
        "mediation",
        subject_id=case.id,
        households=[p.household_id for p in case.parties],
        residents=[p.resident_id for p in case.parties if p.resident_id is not None],
        detail=detail,
    )


@bp.get("/mediation")
@auth.permission_required(Permission.SEE_MEDIATION)
def case_list() -> Any:
    reach = _reach()
    status = request.args.get("status", "open")
    if status not in queries.STATUSES:
        status = "open"
    cases = queries.list_cases(reach, status)
    rows = _party_rows(cases)
    if rows:
        audit_reads.items("mediation", rows, detail=f"mediation cases status={status}")
    else:
        # An empty list is a read too: who looked, and at what.
        for community_id in sorted(_communities(reach)):
            audit_reads.note(community_id, "mediation", detail=f"mediation cases status={status}")
    return render(
        "mediation/list.html",
        cases=cases,
        status=status,
        statuses=queries.STATUSES,
        counts=queries.counts(reach),
        categories=queries.CATEGORIES,
        outcomes=queries.OUTCOMES,
        party_name=queries.party_name,
        today=auth.today(),
    )


class _Row:
    """A party as audit_reads.items reads it (community, household, resident)."""

    def __init__(self, community_id: int, household_id: int, resident_id: int | None) -> None:
        self.community_id = community_id
        self.household_id = household_id
        self.resident_id = resident_id


def _party_rows(cases: list[MediationCase]) -> list[_Row]:
    return [_Row(c.community_id, p.household_id, p.resident_id) for c in cases for p in c.parties]


def _communities(reach: Reach) -> set[int]:
    return {g.community_id for g in queries.grids_of(reach)}


def _search(reach: Reach, q: str) -> dict[str, Any]:
    households, residents = queries.search_parties(reach, q)
    if q:
        audit_reads.listing(
            "mediation party search", households, residents, detail=f"mediation search q={q}"
        )
    return {"q": q, "found_households": households, "found_residents": residents}


@bp.route("/mediation/new", methods=["GET", "POST"])
@auth.permission_required(Permission.SEE_MEDIATION)
def new_case() -> Any:
    """Open a case: find the parties in the roster, then say what and how it came."""
    reach = _reach()
    person = auth.person_required()
    values = request.values
    chosen = parties_of(values.getlist("party"))
    # The parties already ticked stay ticked while searching again (a GET of the same form).
    picked = queries.households_in_reach(reach, [c.household_id for c in chosen])

    def page(error: str | None) -> Any:
        context = _search(reach, " ".join(str(values.get("q", "")).split())[:50])
        if picked:
            audit_reads.listing(
                "mediation party search", list(picked.values()), detail="mediation parties chosen"
            )
        return render_template(
            "mediation/new.html",
            error=error,
            form=values,
            chosen=[c for c in chosen if c.household_id in picked],
            picked=picked,
            categories=queries.CATEGORIES,
            sources=queries.SOURCES,
            **context,
        ), (422 if error else 200)

    if request.method == "GET" or request.form.get("find"):
        # Finding parties posts the form (its text stays out of addresses and logs), saves nothing.
        return page(None)
    form = CaseForm()
    return run_step(
        lambda: operations.open_case(
            reach,
            by=person,
            parties=chosen,
            category=form.category.data or "",
            source=form.source.data or "",
            summary=form.summary.data or "",
            now=auth.now(),
        ),
        refused=page,
        done=_opened,
        form=form,
    )


def _opened(case: MediationCase) -> Any:
    flash(_("Case %(ref)s opened.", ref=case.ref))
    return redirect(url_for("mediation.detail", case_id=case.id))


def _detail_page(reach: Reach, case: MediationCase, error: str | None = None) -> Any:
    q = " ".join(str(request.values.get("q", "")).split())[:50]
    context = _search(reach, q) if case.status == "open" else {"q": ""}
    _note_case(case, "mediation case")
    response = render(
        "mediation/detail.html",
        case=case,
        error=error,
        form=request.form,
        categories=queries.CATEGORIES,
        sources=queries.SOURCES,
        outcomes=queries.OUTCOMES,
        kinds=queries.SESSION_KINDS,
        actions=queries.EVENT_ACTIONS,
        party_name=queries.party_name,
        today=auth.today(),
        **context,
    )
    if error:
        response.status_code = 422
    return response


@bp.get("/mediation/<int:case_id>")
@auth.permission_required(Permission.SEE_MEDIATION)
def detail(case_id: int) -> Any:
    reach = _reach()
    return _detail_page(reach, _case(reach, case_id))


def _step(case_id: int, step: Any, form: Any, said: str) -> Any:
    reach = _reach()
    case = _case(reach, case_id)

    def refused(message: str) -> Any:
        return _detail_page(reach, _case(reach, case_id), message)

    def done(_result: Any) -> Any:
        flash(said)
        return redirect(url_for("mediation.detail", case_id=case_id))

    return run_step(lambda: step(reach, case), refused=refused, done=done, form=form)


def _session_step(case_id: int, record: Callable[..., MediationSession], said: str) -> Any:
    """A session or the follow-up visit: one form (day, who came, notes), each its own rule."""
    form = SessionForm()
    return _step(
        case_id,
        lambda reach, case: record(
            reach,
            case,
            by=auth.person_required(),
            held_on=form.day(),
            attendees=form.attendees.data or "",
            notes=form.notes.data or "",
            today=auth.today(),
            now=auth.now(),
        ),
        form,
        said,
    )


@bp.post("/mediation/<int:case_id>/parties")
@auth.permission_required(Permission.SEE_MEDIATION)
def add_party(case_id: int) -> Any:
    if request.form.get("find"):
        reach = _reach()
        return _detail_page(reach, _case(reach, case_id))
    form = PartyForm()
    return _step(
        case_id,
        lambda reach, case: operations.add_party(
            reach, case, form.choice(), by=auth.person_required(), now=auth.now()
        ),
        form,
        _("Party added."),
    )


@bp.post("/mediation/<int:case_id>/sessions")
@auth.permission_required(Permission.SEE_MEDIATION)
def add_session(case_id: int) -> Any:
    return _session_step(case_id, operations.record_session, _("Session recorded."))


@bp.post("/mediation/<int:case_id>/outcome")
@auth.permission_required(Permission.SEE_MEDIATION)
def conclude(case_id: int) -> Any:
    form = OutcomeForm()
    return _step(
        case_id,
        lambda reach, case: operations.conclude(
            reach,
            case,
            by=auth.person_required(),
            outcome=form.outcome.data or "",
            agreement=form.agreement.data or "",
            today=auth.today(),
            now=auth.now(),
        ),
        form,
        _("Outcome recorded: the parties with a phone are asked whether it is settled."),
    )


@bp.post("/mediation/<int:case_id>/follow-up")
@auth.permission_required(Permission.SEE_MEDIATION)
def follow_up(case_id: int) -> Any:
    return _session_step(case_id, operations.record_follow_up, _("Follow-up visit recorded."))
