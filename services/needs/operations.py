"""The needs list (需求清单): raising a need, deciding it, and answering the resident.

Every need ends with an answer that reaches the resident on their channel (件件有落实，事事有
回音). A grid leader (for their grid) or the secretary decides: solved on the spot, turned into a
micro-wish or a work order (answered when that is done, through settle_from), referred to a
partner unit, or declined with a reason.

Turning a need into a micro-wish or a work order belongs to those features (their `from_need`
modules); the caller hands `decide` the conversions it may use, so the needs list imports
neither of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    Building,
    Decision,
    Household,
    Need,
    NeedEvent,
    NeedReferral,
    NeedSource,
    NeedStatus,
    PartnerUnit,
    Person,
    Photo,
    Resident,
    Visit,
    db,
)
from models.clock import today_of
from notify.message import Message
from notify.outbox import send_later
from notify.routing import Recipient
from services.errors import DomainError, InvalidInput
from services.needs import property_matters, referrals
from services.needs.messages import WHAT, short
from services.needs.queries import CATEGORIES, DECISIONS, may_decide
from services.work_groups import telling as work_groups

TEXT_LIMIT = 500
PLACE_LIMIT = 100
ANSWER_LIMIT = 300

# Makes the micro-wish or work order for a need (need, by, today, now) and returns its ref.
Conversion = Callable[[Need, Person, date, datetime], str]
NO_CONVERSIONS: Mapping[str, Conversion] = MappingProxyType({})


def check_need(category: str, text: str) -> None:
    """Refuse a need with no text, too long a text or an unknown category."""
    if category not in CATEGORIES:
        raise InvalidInput(_("Choose a category for the need."))
    if not text.strip():
        raise InvalidInput(_("A need must say what is needed: its text is empty."))
    if len(text) > TEXT_LIMIT:
        raise InvalidInput(
            _(
                "A need is %(n)d characters long; keep it under %(limit)d.",
                n=len(text),
                limit=TEXT_LIMIT,
            )
        )


def _event(need: Need, actor: Person | None, action: str, detail: str, now: datetime) -> None:
    db.session.add(
        NeedEvent(
            need_id=need.id,
            actor_id=actor.id if actor else None,
            action=action,
            detail=detail,
            at=now,
        )
    )


def raise_need(
    *,
    community_id: int,
    household: Household | None,
    source: str,
    by: Person | None,
    category: str,
    text: str,
    now: datetime,
    resident_id: int | None = None,
    visit: Visit | None = None,
    building: Building | None = None,
    grid_id: int | None = None,
    place: str = "",
    photo: Photo | None = None,
    action: str = "raised",
) -> Need:
    """Add a need to the list (checked first; the caller's transaction commits it).

    A public problem (an observer's report) has no household: the building picked, or the
    grid, and the place typed say where. A property need goes to the property company at once
    when the community has one (services/needs/property_matters.py).
    """
    check_need(category, text)
    if source not in set(NeedSource):
        raise InvalidInput(_("Unknown source of a need."))
    place = " ".join(place.split())
    if len(place) > PLACE_LIMIT:
        raise InvalidInput(_("Keep the place under %(limit)d characters.", limit=PLACE_LIMIT))
    if household is not None:
        building = household.building
    if building is not None:
        grid_id = building.grid_id
    need = Need(
        community_id=community_id,
        grid_id=grid_id,
        building_id=building.id if building else None,
        household_id=household.id if household else None,
        resident_id=resident_id,
        source=source,
        visit_id=visit.id if visit else None,
        raised_by_id=by.id if by else None,
        category=category,
        text=text.strip(),
        place=place,
        photo_id=photo.id if photo is not None else None,
        status=NeedStatus.OPEN,
        created_at=now,
    )
    db.session.add(need)
    db.session.flush()
    _event(need, by, action, source, now)
    work_groups.need_raised(need, now)
    if category == property_matters.CATEGORY:
        company = property_matters.company_of(community_id)
        if company is not None:
            send_to_property(need, company, by=None, now=now)
    return need


def send_to_property(need: Need, unit: PartnerUnit, *, by: Person | None, now: datetime) -> None:
    """Refer the need to the property company with its deadline; the resident is told."""
    assert unit.contact_phone
    need.partner_unit_id = unit.id
    need.status = NeedStatus.IN_HAND
    need.decision = Decision.REFERRED
    if by is not None:
        need.decided_by_id = by.id
        need.decided_at = now
    due = property_matters.due_at(need.community_id, now)
    _event(need, by, property_matters.SENT, unit.name, now)
    referrals.start(need, unit, now, due_at=due)
    local = today_of(due)
    due_text = f"{local.month}月{local.day}日"
    _tell(need, "need_property_sent", {"unit": unit.name, "due": due_text}, now)
    db.session.flush()


def resident_need(
    resident: Resident, *, category: str, text: str, by: Person | None, now: datetime
) -> Need:
    """Add a need a resident raised themselves (the answer goes back to them)."""
    household = resident.household
    return raise_need(
        community_id=household.building.community_id,
        household=household,
        source=NeedSource.RESIDENT,
        by=by,
        category=category,
        text=text,
        resident_id=resident.id,
        now=now,
    )


def recipient_of(need: Need) -> Recipient | None:
    """Return who hears the answer: the resident, the household's contact, or who raised it."""
    if need.resident is not None:
        return need.resident
    household = need.household
    if household is not None:
        if household.contact_phone:
            return household.contact_phone
        for resident in household.residents:
            if resident.person is not None or resident.phone:
                return resident
    if need.raised_by is not None:
        return need.raised_by
    return None


def _tell(need: Need, kind: str, params: dict[str, Any], now: datetime) -> None:
    to = recipient_of(need)
    if to is None:
        return  # nobody to reach: the answer stays on the record, the list shows it
    send_later(
        Message(
            kind=kind,
            params={"need": short(need.text), **params},
            batch_key=f"need:{need.id}:{kind}",
            ref=need.ref,
            community_id=need.community_id,
        ),
        to=[to],
        now=now,
    )


def _clean(value: object, limit: int, message: str) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise InvalidInput(message)
    if len(text) > limit:
        raise InvalidInput(_("Keep the answer under %(limit)d characters.", limit=limit))
    return text


def decide(
    need: Need,
    *,
    by: Person,
    decision: str,
    today: date,
    now: datetime,
    answer: str = "",
    reason: str = "",
    partner_unit_id: int | None = None,
    conversions: Mapping[str, Conversion] = NO_CONVERSIONS,
) -> Need:
    """Decide an open need and send the resident their answer (or, for a conversion, word of it).

    A micro-wish or work order is made by the conversion `conversions` holds for the decision
    (a need cannot become one that is not given).
    """
    if not may_decide(by, need, today):
        raise DomainError(_("Only the grid leader or the secretary decides needs."))
    if need.status != NeedStatus.OPEN:
        raise DomainError(_("This need has already been decided."))
    if decision not in DECISIONS:
        raise InvalidInput(_("Choose a decision."))
    need.decided_by_id = by.id
    need.decided_at = now
    if decision == Decision.SOLVED:
        text = _clean(answer, ANSWER_LIMIT, _("Say how it was solved: the resident is told."))
        need.answer = text
        _finish(need, by, now, "solved", text)
        _tell(need, "need_solved", {"answer": text}, now)
    elif decision == Decision.DECLINED:
        text = _clean(
            reason, ANSWER_LIMIT, _("Give the reason for declining: the resident is told.")
        )
        need.reason = text
        need.answer = text
        _finish(need, by, now, "declined", text)
        _tell(need, "need_declined", {"reason": text}, now)
    elif decision == Decision.REFERRED:
        unit = db.session.get(PartnerUnit, partner_unit_id) if partner_unit_id is not None else None
        if unit is None or unit.community_id != need.community_id:
            raise InvalidInput(_("Choose the partner unit the need goes to."))
        if not unit.contact_phone:
            raise InvalidInput(
                _(
                    "%(unit)s has no contact phone to send the need to: add one on the partner "
                    "units page, or choose another decision.",
                    unit=unit.name,
                )
            )
        if property_matters.is_company(unit):
            send_to_property(need, unit, by=by, now=now)
            return need
        note = " ".join(str(answer or "").split())[:ANSWER_LIMIT]
        need.partner_unit_id = unit.id
        # In hand until the unit's contact answers (answer_referral); the note is the
        # decider's, the answer will be the unit's.
        need.status = NeedStatus.IN_HAND
        need.decision = decision
        _event(need, by, "referred", unit.name, now)
        referrals.start(need, unit, now)
        _tell(need, "need_referred", {"unit": unit.name, "note": note}, now)
        db.session.flush()
        return need
    else:
        convert = conversions.get(decision)
        if convert is None and decision == Decision.WISH:
            raise DomainError(_("Micro-wishes are not available yet: choose another decision."))
        if convert is None:
            raise DomainError(_("Work orders are not available yet: choose another decision."))
        ref = convert(need, by, today, now)
        need.converted_ref = ref
        need.status = NeedStatus.IN_HAND
        need.decision = decision
        _event(need, by, decision, ref, now)
        what = WHAT[decision]
        _tell(need, "need_in_hand", {"what": what[0], "ref": ref}, now)
        db.session.flush()
        return need
    need.decision = decision
    db.session.flush()
    return need


def _finish(need: Need, by: Person | None, now: datetime, action: str, detail: str) -> None:
    need.status = NeedStatus.ANSWERED
    need.answered_at = now
    _event(need, by, action, detail, now)
    _event(need, by, "answered", detail, now)


def settle_from(ref: str, answer: str, now: datetime) -> Need | None:
    """Close the need a micro-wish or work order came from, and tell the resident.

    Called by those features when the item is done; a second call changes nothing.
    """
    need = db.session.scalar(select(Need).where(Need.converted_ref == ref))
    if need is None or need.status != NeedStatus.IN_HAND:
        return need
    text = " ".join(str(answer or "").split())[:ANSWER_LIMIT] or "已办好"
    need.answer = text
    _finish(need, None, now, "settled", f"{ref}: {text}")
    _tell(need, "need_settled", {"answer": text}, now)
    db.session.flush()
    return need


def answer_referral(referral: NeedReferral, text: str, *, via: str, now: datetime) -> Need:
    """Record a partner unit's answer to a referred need and pass it to the resident."""
    text = _clean(text, ANSWER_LIMIT, _("Write what was done: the resident is told."))
    need = referral.need
    if referral.answered_at is not None or need.status != NeedStatus.IN_HAND:
        raise DomainError(_("This need has already been answered. Thank you."))
    unit = db.session.get(PartnerUnit, referral.partner_unit_id)
    unit_name = unit.name if unit is not None else ""
    referral.answer = text
    referral.answered_at = now
    referral.answered_via = via
    need.answer = text
    action = property_matters.ANSWERED if referral.due_at is not None else "partner_answered"
    _finish(need, None, now, action, f"{unit_name}: {text}")
    _tell(need, "need_partner_answer", {"unit": unit_name, "answer": text}, now)
    db.session.flush()
    return need


def give_back(ref: str, event: str, now: datetime) -> Need | None:
    """Return the need a work order came from to undecided, and tell whoever decided it.

    `event` is why: "cancelled" or "expired". The need is chased afresh from now.
    """
    need = db.session.scalar(select(Need).where(Need.converted_ref == ref))
    if need is None or need.status != NeedStatus.IN_HAND:
        return need
    decider = need.decided_by
    need.status = NeedStatus.OPEN
    need.decision = None
    need.converted_ref = None
    need.decided_by_id = None
    need.decided_at = None
    need.open_since = now
    need.chased_leader_at = None
    need.chased_secretary_at = None
    _event(need, None, "given_back", f"{ref}: {event}", now)
    if decider is not None:
        send_later(
            Message(
                kind=f"need_back_{event}",
                params={"ref": need.ref, "need": short(need.text), "order": ref},
                batch_key=f"need:{need.id}:back:{ref}",
                ref=need.ref,
                community_id=need.community_id,
            ),
            to=[decider],
            now=now,
        )
    db.session.flush()
    return need
