"""双报到 by SMS or Telegram: "报到 区供电局 张三" (the name only when the phone is new to us),
and a unit's liaison's "反馈 …" on the last quarter. COMMANDS is declared in pwa.features."""

from __future__ import annotations

import re
import unicodedata

from flask import current_app, has_app_context
from sqlalchemy import select

from models import Community, PartnerUnit, Person, Resident, db
from models.clock import today_of
from notify.commands import Command, Inbound, Reply
from services.errors import DomainError
from services.report_in import operations, queries
from services.report_in.quarters import Quarter

# CHECKIN, not REPORT: REPORT is an observer's 反映 (services/reports).
KEYWORDS = ("报到", "CHECKIN")
FEEDBACK = ("反馈", "FEEDBACK")
JOIN_PATH = "/join/"


def join_link(code: str) -> str:
    """The community's public report-in page (the one its QR code opens)."""
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "") if has_app_context() else ""
    return f"{base.rstrip('/')}{JOIN_PATH}{code}"


def typed_rest(message: Inbound, keywords: tuple[str, ...]) -> str:
    """What follows the keyword as typed: the grammar's `rest` is upper-cased and full-width
    folded, and feedback is kept as the liaison wrote it."""
    text = (message.text or "").strip()
    for keyword in keywords:
        if unicodedata.normalize("NFKC", text[: len(keyword)]).upper() == keyword:
            return re.sub(r"\s+", " ", text[len(keyword) :].lstrip(" :：,，\u3000")).strip()
    return message.rest


def _sender_phone(message: Inbound) -> str | None:
    return message.phone or (message.person.phone if message.person is not None else None)


def _split(units: list[PartnerUnit], rest: str) -> tuple[PartnerUnit | None, str]:
    """The unit whose name starts the text (the longest such), and the name after it."""
    folded = queries.folded(rest)
    best: PartnerUnit | None = None
    for unit in units:
        name = queries.folded(unit.name)
        if folded.startswith(name) and (best is None or len(name) > len(queries.folded(best.name))):
            best = unit
    if best is None:
        return None, ""
    # Cut as many characters of the typed text as the unit's folded name holds.
    taken, kept = 0, len(queries.folded(best.name))
    for index, char in enumerate(rest):
        if taken == kept:
            return best, rest[index:].strip()
        if not char.isspace():
            taken += 1
    return best, ""


def _community_for(message: Inbound, rest: str) -> int | None:
    if message.community_id is not None:
        return message.community_id
    # A text to no community's number from a phone no community knows: the unit's name may
    # still say which community (when only one has a unit of that name, or, for a name typed
    # short, one near it); else a server holding one community serves only it.
    folded = queries.folded(rest)
    units = db.session.scalars(select(PartnerUnit).where(PartnerUnit.taking_part())).all()
    found = {u.community_id for u in units if folded.startswith(queries.folded(u.name))}
    if not found and rest:
        typed = queries.folded(rest.split(" ")[0])
        found = {
            u.community_id
            for u in units
            if typed in queries.folded(u.name) or queries.folded(u.name) in typed
        }
    if not found:
        found = set(db.session.scalars(select(Community.id).limit(2)))
    return found.pop() if len(found) == 1 else None


def _report(message: Inbound) -> Reply | None:
    phone = _sender_phone(message)
    rest = typed_rest(message, KEYWORDS)
    community_id = _community_for(message, rest)
    if phone is None or community_id is None:
        return Reply("report_in_no_community")
    # The answer is signed with that community's name, not Linli's: the member learns where
    # they reported in, and a mainland provider sends under the community's own sign name.
    message.community_id = community_id
    community = db.session.get(Community, community_id)
    link = join_link(community.code if community else "")
    if not rest:
        return Reply("report_in_how", {"link": link})
    unit, name = _split(queries.units(community_id), rest)
    if unit is None:
        near = queries.near_names(community_id, rest.split(" ")[0] if rest else "")
        hint = f"您是否指：{'、'.join(near)}？" if near else ""
        return Reply(
            "report_in_unknown_unit",
            {
                "unit": rest[:20] or "？",
                "hint": hint,
                "link": link,
            },
        )
    known = db.session.scalar(select(Person).where(Person.phone == phone))
    if not name and known is None:
        resident = db.session.scalar(select(Resident).where(Resident.phone == phone).limit(1))
        name = resident.name if resident is not None else ""
    if not name and known is None:
        return Reply("report_in_need_name", {"unit": unit.name})
    try:
        operations.report_member(
            community_id, unit, name=name, phone=phone, via=message.channel, now=message.now
        )
    except operations.AlreadyReported as already:
        state = "已通过" if already.approved else "待审核"
        return Reply("report_in_already", {"unit": already.unit_name, "state": state})
    except DomainError:
        return Reply("report_in_need_name", {"unit": unit.name})
    return Reply("report_in_received", {"unit": unit.name})


def _feedback(message: Inbound) -> Reply | None:
    phone = _sender_phone(message)
    if phone is None:
        return None
    units = db.session.scalars(
        select(PartnerUnit).where(PartnerUnit.contact_phone == phone, PartnerUnit.taking_part())
    ).all()
    if message.community_id is not None:
        units = [u for u in units if u.community_id == message.community_id] or list(units)
    if not units:
        return None  # not a liaison: not this command's text
    text = typed_rest(message, FEEDBACK)
    if not text:
        return Reply("report_in_feedback_empty")
    unit = units[0]
    # At a quarter's start the summary is of the quarter just ended: feedback is about it.
    quarter = Quarter.of(today_of(message.now)).previous
    try:
        operations.give_feedback(unit, quarter, text, via=message.channel, now=message.now)
    except DomainError:
        return Reply("report_in_feedback_empty")
    return Reply("report_in_feedback_thanks", {"unit": unit.name, "quarter": quarter.sms_label()})


COMMANDS: tuple[Command, ...] = (
    # No help line: whoever reports in holds no post yet, and the volunteers' 帮助 answer must
    # stay within two SMS; the QR page, its poster and the unit's liaison say how.
    Command("report_in", KEYWORDS, _report, shape="text"),
    # No help line: only units' liaisons use it, and their summary text explains it.
    Command("unit_feedback", FEEDBACK, _feedback, shape="text"),
)
