"""The development inbox: what each phone would have received. Absent in production."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from models import DevInboxMessage, db
from services import phones
from services.errors import DomainError

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def _only_in_development() -> None:
    if not current_app.config["DEV_INBOX"]:
        abort(404)


@bp.get("/inbox")
def inbox() -> Any:
    raw = request.args.get("phone", "").strip()
    query = select(DevInboxMessage).order_by(DevInboxMessage.id.desc()).limit(200)
    error = None
    if raw:
        try:
            query = query.where(DevInboxMessage.phone == phones.normalize(raw))
        except DomainError as exc:
            error = exc.message
    messages = db.session.scalars(query).all() if error is None else []
    return render_template(
        "dev/inbox.html", messages=messages, phone=raw, error=error, display=phones.display
    )
