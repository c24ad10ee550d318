"""Webhooks Twilio calls: status callbacks and inbound SMS (Telegram's is in telegram.py).

HTTP glue only: what the requests carry is read by notify/channels/twilio/webhook.py, and a
reply leaves through the outbox like every other message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from models import db, utcnow
from notify import inbound, status
from notify.channels.twilio import webhook as twilio_webhook
from pwa.extensions import csrf
from pwa.redis_conn import web_redis
from services import phones
from services.errors import DomainError

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)


def _check_twilio_signature() -> None:
    """Refuse (403) a request not signed by Twilio for the public URL it called."""
    # Behind a TLS proxy request.url is not what Twilio called: sign against PUBLIC_BASE_URL.
    public = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    if not twilio_webhook.signed(
        current_app.config.get("TWILIO_AUTH_TOKEN"),
        public + request.full_path.rstrip("?"),
        request.form.to_dict(),
        request.headers.get("X-Twilio-Signature", ""),
    ):
        abort(403)


def _phone(raw: str) -> str | None:
    try:
        return phones.normalize(raw, region="CN")
    except DomainError:
        return None


@bp.post("/twilio/status")
def twilio_status() -> Any:
    _check_twilio_signature()
    status.record(web_redis(), twilio_webhook.status_report(request.form.to_dict()), utcnow())
    db.session.commit()
    return Response(status=204)


@bp.post("/twilio/sms")
def twilio_sms() -> Any:
    _check_twilio_signature()
    text = twilio_webhook.inbound(request.form.to_dict(), _phone)
    inbound.handle(
        channel="sms",
        provider_id=text.provider_id,
        address=text.address,
        phone=text.phone,
        text=text.text,
        now=utcnow(),
        to=text.to,
    )
    # The reply, if any, is queued: the commit hands it to the worker.
    db.session.commit()
    return Response(twilio_webhook.empty_answer(), mimetype=twilio_webhook.ANSWER_MIMETYPE)
