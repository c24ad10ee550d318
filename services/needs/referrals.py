"""A need referred to a partner unit: the text to its contact, the answer link, and finding it.

The contact gets the need, where, and two ways to answer: an SMS reply naming the need's code
("答复 N12 已安排维修", services/needs/commands.py) from the phone it went to, or a page its
link opens without signing in. The link's token is random (128 bits) and only its SHA-256 is
kept, so the database alone opens nothing; it stops working after REFERRAL_LINK_DAYS.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select

from models import Need, NeedReferral, PartnerUnit, db
from models.clock import today_of
from notify.message import Message
from notify.outbox import send_later
from services.needs.messages import short

DEFAULT_LINK_DAYS = 14
PATH = "/p/"


def link_days() -> int:
    if has_app_context():
        return int(current_app.config.get("NEED_REFERRAL_LINK_DAYS", DEFAULT_LINK_DAYS))
    return DEFAULT_LINK_DAYS


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link(token: str) -> str:
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "") if has_app_context() else ""
    return f"{base.rstrip('/')}{PATH}{token}"


def start(
    need: Need, unit: PartnerUnit, now: datetime, *, due_at: datetime | None = None
) -> NeedReferral:
    """Record the referral and send the unit's contact the need with its answer link.

    `due_at`: the answer's deadline (property matters): the text names it, the chase counts it.
    """
    assert unit.contact_phone
    token = secrets.token_urlsafe(16)
    referral = NeedReferral(
        need_id=need.id,
        partner_unit_id=unit.id,
        contact_phone=unit.contact_phone,
        token_hash=digest(token),
        sent_at=now,
        expires_at=now + timedelta(days=link_days()),
        answer="",
        answered_via="",
        due_at=due_at,
    )
    if due_at is not None and referral.expires_at < due_at + timedelta(days=link_days()):
        # The link must outlive the deadline and the chase after it.
        referral.expires_at = due_at + timedelta(days=link_days())
    db.session.add(referral)
    db.session.flush()
    params = {
        "ref": need.ref,
        "need": short(need.text, 40),
        "address": need.where or "-",
        "link": link(token),
    }
    kind = "need_to_partner"
    if due_at is not None:
        kind = "need_to_property"
        params["due"] = f"{today_of(due_at).month}月{today_of(due_at).day}日"
    send_later(
        Message(
            kind,
            params,
            batch_key=f"need:{need.id}:partner:{referral.id}",
            ref=need.ref,
            community_id=need.community_id,
        ),
        to=[unit.contact_phone],
        now=now,
    )
    return referral


def by_token(token: str, now: datetime) -> NeedReferral | None:
    """Return the referral a link's token opens, or None (unknown or expired alike)."""
    if not token or len(token) > 100:
        return None
    found = db.session.scalar(select(NeedReferral).where(NeedReferral.token_hash == digest(token)))
    if found is None or found.expires_at <= now:
        return None
    return found


def for_phone(ref: str | None, phone: str | None) -> NeedReferral | None:
    """Return the latest referral of need `ref` ("N12") sent to this phone, or None."""
    if not ref or not phone or not ref.startswith("N") or not ref[1:].isdigit():
        return None
    return db.session.scalar(
        select(NeedReferral)
        .where(NeedReferral.need_id == int(ref[1:]), NeedReferral.contact_phone == phone)
        .order_by(NeedReferral.id.desc())
        .limit(1)
    )


def latest(need: Need) -> NeedReferral | None:
    return db.session.scalar(
        select(NeedReferral)
        .where(NeedReferral.need_id == need.id)
        .order_by(NeedReferral.id.desc())
        .limit(1)
    )


def contact_for(need: Need) -> tuple[str, str] | None:
    """Return (name, phone) the unit may call about the need: the resident, else the home's
    contact, else (a public problem) its reporter; None when none has a phone."""
    resident = need.resident
    if resident is not None and resident.phone:
        return resident.name, resident.phone
    household = need.household
    if household is not None and household.contact_phone:
        return household.contact_name or "", household.contact_phone
    if household is None and need.raised_by is not None:
        return need.raised_by.name, need.raised_by.phone  # a public problem: its reporter
    return None
