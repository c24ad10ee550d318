"""An invitee's meetings (/my/meetings): their invitations, answered attend or excused."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from models import MeetingInvitee
from models.meetings import Reply
from pwa import auth
from pwa.rendering import render
from pwa.steps import run_step
from pwa.views.meeting_names import helpers
from services.meetings import attendance, queries

bp = Blueprint("my_meetings", __name__, url_prefix="/my/meetings")
bp.before_request(auth.require_signed_in)


def _mine(error: str | None = None, status: int = 200) -> Any:
    person = auth.person_required()
    return render(
        "meetings/mine.html",
        "my_meetings",
        invitations=queries.invitations_of(person, auth.now()),
        error=error,
        **helpers(),
    ), status


@bp.get("")
def mine() -> Any:
    return _mine()


@bp.post("/<int:invitee_id>/<any(attend, excused):reply>")
def answer(invitee_id: int, reply: str) -> Any:
    person = auth.person_required()
    invitee = next(
        (i for i in queries.invitations_of(person, auth.now()) if i.id == invitee_id), None
    )
    if invitee is None:
        abort(404)

    def done(_row: MeetingInvitee) -> Any:
        if request.headers.get("HX-Request"):
            return _mine()
        flash(_("Your answer is noted."))
        return redirect(url_for("my_meetings.mine"))

    return run_step(
        lambda: attendance.answer(
            invitee,
            Reply.ATTEND if reply == "attend" else Reply.EXCUSED,
            via="app",
            now=auth.now(),
        ),
        refused=lambda message: _mine(message, 422),
        done=done,
    )
