"""The audit trail: who did or saw what, on a page and exported."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _

from models import AuditEntry, db
from models.roles import Permission
from pwa import auth
from pwa.forms.roster import AuditFilterForm
from pwa.views.secretary.blueprint import bp, current_community
from services import audit_trail as trail

AUDIT_PAGE_SIZE = 50
AUDIT_FILTERS = ("person", "resident", "since", "until")


def _audit_filters() -> tuple[AuditFilterForm, str | None]:
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return form, form.first_error()
    return form, None


def _audit_headers() -> list[str]:
    return [
        _("When"),
        _("Who"),
        _("Role"),
        _("Post"),
        _("Did"),
        _("Record"),
        _("Records"),
        _("Detail"),
    ]


@bp.get("/audit")
@auth.permission_required(Permission.SEE_AUDIT)
def audit_trail() -> Any:
    community = current_community()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    form, error = _audit_filters()
    entries: list[AuditEntry] = []
    if error is None:
        entries = list(
            db.session.scalars(
                trail.matching(community.id, form.filters())
                .offset((page - 1) * AUDIT_PAGE_SIZE)
                .limit(AUDIT_PAGE_SIZE + 1)
            )
        )
    # The filters as typed, for the paging and export links.
    args = {
        k: v for k, v in request.args.items() if k in ("person", "resident", "since", "until") and v
    }
    return render_template(
        "secretary/audit.html",
        community=community,
        entries=entries[:AUDIT_PAGE_SIZE],
        has_more=len(entries) > AUDIT_PAGE_SIZE,
        page=page,
        form=form,
        error=error,
        args=args,
    ), (422 if error else 200)


def _audit_export(kind: str) -> Any:
    community = current_community()
    form, error = _audit_filters()
    if error is not None:
        return audit_trail()
    entries = list(
        db.session.scalars(trail.matching(community.id, form.filters()).limit(trail.EXPORT_LIMIT))
    )
    day = auth.today()
    if kind == "csv":
        body = trail.export_csv(entries, _audit_headers())
        mimetype = "text/csv"
    else:
        body = trail.export_xlsx(entries, _audit_headers(), _("Audit trail"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename=audit-{community.code}-{day}.{kind}",
            "Cache-Control": "no-store",
        },
    )


@bp.get("/audit.csv")
@auth.permission_required(Permission.SEE_AUDIT)
def audit_csv() -> Any:
    return _audit_export("csv")


@bp.get("/audit.xlsx")
@auth.permission_required(Permission.SEE_AUDIT)
def audit_xlsx() -> Any:
    return _audit_export("xlsx")
