"""双报到: the secretary's report-in pages (waiting list, decisions, each unit's quarter, the
poster). The public page the QR code opens is report_in_join, the liaison's report_in_liaison."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from models import Community, PartnerUnit, ReportIn, db, utcnow
from models.roles import Permission, Role
from pwa import audit_reads, auth
from pwa.forms.report_in import (
    DeclineForm,
    EvaluateForm,
    MemberForm,
    QuarterForm,
)
from pwa.rendering import render
from pwa.steps import run_step
from pwa.views.report_in_join import join_url, page
from services.errors import InvalidInput
from services.report_in import operations, queries
from services.report_in.quarters import Quarter
from services.report_in.records import kind_label
from services.report_in.report import Headings, unit_xlsx

bp = Blueprint("report_in", __name__, url_prefix="/report-in")
bp.before_request(auth.require_staff)


def _community() -> Community:
    ids = sorted(auth.current_area().community_ids)
    wanted = request.values.get("community", type=int)
    if wanted is not None:
        if wanted not in ids:
            abort(404)
        ids = [wanted]
    community = db.session.get(Community, ids[0]) if ids else None
    if community is None:
        abort(404)
    return community


def _is_secretary_of(community: Community) -> bool:
    return any(
        post.role == Role.SECRETARY and post.community_id == community.id
        for post in auth.person_required().active_posts(auth.today())
    )


def _secretary_only(community: Community) -> None:
    if not _is_secretary_of(community):
        abort(404)


def _quarter() -> Quarter:
    """The quarter the page asks for (?quarter=2026-3), else the one just ended."""
    return Quarter.parse(request.values.get("quarter")) or Quarter.of(auth.today()).previous


def _unit(community: Community, unit_id: int) -> PartnerUnit:
    unit = queries.get_unit(community.id, unit_id)
    if unit is None:
        abort(404)
    return unit


def _report(community: Community, report_id: int) -> ReportIn:
    report = queries.get_report(community.id, report_id)
    if report is None:
        abort(404)
    return report


def via_labels() -> dict[str, str]:
    return {
        "sms": _("by SMS"),
        "telegram": _("by Telegram"),
        "page": _("on the QR code page"),
        "liaison": _("entered by the unit's liaison"),
        "secretary": _("entered by the community"),
    }


def status_labels() -> dict[str, str]:
    return {"pending": _("Waiting"), "approved": _("Approved"), "declined": _("Declined")}


def _index_page(community: Community, error: str | None = None, status: int = 200) -> Any:
    pending = queries.pending(community.id)
    decided = queries.recent_decided(community.id)
    units = queries.units(community.id)
    audit_reads.note(community.id, "report_in", detail="report-in list")
    return page(
        "report_in/index.html",
        error,
        status,
        community=community,
        pending=pending,
        decided=decided,
        units=units,
        members={u.id: len(queries.members(u)) for u in units},
        join_url=join_url(community),
        secretary=_is_secretary_of(community),
        vias=via_labels(),
        statuses=status_labels(),
    )


@bp.get("")
@auth.permission_required(Permission.MANAGE_ROSTER)
def index() -> Any:
    return _index_page(_community())


@bp.post("/enter")
@auth.permission_required(Permission.MANAGE_ROSTER)
def enter() -> Any:
    """The community enters a member itself: approved at once (the secretary's own entry)."""
    community = _community()
    form = MemberForm()

    def step() -> ReportIn:
        unit = queries.chosen_unit(community.id, form.unit_id.data)
        by, now = auth.person_required(), utcnow()
        report = operations.report_member(
            community.id,
            unit,
            name=form.name.data,
            phone=form.phone.data,
            via="secretary",
            now=now,
            by=by,
        )
        if _is_secretary_of(community):
            operations.approve(report, by=by, now=now)
        return report

    def done(report: ReportIn) -> Any:
        if report.status == "approved":
            flash(
                _(
                    "%(name)s is now an in-service member of %(unit)s.",
                    name=report.name,
                    unit=report.partner_unit.name if report.partner_unit else "",
                )
            )
        else:
            flash(_("%(name)s waits for the secretary's approval.", name=report.name))
        return redirect(url_for("report_in.index", community=community.id))

    return run_step(step, refused=lambda m: _index_page(community, m, 422), done=done, form=form)


@bp.post("/<int:report_id>/approve")
@auth.permission_required(Permission.MANAGE_ROSTER)
def approve(report_id: int) -> Any:
    community = _community()
    _secretary_only(community)
    report = _report(community, report_id)

    def done(decided: ReportIn) -> Any:
        flash(_("Approved: %(name)s. They are told by SMS.", name=decided.name))
        return redirect(url_for("report_in.index", community=community.id))

    return run_step(
        lambda: operations.approve(report, by=auth.person_required(), now=utcnow()),
        refused=lambda m: _index_page(community, m, 422),
        done=done,
    )


@bp.post("/<int:report_id>/decline")
@auth.permission_required(Permission.MANAGE_ROSTER)
def decline(report_id: int) -> Any:
    community = _community()
    _secretary_only(community)
    report = _report(community, report_id)
    form = DeclineForm()

    def done(decided: ReportIn) -> Any:
        flash(_("Declined: %(name)s. They are told why by SMS.", name=decided.name))
        return redirect(url_for("report_in.index", community=community.id))

    return run_step(
        lambda: operations.decline(
            report, form.reason.data, by=auth.person_required(), now=utcnow()
        ),
        refused=lambda m: _index_page(community, m, 422),
        done=done,
        form=form,
    )


def _quarters(around: Quarter) -> list[Quarter]:
    """The last four quarters up to the current one, to choose from."""
    current = Quarter.of(auth.today())
    shown = [current]
    for _i in range(4):
        shown.append(shown[-1].previous)
    if around not in shown:
        shown.append(around)
    return shown


def _unit_page(
    community: Community, unit: PartnerUnit, error: str | None = None, status: int = 200
) -> Any:
    quarter = _quarter()
    service = queries.unit_service(unit, quarter)
    audit_reads.note(
        community.id,
        "partner_unit",
        subject_id=unit.id,
        detail=f"unit report quarter={quarter.code}",
    )
    return page(
        "report_in/unit.html",
        error,
        status,
        community=community,
        unit=unit,
        quarter=quarter,
        quarters=_quarters(quarter),
        service=service,
        row=queries.quarter_row(unit, quarter),
        secretary=_is_secretary_of(community),
        kind_label=kind_label,
    )


@bp.get("/units/<int:unit_id>")
@auth.permission_required(Permission.MANAGE_ROSTER)
def unit_page(unit_id: int) -> Any:
    community = _community()
    return _unit_page(community, _unit(community, unit_id))


def headings() -> Headings:
    return Headings(
        members_sheet=_("Members"),
        records_sheet=_("Service records"),
        summary_sheet=_("Summary"),
        members=(_("Name"), _("Mobile phone"), _("Times served"), _("Hours")),
        records=(_("Name"), _("Date"), _("What"), _("Code"), _("Title"), _("Hours")),
        summary=(
            _("Unit"),
            _("Quarter"),
            _("Members"),
            _("Members who served"),
            _("Times served"),
            _("Hours"),
            _("The unit's feedback"),
            _("Score (1–5)"),
            _("The community's comment"),
        ),
    )


@bp.get("/units/<int:unit_id>/report.xlsx")
@auth.permission_required(Permission.MANAGE_ROSTER)
def unit_report(unit_id: int) -> Any:
    community = _community()
    unit = _unit(community, unit_id)
    quarter = _quarter()
    service = queries.unit_service(unit, quarter)
    audit_reads.note(
        community.id,
        "partner_unit",
        subject_id=unit.id,
        detail=f"unit report.xlsx quarter={quarter.code}",
    )
    body = unit_xlsx(service, queries.quarter_row(unit, quarter), quarter.label(), headings())
    name = f"report-in-{unit.id}-{quarter.code}.xlsx"
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/units/<int:unit_id>/summary")
@auth.permission_required(Permission.MANAGE_ROSTER)
def send_summary(unit_id: int) -> Any:
    community = _community()
    unit = _unit(community, unit_id)
    form = QuarterForm()
    quarter = _quarter()

    def done(_row: Any) -> Any:
        flash(
            _("The summary of %(quarter)s is on its way to the liaison.", quarter=quarter.label())
        )
        return redirect(url_for("report_in.unit_page", unit_id=unit.id, quarter=quarter.code))

    return run_step(
        lambda: operations.send_summary(unit, quarter, now=utcnow()),
        refused=lambda m: _unit_page(community, unit, m, 422),
        done=done,
        form=form,
    )


def _score(raw: str) -> int:
    if not raw.strip().isdigit():
        raise InvalidInput(_("Give a score from 1 to 5."))
    return int(raw)


@bp.post("/units/<int:unit_id>/evaluate")
@auth.permission_required(Permission.MANAGE_ROSTER)
def evaluate(unit_id: int) -> Any:
    community = _community()
    _secretary_only(community)
    unit = _unit(community, unit_id)
    form = EvaluateForm()
    quarter = _quarter()

    def done(_row: Any) -> Any:
        flash(_("The evaluation of %(unit)s is saved.", unit=unit.name))
        return redirect(url_for("report_in.unit_page", unit_id=unit.id, quarter=quarter.code))

    return run_step(
        lambda: operations.evaluate(
            unit,
            quarter,
            _score(form.score.data),
            form.comment.data,
            by=auth.person_required(),
            now=utcnow(),
        ),
        refused=lambda m: _unit_page(community, unit, m, 422),
        done=done,
        form=form,
    )


@bp.get("/poster")
@auth.permission_required(Permission.MANAGE_ROSTER)
def poster() -> Any:
    community = _community()
    return render("report_in/poster.html", community=community, join_url=join_url(community))
