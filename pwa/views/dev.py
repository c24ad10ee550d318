"""The phone simulator: what each phone received, and texts sent from any phone to the app.

With no SMS provider configured every SMS lands here, so each SMS flow can be tried without
Twilio. Absent in production (DEV_INBOX is false there): every page answers 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from models import Delivery, DeliveryState, DevInboxMessage, InboundMessage, db, utcnow
from notify import commands, inbound, mainland
from notify.channels import sms_provider_configured
from pwa.forms.messages import PhoneTextForm
from pwa.steps import run_step
from pwa.views import sms
from services import phones
from services.errors import DomainError
from services.messages import reasons as delivery_reasons

bp = Blueprint("dev", __name__, url_prefix="/dev")

PHONES_SHOWN = 200
MESSAGES_SHOWN = 200


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


@dataclass(frozen=True)
class Line:
    """One message in a phone's conversation."""

    at: datetime
    to_phone: bool  # True: the app sent it to the phone; False: the phone sent it
    body: str
    note: str = ""  # for texts from the phone: the command and outcome Linli saw


def _latest_by_phone() -> list[tuple[str, Line]]:
    """Return each phone with its newest message either way, newest first."""
    sent = db.session.execute(
        select(DevInboxMessage.phone, func.max(DevInboxMessage.id))
        .group_by(DevInboxMessage.phone)
        .order_by(func.max(DevInboxMessage.id).desc())
        .limit(PHONES_SHOWN)
    ).all()
    received = db.session.execute(
        select(InboundMessage.from_address, func.max(InboundMessage.id))
        .where(InboundMessage.channel == "sms")
        .group_by(InboundMessage.from_address)
        .order_by(func.max(InboundMessage.id).desc())
        .limit(PHONES_SHOWN)
    ).all()
    latest: dict[str, Line] = {}
    for m in db.session.scalars(
        select(DevInboxMessage).where(DevInboxMessage.id.in_([i for _p, i in sent]))
    ):
        latest[m.phone] = Line(m.created_at, True, m.body)
    for t in db.session.scalars(
        select(InboundMessage).where(InboundMessage.id.in_([i for _p, i in received]))
    ):
        if t.from_address not in latest or latest[t.from_address].at <= t.received_at:
            latest[t.from_address] = Line(t.received_at, False, t.text)
    ordered = sorted(latest.items(), key=lambda item: item[1].at, reverse=True)
    return ordered[:PHONES_SHOWN]


def _phone_list(error: str | None = None, raw: str = "", status: int = 200) -> Any:
    return render_template(
        "dev/phones.html",
        phones_seen=_latest_by_phone(),
        display=phones.display,
        error=error,
        raw=raw,
        provider=sms_provider_configured(current_app.config),
    ), status


@bp.get("/phones")
def phone_list() -> Any:
    raw = request.args.get("phone", "").strip()
    if not raw:
        return _phone_list()
    try:
        phone = phones.normalize(raw)
    except DomainError as exc:
        return _phone_list(exc.message, raw, 400)
    return redirect(url_for("dev.conversation", phone=phone))


def _carrier(message: DevInboxMessage) -> str:
    """Which provider would have carried it, and with which template (a mainland provider)."""
    if not message.provider:
        return ""
    name = _("Alibaba Cloud SMS") if message.provider == "alibaba" else message.provider
    if message.template:
        return _("%(provider)s, template %(code)s", provider=name, code=message.template)
    return name


def _conversation(phone: str) -> list[Line]:
    sent = db.session.scalars(
        select(DevInboxMessage)
        .where(DevInboxMessage.phone == phone)
        .order_by(DevInboxMessage.id.desc())
        .limit(MESSAGES_SHOWN)
    )
    received = db.session.scalars(
        select(InboundMessage)
        .where(InboundMessage.channel == "sms", InboundMessage.from_address == phone)
        .order_by(InboundMessage.id.desc())
        .limit(MESSAGES_SHOWN)
    )
    # Refused before any provider was called (no approved template, a bad parameter): the
    # phone got nothing, and the simulator says why, as the outbox does.
    refused = db.session.scalars(
        select(Delivery)
        .where(
            Delivery.address == phone,
            Delivery.channel == "sms",
            Delivery.state == DeliveryState.FAILED,
            Delivery.error_code.in_(mainland.REFUSAL_CODES),
        )
        .order_by(Delivery.id.desc())
        .limit(MESSAGES_SHOWN)
    )
    lines = [Line(m.created_at, True, m.body, _carrier(m)) for m in sent]
    language = str(get_locale() or "zh")[:2]
    lines += [
        Line(
            d.finished_at or d.created_at,
            True,
            delivery_reasons.shown(d.error_code, d.error_reason, d.kind),
            _("not sent"),
        )
        for d in refused
    ]
    lines += [
        Line(
            t.received_at,
            False,
            t.text,
            # What Linli made of it, in words: the command's keyword and the outcome's label.
            " · ".join(
                part
                for part in (
                    commands.command_label(t.command, language) if t.command else "",
                    inbound.outcome_label(t.outcome) if t.outcome else "",
                )
                if part
            ),
        )
        for t in received
    ]
    # A reply is stored just after the text it answers, so at the same instant it comes second.
    lines.sort(key=lambda line: (line.at, line.to_phone))
    return lines[-MESSAGES_SHOWN:]


def _phone_page(phone: str, *, text: str = "", error: str | None = None, status: int = 200) -> Any:
    return render_template(
        "dev/phone.html",
        phone=phone,
        display=phones.display,
        lines=_conversation(phone),
        text=text,
        error=error,
        count=sms.summary(text),
        max_chars=sms.MAX_SMS_CHARS,
        provider=sms_provider_configured(current_app.config),
    ), status


@bp.get("/phones/<phone>")
def conversation(phone: str) -> Any:
    try:
        normalized = phones.normalize(phone)
    except DomainError as exc:
        return _phone_list(exc.message, phone, 400)
    if normalized != phone:
        return redirect(url_for("dev.conversation", phone=normalized))
    return _phone_page(normalized)


@bp.post("/phones/<phone>")
def send_from_phone(phone: str) -> Any:
    """Deliver a text from this phone to the app, as the SMS webhook would."""
    try:
        phone = phones.normalize(phone)
    except DomainError as exc:
        return _phone_list(exc.message, phone, 400)
    form = PhoneTextForm()
    # The reply, if any, is queued like every other SMS: the worker puts it in this phone's
    # conversation (the dev inbox is the SMS channel when no provider is configured).
    return run_step(
        lambda: inbound.handle(
            channel="sms",
            provider_id=f"DEV{uuid.uuid4().hex}",
            address=phone,
            phone=phone,
            text=form.text.data,
            now=utcnow(),
        ),
        form=form,
        refused=lambda message: _phone_page(
            phone, text=form.text.data or "", error=message, status=422
        ),
        done=lambda _handled: redirect(url_for("dev.conversation", phone=phone)),
    )


@bp.get("/segments")
def segment_count() -> Any:
    """The live count under the simulator's message box (no sign-in needed here)."""
    return sms.count_fragment(request.args.get("text", "")[: sms.MAX_SMS_CHARS * 4])
