"""The needs list (需求清单): raising a need, deciding it, and answering the resident.

Every need ends with an answer that reaches the resident on their channel (件件有落实，事事有
回音). A grid leader (for their grid) or the secretary decides: solved on the spot, turned into a
micro-wish or a work order (answered when that is done, through settle_from), referred to a
partner unit, or declined with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from models import (
    Community,
    Decision,
    Grid,
    Household,
    Need,
    NeedEvent,
    NeedSource,
    NeedStatus,
    PartnerUnit,
    Person,
    Resident,
    Visit,
    db,
)
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later
from notify.routing import Recipient
from notify.templates import HOUR, MessageKind, register
from services.areas import Area
from services.errors import DomainError, InvalidInput, NotFound

TEXT_LIMIT = 500
ANSWER_LIMIT = 300
# Open needs older than this stand out on the list.
OLD_AFTER_DAYS = 7
CATEGORIES: dict[str, Any] = {
    "repairs": lazy_gettext("Repairs"),
    "health": lazy_gettext("Health and care"),
    "elderly": lazy_gettext("Help for the elderly"),
    "paperwork": lazy_gettext("Policies and paperwork"),
    "neighbours": lazy_gettext("Neighbours and disputes"),
    "environment": lazy_gettext("Environment and sanitation"),
    "safety": lazy_gettext("Safety"),
    "other": lazy_gettext("Other"),
}
DECISIONS: dict[str, Any] = {
    Decision.SOLVED: lazy_gettext("Solved on the spot"),
    Decision.WISH: lazy_gettext("Turned into a micro-wish"),
    Decision.WORK_ORDER: lazy_gettext("Turned into a work order"),
    Decision.REFERRED: lazy_gettext("Referred to a partner unit"),
    Decision.DECLINED: lazy_gettext("Declined"),
}

NEED_SOLVED = register(
    MessageKind(
        name="need_solved",
        zh="您反映的“{need}”已解决：{answer}",
        en="What you raised (“{need}”) is solved: {answer}",
        example={"need": "楼道灯不亮", "answer": "物业已更换灯泡。"},
        description="A need was solved; the answer goes to the resident.",
    )
)
NEED_REFERRED = register(
    MessageKind(
        name="need_referred",
        zh="您反映的“{need}”已转交{unit}办理，他们会与您联系。{note}",
        en="What you raised (“{need}”) has been passed to {unit}, who will contact you. {note}",
        example={"need": "想办理医保复审", "unit": "社区卫生服务站", "note": ""},
        description="A need was referred to a partner unit.",
    )
)
NEED_DECLINED = register(
    MessageKind(
        name="need_declined",
        zh="您反映的“{need}”暂时无法办理：{reason}。如有疑问请联系网格长。",
        en="We cannot take up what you raised (“{need}”): {reason}. Call your grid leader "
        "with any questions.",
        example={"need": "想在楼下加装健身器材", "reason": "小区场地不足，已记录待规划"},
        description="A need was declined, with the reason.",
    )
)
NEED_IN_HAND = register(
    MessageKind(
        name="need_in_hand",
        zh="您反映的“{need}”已列为{what}（编号{ref}），办好后会告诉您。",
        en="What you raised (“{need}”) is now {what} {ref}; we will tell you when it is done.",
        example={"need": "水管漏水", "what": "工单", "ref": "T34"},
        description="A need became a micro-wish or a work order.",
    )
)
NEED_SETTLED = register(
    MessageKind(
        name="need_settled",
        zh="您反映的“{need}”已办好：{answer}",
        en="What you raised (“{need}”) is done: {answer}",
        example={"need": "水管漏水", "answer": "志愿者已上门修好。"},
        description="The micro-wish or work order made from a need is done.",
    )
)
NEED_LOGGED = register(
    MessageKind(
        name="need_logged",
        zh="已记录需求N{id}：{need}。网格长会尽快答复您。",
        en="Need N{id} noted: {need}. Your grid leader will answer soon.",
        example={"id": 12, "need": "楼道灯不亮"},
        validity_seconds=HOUR,
        urgent=True,
        description="The reply when a need is sent by SMS or Telegram.",
    )
)

WHAT = {"wish": ("微心愿", "micro-wish"), "work_order": ("工单", "work order")}


def short(text: str, limit: int = 20) -> str:
    """Return text cut for an SMS (the need quoted back to the resident)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
) -> Need:
    """Add a need to the list (checked first; the caller's transaction commits it)."""
    check_need(category, text)
    if source not in set(NeedSource):
        raise InvalidInput(_("Unknown source of a need."))
    building = household.building if household is not None else None
    need = Need(
        community_id=community_id,
        grid_id=building.grid_id if building else None,
        building_id=building.id if building else None,
        household_id=household.id if household else None,
        resident_id=resident_id,
        source=source,
        visit_id=visit.id if visit else None,
        raised_by_id=by.id if by else None,
        category=category,
        text=text.strip(),
        status=NeedStatus.OPEN,
        created_at=now,
    )
    db.session.add(need)
    db.session.flush()
    _event(need, by, "raised", source, now)
    return need


def needs_in(area: Area) -> Select[Need]:
    """Return the needs of the area: those of its buildings, and community-wide ones for staff.

    Matched on the need's own indexed columns (kept from its household when raised), so the
    list and its counts need no join.
    """
    parts: list[ColumnElement[bool]] = []
    if area.community_ids:
        parts.append(Need.community_id.in_(area.community_ids))
    if area.grid_ids:
        parts.append(Need.grid_id.in_(area.grid_ids))
    if area.building_ids:
        parts.append(Need.building_id.in_(area.building_ids))
    return select(Need).where(or_(*parts) if parts else false())


def get_need(area: Area, need_id: int) -> Need:
    need = db.session.scalar(needs_in(area).where(Need.id == need_id))
    if need is None:
        raise NotFound(_("Not found."))
    return need


def list_needs(area: Area, *, status: str = "open", limit: int = 200) -> list[Need]:
    query = needs_in(area).options(
        selectinload(Need.household).selectinload(Household.building),
        selectinload(Need.raised_by),
        selectinload(Need.decided_by),
    )
    if status == "open":
        query = query.where(Need.status == NeedStatus.OPEN).order_by(Need.created_at)
    elif status == "in_hand":
        query = query.where(Need.status == NeedStatus.IN_HAND).order_by(Need.created_at)
    else:
        query = query.where(Need.status == NeedStatus.ANSWERED).order_by(Need.answered_at.desc())
    return list(db.session.scalars(query.limit(limit)))


def count_open(area: Area) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(
                needs_in(area).where(Need.status == NeedStatus.OPEN).subquery()
            )
        )
        or 0
    )


def age_days(need: Need, now: datetime) -> int:
    return max(0, (now - need.created_at).days)


def is_old(need: Need, now: datetime) -> bool:
    return need.status == NeedStatus.OPEN and now - need.created_at > timedelta(days=OLD_AFTER_DAYS)


def may_decide(person: Person, need: Need, today: date) -> bool:
    """Return whether the person is the secretary of the need's community or its grid leader."""
    for post in person.active_posts(today):
        if post.role == Role.SECRETARY and post.community_id == need.community_id:
            return True
        if (
            post.role == Role.GRID_LEADER
            and need.grid_id is not None
            and post.grid_id == need.grid_id
        ):
            return True
    return False


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


WISH_CATEGORY = {"repairs": "repair", "health": "care", "elderly": "care", "paperwork": "paperwork"}
ORDER_DAYS = 7


def _convert(need: Need, decision: str, by: Person, today: date, now: datetime) -> str:
    """Make the micro-wish or work order (features of their own) and return its reference."""
    if decision == Decision.WISH:
        try:
            from services import wishes
        except ImportError:
            raise DomainError(
                _("Micro-wishes are not available yet: choose another decision.")
            ) from None
        resident = need.resident
        if resident is None and need.household is not None and need.household.residents:
            resident = need.household.residents[0]
        if resident is None:
            raise DomainError(_("A micro-wish is made for a resident: this need names none."))
        wish = wishes.post_wish(
            resident=resident,
            category=WISH_CATEGORY.get(need.category, "other"),
            text=need.text,
            by=by,
            via="app",
            now=now,
            need_id=need.id,
            tell_resident=False,  # the need's own answer tells them
        )
        return str(wish.ref)
    try:
        from services.work_orders import operations as work_orders
    except ImportError:
        raise DomainError(
            _("Work orders are not available yet: choose another decision.")
        ) from None
    community = db.session.get(Community, need.community_id)
    assert community is not None
    grid = db.session.get(Grid, need.grid_id) if need.grid_id is not None else None
    where = need.household.address if need.household is not None else ""
    order = work_orders.create_order(
        community,
        title=short(need.text, 40),
        instructions=need.text,
        location=where[:100],
        starts_at=now,
        ends_at=now + timedelta(days=ORDER_DAYS),
        places_needed=1,
        audience=work_orders.Audience(grids=(grid.id,) if grid else ()),
        by=by,
        now=now,
        today=today,
        grid=grid,
        need_id=need.id,
    )
    return str(order.ref)


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
) -> Need:
    """Decide an open need and send the resident their answer (or, for a conversion, word of it)."""
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
        note = " ".join(str(answer or "").split())[:ANSWER_LIMIT]
        need.partner_unit_id = unit.id
        need.answer = note
        _finish(need, by, now, "referred", unit.name)
        _tell(need, "need_referred", {"unit": unit.name, "note": note}, now)
    else:
        ref = _convert(need, decision, by, today, now)
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


@dataclass(frozen=True)
class NeedFigures:
    open: int
    old: int
    in_hand: int
    answered_this_month: int


def figures(area: Area, now: datetime, month_start: datetime) -> NeedFigures:
    base = needs_in(area).subquery()
    old_before = now - timedelta(days=OLD_AFTER_DAYS)
    rows = db.session.execute(
        select(
            func.count().filter(base.c.status == NeedStatus.OPEN),
            func.count().filter(base.c.status == NeedStatus.OPEN, base.c.created_at < old_before),
            func.count().filter(base.c.status == NeedStatus.IN_HAND),
            func.count().filter(
                base.c.status == NeedStatus.ANSWERED, base.c.answered_at >= month_start
            ),
        )
    ).one()
    return NeedFigures(*(int(x or 0) for x in rows))


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
