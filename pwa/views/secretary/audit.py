"""The audit trail: who did or saw what, on a page and exported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _

from models import db
from models.roles import Permission
from pwa import auth, i18n, labels
from pwa.forms.roster import AuditFilterForm
from pwa.views.secretary.blueprint import bp, current_community
from services import audit
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


@dataclass(frozen=True)
class Row:
    """An entry as the page shows it: every label made in the view."""

    when: str
    who: str
    post: str
    did: str
    record: str
    records: str
    detail: str


def _rows(entries: Sequence[Any]) -> list[Row]:
    # 50 rows name the same few actions, subjects, roles and pages: each labelled once here.
    action = labels.for_page("audit_action")
    subject = labels.for_page("audit_subject")
    detail = labels.for_page("audit_detail")
    roles: dict[tuple[str, int], str] = {}
    kinds: dict[str, str] = {}
    out = []
    for e in entries:
        post = "—"
        if e.role:
            key = (e.role, e.community_id)
            if key not in roles:
                roles[key] = labels.role_label(e.role, e.community_id)
            post = roles[key]
        out.append(
            Row(
                when=i18n.local_time(e.at),
                who=e.actor_name or "—",
                post=f"{post} #{e.post_id}" if e.post_id else post,
                did=action(e.action),
                record=(
                    f"{subject(e.subject_type)} #{e.subject_id}"
                    if e.subject_id
                    else subject(e.subject_type)
                ),
                records=audit.records_label(e.records, 200, kinds),
                detail=detail(e.detail),
            )
        )
    return out


@bp.get("/audit")
@auth.permission_required(Permission.SEE_AUDIT)
def audit_trail() -> Any:
    community = current_community()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    form, error = _audit_filters()
    entries: list[Any] = []
    if error is None:
        entries = trail.page_rows(
            community.id,
            form.filters(),
            offset=(page - 1) * AUDIT_PAGE_SIZE,
            limit=AUDIT_PAGE_SIZE + 1,
        )
    # The filters as typed, for the paging and export links.
    args = {
        k: v for k, v in request.args.items() if k in ("person", "resident", "since", "until") and v
    }
    return render_template(
        "secretary/audit.html",
        community=community,
        entries=_rows(entries[:AUDIT_PAGE_SIZE]),
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
