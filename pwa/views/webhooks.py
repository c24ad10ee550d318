"""Webhooks Twilio calls: status callbacks and inbound SMS (Telegram's is in telegram.py).

HTTP glue only: what the requests carry is read by notify/channels/twilio/webhook.py, and a
reply leaves through the outbox like every other message.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from models import db, utcnow
from notify import inbound, status
from notify.channels.twilio import webhook as twilio_webhook
from pwa.extensions import csrf
from pwa.redis_conn import web_redis
from services import phones
from services.errors import DomainError

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)
# Seconds a provider is asked to wait before it calls again when a callback was not recorded.
RETRY_AFTER_SECONDS = 30


@bp.errorhandler(RedisError)
@bp.errorhandler(SQLAlchemyError)
def _not_recorded(error: Exception) -> Response:
    """Redis or the database unavailable: answer 503, so that the provider calls again."""
    db.session.rollback()
    log.warning("webhook %s not recorded: %r", request.path, error)
    return Response(status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


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
    """Record a delivery report; 503 when it cannot be (Twilio retries), else 204."""
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
