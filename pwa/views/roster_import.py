"""The secretary's roster import: upload a sheet, read the row-by-row report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from models import Community, db
from pwa import auth
from pwa.views.secretary import _community
from services.errors import DomainError
from services.roster import importing as roster_import

bp = Blueprint("roster_import", __name__, url_prefix="/secretary/roster")
bp.before_request(auth.require_staff)


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
        outcome_labels=roster_import.outcome_labels(),
        field_labels=roster_import.field_labels(),
    ), status


@bp.get("/import")
def import_form() -> Any:
    return _page(_community())


@bp.post("/import")
def import_sheet() -> Any:
    community = _community()
    upload = request.files.get("sheet")
    if upload is None or not upload.filename:
        return _page(community, error=_("Please choose a sheet to upload."), status=422)
    data = upload.read()
    if not data:
        return _page(community, error=_("The file is empty."), status=422)
    try:
        report = roster_import.import_roster(
            community, upload.filename, data, by=auth.person_required(), today=auth.today()
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _page(community, error=error.message, status=422)
    except IntegrityError:
        # Another import or edit added the same household or resident a moment ago.
        db.session.rollback()
        message = _(
            "The roster changed while this sheet was being imported. Nothing was saved: "
            "please import the sheet again."
        )
        return _page(community, error=message, status=409)
    return _page(community, report=report)


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/template.csv")
def template_csv() -> Response:
    return _download(roster_import.template_csv(), "roster-template.csv", "text/csv")


@bp.get("/template.xlsx")
def template_xlsx() -> Response:
    return _download(
        roster_import.template_xlsx(),
        "roster-template.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
