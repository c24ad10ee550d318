"""Webhooks the providers call: Twilio status callbacks and inbound SMS (Telegram beside)."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from models import Community, db, utcnow
from notify import inbound, status
from notify.dispatch import DEFAULT_SIGNATURE
from pwa.extensions import csrf
from pwa.redis_conn import web_redis
from services import phones
from services.errors import DomainError

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)


def _check_twilio_signature() -> None:
    """Refuse (403) a request not signed by Twilio for the public URL it called."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        abort(403)
    # Behind a TLS proxy request.url is not what Twilio called: sign against PUBLIC_BASE_URL.
    public = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    url = public + request.full_path.rstrip("?")
    if not RequestValidator(token).validate(url, request.form.to_dict(), signature):
        abort(403)


def _twiml(text: str | None) -> Response:
    body = '<?xml version="1.0" encoding="UTF-8"?><Response>'
    if text:
        body += f"<Message>{escape(text)}</Message>"
    body += "</Response>"
    return Response(body, mimetype="text/xml")


@bp.post("/twilio/status")
def twilio_status() -> Any:
    _check_twilio_signature()
    form = request.form
    status.record(
        web_redis(),
        form.get("MessageSid") or form.get("SmsSid") or "",
        form.get("MessageStatus") or form.get("SmsStatus") or "",
        form.get("ErrorCode") or None,
        utcnow(),
    )
    db.session.commit()
    return Response(status=204)


def signature_for(phone: str | None) -> str:
    community_id = inbound.community_of_phone(phone) if phone else None
    community = db.session.get(Community, community_id) if community_id else None
    return (community.sms_signature if community else "") or DEFAULT_SIGNATURE


@bp.post("/twilio/sms")
def twilio_sms() -> Any:
    _check_twilio_signature()
    form = request.form
    try:
        phone: str | None = phones.normalize(form.get("From", ""), region="CN")
    except DomainError:
        phone = None
    handled = inbound.handle(
        channel="sms",
        provider_id=form.get("MessageSid") or form.get("SmsSid") or "",
        address=phone or form.get("From", "")[:40],
        phone=phone,
        text=form.get("Body", ""),
        now=utcnow(),
    )
    db.session.commit()
    if not handled.reply:
        return _twiml(None)
    return _twiml(signature_for(phone) + handled.reply)
