"""双报到's public page: the one a community's QR code opens (no account: a member or a unit
reporting in has none), and the QR code image itself."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import gettext as _

from models import Community, ReportIn, ReportKind, utcnow
from models.clock import today_of
from pwa.extensions import limiter
from pwa.forms.report_in import MemberForm, UnitForm
from pwa.rendering import render
from pwa.steps import run_step
from services import phones
from services.errors import InvalidInput
from services.report_in import operations, queries
from services.report_in.commands import join_link
from services.report_in.qr import join_qr_svg

join_bp = Blueprint("report_in_join", __name__, url_prefix="/join")

JOIN_LIMIT = "20/hour"
# The image changes only when the community's code or the public address does.
QR_MAX_AGE = 24 * 3600


def page(template: str, error: str | None, status: int, **context: Any) -> Response:
    """A report-in page (the three report-in modules' own): the helpers its templates share,
    what was typed (kept when refused), the error and the status."""
    response = render(
        template,
        hours=queries.hours_text,
        mask=phones.mask,
        day=today_of,
        error=error,
        form=request.form,
        **context,
    )
    response.status_code = status
    return response


def join_url(community: Community) -> str:
    """The address the QR code holds: PUBLIC_BASE_URL's when set, else this server's own (a
    phone's camera needs a whole address, never a path)."""
    link = join_link(community.code)
    if link.startswith(("http://", "https://")):
        return link
    return url_for("report_in_join.join", code=community.code, _external=True)


def _join_community(code: str) -> Community:
    community = queries.community_by_code(code)
    if community is None:
        abort(404)
    return community


def _join_page(community: Community, error: str | None = None, status: int = 200) -> Any:
    return page(
        "report_in/join.html",
        error,
        status,
        community=community,
        units=queries.units(community.id),
        done=request.args.get("done") if status == 200 else None,
    )


@join_bp.get("/<code>")
def join(code: str) -> Any:
    return _join_page(_join_community(code))


@join_bp.get("/<code>/qr.svg")
def qr(code: str) -> Any:
    """The community's QR code as an SVG image (made here: nothing is fetched)."""
    community = _join_community(code)
    response = Response(join_qr_svg(join_url(community)), mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = QR_MAX_AGE
    return response


@join_bp.post("/<code>")
@limiter.limit(JOIN_LIMIT, methods=["POST"])
def join_post(code: str) -> Any:
    community = _join_community(code)
    unit_report = request.form.get("kind") == ReportKind.UNIT
    form: MemberForm | UnitForm = UnitForm() if unit_report else MemberForm()

    def step() -> ReportIn:
        now = utcnow()
        if isinstance(form, UnitForm):
            return operations.report_unit(
                community.id,
                unit_name=form.unit_name.data,
                contact_name=form.name.data,
                contact_phone=form.phone.data,
                via="page",
                now=now,
            )
        unit = queries.chosen_unit(community.id, form.unit_id.data)
        if not form.name.data.strip():
            raise InvalidInput(_("Name is required."))
        return operations.report_member(
            community.id, unit, name=form.name.data, phone=form.phone.data, via="page", now=now
        )

    return run_step(
        step,
        refused=lambda m: _join_page(community, m, 422),
        done=lambda report: redirect(
            url_for("report_in_join.join", code=community.code, done=report.kind)
        ),
        form=form,
    )
