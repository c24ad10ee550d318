"""Webhooks providers call: status reports and inbound SMS (Telegram's is in telegram.py).

HTTP glue only: what the requests carry is read by notify/channels/twilio/webhook.py, and a
reply leaves through the outbox like every other message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from models import Community, db, utcnow
from notify import inbound, status
from notify.channels import push
from notify.channels.alibaba import webhook as alibaba_webhook
from notify.channels.base import InboundText, StatusReport
from notify.channels.tencent import webhook as tencent_webhook
from notify.channels.twilio import webhook as twilio_webhook
from notify.mainland import sign_name
from pwa.extensions import csrf
from pwa.redis_conn import web_redis
from services import phones
from services.errors import DomainError

log = logging.getLogger(__name__)

T = TypeVar("T")

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


def _check_push(provider: str, secret: str) -> None:
    """Refuse (404) a push whose URL lacks the secret, (403) one from an address not listed."""
    prefix = provider.upper()
    if not push.secret_matches(current_app.config.get(f"{prefix}_PUSH_SECRET"), secret):
        abort(404)
    allowed = push.allowed_networks(current_app.config.get(f"{prefix}_PUSH_ALLOWED_IPS"))
    # After ProxyFix (TRUSTED_PROXIES), remote_addr is the address the proxy saw.
    if not push.address_allowed(allowed, request.remote_addr):
        log.warning(
            "%s push from %s refused: not in %s_PUSH_ALLOWED_IPS",
            provider,
            request.remote_addr,
            prefix,
        )
        abort(403)


def _read_push(provider: str, secret: str, read: Callable[[bytes], T]) -> T:
    """Let a mainland provider's push in (secret, address) and read it; 400 when unreadable."""
    _check_push(provider, secret)
    try:
        return read(request.get_data())
    except push.BadPush:
        abort(400)


def _record_reports(reports: list[StatusReport]) -> None:
    """Apply each delivery report; raise (503, the provider retries) when one cannot be."""
    for report in reports:
        status.record(web_redis(), report, utcnow())
    db.session.commit()


@bp.post("/alibaba/<secret>/report")
def alibaba_report(secret: str) -> Any:
    """SmsReport: each report moves its delivery forward."""
    _record_reports(_read_push("alibaba", secret, alibaba_webhook.status_reports))
    return jsonify(alibaba_webhook.ANSWER)


def _community_of_sign(name: str) -> str | None:
    """Return the number of the community whose sign name a reply answered, if it has one."""
    if not name:
        return None
    for community in db.session.scalars(select(Community).where(Community.sms_signature != "")):
        if sign_name(community.sms_signature) == name:
            return community.sms_number
    return None


@bp.post("/alibaba/<secret>/up")
def alibaba_up(secret: str) -> Any:
    """SmsUp: each reply goes through the command grammar; answers leave through the outbox."""
    _handle_replies(
        _read_push("alibaba", secret, lambda body: alibaba_webhook.inbound_texts(body, _phone))
    )
    return jsonify(alibaba_webhook.ANSWER)


def _handle_replies(texts: list[tuple[InboundText, str]]) -> None:
    """Each reply through the command grammar, as an SMS; answers leave through the outbox."""
    for text, sign in texts:
        inbound.handle(
            channel="sms",
            provider_id=text.provider_id,
            address=text.address,
            phone=text.phone,
            text=text.text,
            now=utcnow(),
            to=_community_of_sign(sign),
        )
    db.session.commit()


@bp.post("/tencent/<secret>/report")
def tencent_report(secret: str) -> Any:
    """Status callback (短信下发状态回调): each report moves its delivery forward."""
    _record_reports(_read_push("tencent", secret, tencent_webhook.status_reports))
    return jsonify(tencent_webhook.ANSWER)


@bp.post("/tencent/<secret>/reply")
def tencent_reply(secret: str) -> Any:
    """Reply callback (短信回复回调): through the command grammar, answered through the outbox."""
    _handle_replies(
        _read_push("tencent", secret, lambda body: tencent_webhook.inbound_texts(body, _phone))
    )
    return jsonify(tencent_webhook.ANSWER)
