"""The secretary's roster import: upload a sheet, read the row-by-row report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template

from models import Community
from models.roles import Permission
from pwa import auth
from pwa.forms.roster import ImportForm
from pwa.steps import run_step
from pwa.views.secretary.blueprint import current_community
from services.roster import import_posts
from services.roster import importing as roster_import
from services.roster import template as roster_template

bp = Blueprint("roster_import", __name__, url_prefix="/secretary/roster")
bp.before_request(auth.require_staff)
bp.before_request(auth.require_permission(Permission.MANAGE_ROSTER))


def _page(
    community: Community,
    *,
    report: roster_import.ImportReport | None = None,
    error: str | None = None,
    status: int = 200,
) -> Any:
    return render_template(
        "secretary/import.html",
        community=community,
        report=report,
        error=error,
        columns=roster_import.COLUMNS,
        required=roster_import.REQUIRED,
        max_rows=roster_import.MAX_ROWS,
        Outcome=roster_import.Outcome,
        Sheet=roster_import.Sheet,
        outcome_labels=roster_import.outcome_labels(),
        sheet_labels=roster_import.sheet_labels(),
        post_columns=import_posts.POST_COLUMNS,
        partner_columns=import_posts.PARTNER_COLUMNS,
        field_labels=roster_import.field_labels(),
    ), status


@bp.get("/import")
def import_form() -> Any:
    return _page(current_community())


@bp.post("/import")
def import_sheet() -> Any:
    community = current_community()
    form = ImportForm()

    def refused(message: str) -> Any:
        # The roster changing under the import is a conflict, not bad input.
        status = 409 if message == roster_import.changed_message() else 422
        return _page(community, error=message, status=status)

    return run_step(
        lambda: roster_import.import_roster(
            community,
            form.sheet.data.filename,
            form.content,
            by=auth.person_required(),
            today=auth.today(),
            id_key=str(current_app.config["SECRET_KEY"]).encode(),
        ),
        refused=refused,
        done=lambda report: _page(community, report=report),
        form=form,
    )


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/template.csv")
def template_csv() -> Response:
    return _download(roster_template.template_csv(), "roster-template.csv", "text/csv")


@bp.get("/template.xlsx")
def template_xlsx() -> Response:
    return _download(
        roster_template.template_xlsx(),
        "roster-template.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
