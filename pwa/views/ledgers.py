"""Ledgers (台账): a community's, a grid's or a post's records of a period, on the page, as
.xlsx and as a printable A4 page. Read-only: every row comes from the work recorded."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _

from pwa import audit_reads, auth
from pwa.rendering import render
from services.administration import queries as administration
from services.errors import DomainError, InvalidInput, NotFound
from services.ledgers import access, periods
from services.ledgers.access import Reach
from services.ledgers.export import title_of, xlsx_file
from services.ledgers.ledger import EXPORT_ROWS, Ledger, build
from services.ledgers.periods import Period
from services.ledgers.rows import Scope, Viewer

bp = Blueprint("ledgers", __name__, url_prefix="/ledgers")
bp.before_request(auth.require_signed_in)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reach() -> Reach:
    """Whose ledgers the signed-in person keeps; nobody else's page exists (404)."""
    person = auth.person_required()
    today = auth.today()
    administered = [c.id for c in administration.communities(person, today)]
    reach = access.reach_of(person, today, administered)
    if reach.is_empty:
        abort(404)
    return reach


def _number(name: str) -> int | None:
    raw = _picked(name)
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput(
            {
                "grid": _("That grid is not among the ledgers you may open."),
                "post": _("That post is not among the ledgers you may open."),
            }.get(name, _("Not found."))
        )
    return int(raw)


# The picker names a ledger in one field: "community:1", "grid:3" or "post:5".
PICKED = {"community", "grid", "post"}


def _picked(name: str) -> str:
    kind, _sep, value = (request.args.get("ledger") or "").partition(":")
    if kind in PICKED:
        return value.strip() if kind == name else ""
    return (request.args.get(name) or "").strip()


def _asked(reach: Reach) -> tuple[Scope, Period]:
    """The ledger and period the address asks for; NotFound for another community."""
    community = _picked("community")
    if community and not community.isdigit():
        raise NotFound(_("Not found."))
    scope = access.resolve(
        reach,
        community_id=int(community) if community else None,
        grid_id=_number("grid"),
        post_id=_number("post"),
    )
    return scope, periods.parse(request.args.get("period"), auth.today())


def _note_reads(scope: Scope, period: Period, viewer: Viewer, page: str) -> None:
    """A ledger showing residents' names or rooms is a read of personal data."""
    if not viewer.personal:
        return
    where = f" grid={scope.grid_id}" if scope.grid_id else ""
    where += f" post={scope.post_id}" if scope.post_id else ""
    audit_reads.note(scope.community_id, "ledger", detail=f"{page}{where} period={period.code}")


def _refused(reach: Reach, message: str) -> Any:
    """The picker again, with what was typed and what was wrong (nothing is lost)."""
    response = render(
        "ledgers/page.html",
        ledger=None,
        choices=access.choices(reach),
        periods=periods.choices(auth.today()),
        picked=request.args,
        error=message,
        title_of=title_of,
    )
    response.status_code = 422
    return response


def _ledger(reach: Reach, limit: int | None = None) -> tuple[Ledger, Viewer]:
    scope, period = _asked(reach)
    viewer = access.viewer_of(auth.person_required(), scope, auth.today())
    if limit is None:
        return build(scope, period, viewer), viewer
    return build(scope, period, viewer, limit=limit), viewer


def _args(ledger: Ledger) -> dict[str, Any]:
    scope = ledger.scope
    args: dict[str, Any] = {"period": ledger.period.code, "community": scope.community_id}
    if scope.post_id is not None:
        args["post"] = scope.post_id
    elif scope.grid_id is not None:
        args["grid"] = scope.grid_id
    return args


@bp.get("")
def ledger() -> Any:
    reach = _reach()
    try:
        found, viewer = _ledger(reach)
    except NotFound:
        abort(404)
    except DomainError as refused:
        return _refused(reach, refused.message)
    _note_reads(found.scope, found.period, viewer, "ledger")
    return render(
        "ledgers/page.html",
        ledger=found,
        choices=access.choices(reach),
        periods=periods.choices(auth.today()),
        picked=_args(found),
        args=_args(found),
        error=None,
        title_of=title_of,
    )


@bp.get("/ledger.xlsx")
def export() -> Any:
    reach = _reach()
    try:
        found, viewer = _ledger(reach, EXPORT_ROWS)
    except NotFound:
        abort(404)
    except DomainError as refused:
        return _refused(reach, refused.message)
    _note_reads(found.scope, found.period, viewer, "ledger.xlsx")
    name = f"ledger-{found.scope.community_id}-{found.period.code}.xlsx"
    # Streamed from a temporary file in chunks; closing the response deletes it.
    return send_file(xlsx_file(found), mimetype=XLSX, as_attachment=True, download_name=name)


@bp.get("/print")
def printable() -> Any:
    reach = _reach()
    try:
        found, viewer = _ledger(reach, EXPORT_ROWS)
    except NotFound:
        abort(404)
    except DomainError as refused:
        return _refused(reach, refused.message)
    _note_reads(found.scope, found.period, viewer, "ledger print")
    return render_template("ledgers/print.html", ledger=found, args=_args(found), title_of=title_of)
