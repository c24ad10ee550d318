"""Micro-wishes: post, claim (one winner), hand back, fulfil, rate, escalate; who sees what.

Every step is recorded as a WishEvent (who, when, by which channel) for the ledgers, and the
resident is told on their own channel. Claims and every other change of state are conditional
UPDATEs, so two volunteers pressing "claim" at once cannot both win.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from models import Building, Grid, Household, Person, Photo, Post, Resident, db, utcnow
from models.roles import Role
from models.wishes import (
    LEVEL_BUILDING_HEAD,
    LEVEL_GRID_LEADER,
    LEVEL_SECRETARY,
    LEVEL_WALL,
    Wish,
    WishEvent,
    WishStatus,
)
from notify.message import Message
from notify.outbox import send_later
from notify.templates import HOUR, MessageKind, register
from services.errors import DomainError, InvalidInput, NotFound
from services.roster import areas

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_TEXT = 500
MAX_NOTE = 500
MAX_REASON = 200
LOW_RATING = 2  # this or less goes to the grid leader

CATEGORIES: dict[str, Any] = {
    "repair": _l("Small repair"),
    "errand": _l("Errand or shopping"),
    "escort": _l("Escort or ride (e.g. to hospital)"),
    "paperwork": _l("Help with forms"),
    "care": _l("Company and care"),
    "other": _l("Other"),
}
# Chinese names for SMS texts, which are rendered without a request's language.
CATEGORY_ZH = {
    "repair": "小修小补",
    "errand": "代买代办",
    "escort": "陪同出行",
    "paperwork": "填表办事",
    "care": "陪伴照料",
    "other": "其他",
}
# Hours a wish may wait unclaimed before each escalation step; overridden by the
# WISH_ESCALATION_HOURS setting.
DEFAULT_ESCALATION_HOURS = {
    "repair": 24,
    "errand": 12,
    "escort": 6,
    "paperwork": 48,
    "care": 24,
    "other": 24,
}
LEVEL_NAMES = {
    LEVEL_WALL: _l("Problem wall"),
    LEVEL_BUILDING_HEAD: _l("Building head"),
    LEVEL_GRID_LEADER: _l("Grid leader"),
    LEVEL_SECRETARY: _l("Secretary"),
}


class WishError(DomainError):
    """A refused step; `code` names the SMS answer that explains it."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------- message kinds


def _kind(name: str, zh: str, en: str, example: Mapping[str, Any], **kw: Any) -> MessageKind:
    return register(MessageKind(name=name, zh=zh, en=en, example=example, **kw))


_kind(
    "wish_posted",
    "您的心愿{ref}已发布到问题墙，有志愿者认领后会告诉您。",
    "Your wish {ref} is on the problem wall. We will tell you when a volunteer takes it up.",
    {"ref": "W12"},
    description="To the resident: their wish is on the wall.",
)
_kind(
    "wish_claimed",
    "您的心愿{ref}已由{name}认领。",
    "Your wish {ref} has been taken up by {name}.",
    {"ref": "W12", "name": "王师傅"},
    description="To the resident: a volunteer claimed their wish.",
)
_kind(
    "wish_handed_back",
    "{name}暂时无法完成您的心愿{ref}，已重新发布，我们会另请志愿者帮忙。",
    "{name} cannot do your wish {ref} after all; it is back on the wall for another volunteer.",
    {"ref": "W12", "name": "王师傅"},
    description="To the resident: the claimer handed the wish back.",
)
_kind(
    "wish_handed_back_head",
    "志愿者{name}退回了心愿{ref}（{building}，{category}），已回到问题墙，请关注。",
    "Volunteer {name} handed back wish {ref} ({building}, {category}); it is on the wall again.",
    {"ref": "W12", "name": "王师傅", "building": "幸福小区 3号楼", "category": "小修小补"},
    description="To the building head: a wish was handed back.",
)
_kind(
    "wish_fulfilled",
    "您的心愿{ref}已完成：{note}。请回复1-5为这次服务评分（5为最满意）。",
    "Your wish {ref} is done: {note}. Please reply 1–5 to rate the help (5 is best).",
    {"ref": "W12", "note": "水龙头已换新"},
    validity_seconds=24 * HOUR,
    description="To the resident: the wish is fulfilled; asks for a 1–5 rating.",
)
_kind(
    "wish_rated_thanks",
    "谢谢！您为心愿{ref}评了{rating}分。",
    "Thank you! You rated wish {ref} {rating} out of 5.",
    {"ref": "W12", "rating": 5},
    validity_seconds=HOUR,
    urgent=True,
    description="Reply to a rating.",
)
_kind(
    "wish_rated_claimer",
    "居民为您完成的心愿{ref}评了{rating}分，谢谢您的付出。",
    "The resident rated wish {ref}, which you fulfilled, {rating} out of 5. Thank you.",
    {"ref": "W12", "rating": 5},
    description="To the claimer: the resident's rating.",
)
_kind(
    "wish_low_rating",
    "心愿{ref}（{building}，{category}）的服务评分为{rating}分，请了解情况。",
    "Wish {ref} ({building}, {category}) was rated {rating} out of 5. Please look into it.",
    {"ref": "W12", "building": "幸福小区 3号楼", "category": "小修小补", "rating": 1},
    description="To the grid leader: a low rating.",
)
_kind(
    "wish_escalated",
    "心愿{ref}（{building}，{category}）已等待{hours}小时无人认领，请协调。"
    "回复“认领 {ref}”可认领。",
    "Wish {ref} ({building}, {category}) has waited {hours} hours unclaimed. Please find help. "
    "Reply CLAIM {ref} to take it up.",
    {"ref": "W12", "building": "幸福小区 3号楼", "category": "小修小补", "hours": 24},
    description="To a head, grid leader or secretary: a wish waits unclaimed.",
)
_kind(
    "wish_claim_reply",
    "您已认领心愿{ref}：{text}。居民{resident}，{address}，电话{phone}。"
    "完成后回复“完成 {ref} 说明”。",
    "You took up wish {ref}: {text}. Resident {resident}, {address}, phone {phone}. "
    "When done reply DONE {ref} and a note.",
    {
        "ref": "W12",
        "text": "厨房水龙头漏水",
        "resident": "王奶奶",
        "address": "幸福小区 3号楼 1单元501",
        "phone": "13800000001",
    },
    validity_seconds=HOUR,
    urgent=True,
    description="Reply to a claim by SMS or Telegram (the claimer may see the details).",
)
_kind(
    "wish_done_reply",
    "已记录心愿{ref}完成，谢谢您！",
    "Wish {ref} is recorded as done. Thank you!",
    {"ref": "W12"},
    validity_seconds=HOUR,
    urgent=True,
)
_kind(
    "wish_handback_reply",
    "心愿{ref}已退回问题墙。",
    "Wish {ref} is back on the problem wall.",
    {"ref": "W12"},
    validity_seconds=HOUR,
    urgent=True,
)
_kind(
    "wish_withdrawn",
    "您的心愿{ref}已撤回。如仍需要帮助，可以再发布。",
    "Your wish {ref} has been withdrawn. If you still need help, post it again.",
    {"ref": "W12"},
    description="To the resident: a head withdrew their wish for them.",
)
_kind(
    "wish_withdrawn_claimer",
    "您认领的心愿{ref}（{building}）已撤回，不用再办了，谢谢您。",
    "Wish {ref} ({building}), which you took up, has been withdrawn: no need to do it. Thank you.",
    {"ref": "W12", "building": "幸福小区 3号楼"},
    description="To the claimer: the wish they took up is no longer wanted.",
)
_kind(
    "wish_withdraw_reply",
    "心愿{ref}已撤回。",
    "Wish {ref} is withdrawn.",
    {"ref": "W12"},
    validity_seconds=HOUR,
    urgent=True,
)
_kind(
    "wish_posted_reply",
    "已收到您的心愿{ref}，已发布到问题墙，有志愿者认领后会告诉您。",
    "We have your wish {ref}; it is on the problem wall. We will tell you when someone takes it.",
    {"ref": "W12"},
    validity_seconds=HOUR,
    urgent=True,
)
_ERROR_KINDS = {
    "not_found": (
        "找不到心愿{ref}，或您不能处理它。",
        "There is no wish {ref} that you can act on.",
    ),
    "taken": (
        "心愿{ref}已被他人认领，谢谢您的热心。",
        "Wish {ref} was already taken up by someone else.",
    ),
    "not_yours": ("心愿{ref}不是由您认领的。", "Wish {ref} is not claimed by you."),
    "wrong_state": ("心愿{ref}现在不能这样处理。", "Wish {ref} cannot take that step now."),
    "text": (
        "心愿内容不能为空，也不能超过500字。请发送“心愿 内容”，例如“心愿 厨房水龙头漏水”。",
        "A wish needs some text, at most 500 characters. Send WISH and the text.",
    ),
    "note": (
        "请写明完成情况，例如“完成 {ref} 已换新水龙头”。",
        "Add a note: DONE {ref} and what was done.",
    ),
    "rating": (
        "请回复1到5之间的数字评分（5为最满意）。",
        "Please reply with a number from 1 to 5 (5 is best).",
    ),
    "rated": ("心愿{ref}已经评过分了，谢谢。", "Wish {ref} has already been rated. Thank you."),
    "unknown_sender": (
        "您的号码还没有登记在社区住户名单中，请联系楼栋长代为发布心愿。",
        "Your number is not on the community's list of residents. Ask your building head.",
    ),
    "own": ("不能认领自己的心愿。", "You cannot take up your own wish."),
    "withdrawn": ("心愿{ref}已撤回，不用再办了。", "Wish {ref} was withdrawn: no need to do it."),
    "reason": (
        "撤回原因请不超过200字，例如“撤回 {ref} 已自己修好”。",
        "Keep the reason under 200 characters: WITHDRAW {ref} and why.",
    ),
}
for _code, (_zh, _en) in _ERROR_KINDS.items():
    _kind(
        f"wish_error_{_code}",
        _zh,
        _en,
        {"ref": "W12"},
        validity_seconds=HOUR,
        urgent=True,
        description="Answer to a wish command that could not be carried out.",
    )


# ---------------------------------------------------------------------------- who sees what


def today_of(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class Wall:
    """The part of the problem wall a volunteer sees: whole communities and single grids."""

    community_ids: frozenset[int] = frozenset()
    grid_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.community_ids or self.grid_ids)

    def clause(self) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if self.community_ids:
            parts.append(Wish.community_id.in_(self.community_ids))
        if self.grid_ids:
            parts.append(Wish.grid_id.in_(self.grid_ids))
        return or_(*parts) if parts else false()

    def covers(self, wish: Wish) -> bool:
        return wish.community_id in self.community_ids or wish.grid_id in self.grid_ids


def wall_of(person: Person, today: date) -> Wall:
    """Return where a person may see and claim wishes.

    Volunteers are everyone holding an active post (N members, heads, grid leaders, staff):
    a community-wide post sees the community, any other post its grid. In-service members of a
    partner unit volunteer in that unit's community.
    """
    communities: set[int] = set()
    grids: set[int] = set()
    if not person.active:
        return Wall()
    for post in person.active_posts(today):
        if post.grid_id is not None:
            grids.add(post.grid_id)
        elif post.building_id is not None and post.building is not None:
            grids.add(post.building.grid_id)
        else:
            communities.add(post.community_id)
    if person.partner_unit is not None:
        communities.add(person.partner_unit.community_id)
    return Wall(frozenset(communities), frozenset(grids))


def oversees(person: Person, wish: Wish, today: date) -> bool:
    """Return True for the building head, grid leader, secretary or staff over the wish."""
    area = areas.area_of(person, today)
    return (
        wish.community_id in area.community_ids
        or wish.grid_id in area.grid_ids
        or wish.building_id in area.building_ids
    )


def can_see_resident(person: Person | None, wish: Wish, today: date) -> bool:
    """Name, room and phone: only the claimer, the heads over it and the resident themself."""
    if person is None:
        return False
    if wish.claimer_id == person.id:
        return True
    if wish.resident.person_id == person.id:
        return True
    return oversees(person, wish, today)


def visible_to(person: Person, today: date) -> Select[Wish]:
    """Return the wishes a person may open: their wall, their area, their claims, their own."""
    wall = wall_of(person, today)
    area = areas.area_of(person, today)
    own = select(Resident.id).where(Resident.person_id == person.id)
    return select(Wish).where(
        or_(
            wall.clause(),
            Wish.building_id.in_(select(Building.id).where(area.building_clause())),
            Wish.claimer_id == person.id,
            Wish.resident_id.in_(own),
        )
    )


def get_visible(person: Person, wish_id: int, today: date) -> Wish:
    wish = db.session.scalar(visible_to(person, today).where(Wish.id == wish_id))
    if wish is None:
        raise NotFound(_("Not found."))
    return wish


def find_by_ref(ref: str) -> Wish | None:
    if not ref or ref[0].upper() != "W" or not ref[1:].isdigit():
        return None
    return db.session.get(Wish, int(ref[1:]))


# ---------------------------------------------------------------------------- helpers


def _event(
    wish: Wish,
    action: str,
    *,
    actor: Person | None,
    via: str,
    now: datetime,
    level: int | None = None,
    once_key: str | None = None,
    **detail: Any,
) -> WishEvent:
    event = WishEvent(
        wish_id=wish.id,
        community_id=wish.community_id,
        action=action,
        actor_id=actor.id if actor else None,
        via=via,
        at=now,
        level=level,
        once_key=once_key,
        detail=detail,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _holders(role: Role, wish: Wish, today: date) -> list[Person]:
    """Return the active holders of a head role over the wish's building, grid or community."""
    query = (
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(Post.role == role, Post.active_on(today), Person.active.is_(True))
    )
    if role == Role.BUILDING_HEAD:
        query = query.where(Post.building_id == wish.building_id)
    elif role == Role.GRID_LEADER:
        query = query.where(Post.grid_id == wish.grid_id)
    else:
        query = query.where(Post.community_id == wish.community_id)
    return list(db.session.scalars(query.distinct().order_by(Person.id)))


def _tell(
    kind: str,
    wish: Wish,
    to: Iterable[Person | Resident],
    key: str,
    now: datetime,
    params: Mapping[str, Any] | None = None,
    actions: tuple[tuple[str, str], ...] = (),
) -> None:
    recipients = list(to)
    if not recipients:
        return
    send_later(
        Message(
            kind=kind,
            params={"ref": wish.ref, **(params or {})},
            batch_key=f"wish:{wish.id}:{key}",
            ref=wish.ref,
            community_id=wish.community_id,
            actions=actions,
        ),
        recipients,
        now=now,
    )


def _where(wish: Wish) -> dict[str, str]:
    return {"building": wish.building.label, "category": CATEGORY_ZH.get(wish.category, "")}


def _check_text(text: str, limit: int, code: str, message: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > limit:
        raise WishError(message, code)
    return cleaned


def _set(wish: Wish, where: Iterable[ColumnElement[bool]], **values: Any) -> bool:
    """Change the wish only if it is still as `where` says; return whether this call did it."""
    result = db.session.execute(
        update(Wish)
        .where(Wish.id == wish.id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(wish)
    return bool(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- the steps


def post_wish(
    *,
    resident: Resident,
    category: str,
    text: str,
    by: Person | None,
    via: str,
    now: datetime | None = None,
    photo: Photo | None = None,
    need_id: int | None = None,
    tell_resident: bool = True,
) -> Wish:
    """Put a resident's wish on the problem wall and tell the resident."""
    now = now or utcnow()
    if category not in CATEGORIES:
        raise InvalidInput(_("Choose what kind of help is needed."))
    cleaned = _check_text(
        text,
        MAX_TEXT,
        "text",
        _("Write the wish in a few words, at most %(n)s characters.", n=MAX_TEXT),
    )
    household: Household = resident.household
    building: Building = household.building
    wish = Wish(
        community_id=building.community_id,
        grid_id=building.grid_id,
        building_id=building.id,
        resident_id=resident.id,
        category=category,
        text=cleaned,
        photo_id=photo.id if photo is not None else None,
        status=WishStatus.OPEN,
        posted_by_id=by.id if by is not None else None,
        via=via,
        posted_at=now,
        waiting_since=now,
        escalation_level=LEVEL_WALL,
        fulfilled_note="",
        need_id=need_id,
    )
    db.session.add(wish)
    db.session.flush()
    _event(wish, "posted", actor=by, via=via, now=now, category=category)
    if tell_resident:
        _tell("wish_posted", wish, [resident], "posted", now)
    return wish


def claim(wish: Wish, *, by: Person, via: str = "app", now: datetime | None = None) -> Wish:
    """Make `by` the one claimer; if someone else got there first, say so and change nothing."""
    now = now or utcnow()
    today = today_of(now)
    if not wall_of(by, today).covers(wish) and not oversees(by, wish, today):
        raise WishError(_("Not found."), "not_found")
    if wish.resident.person_id == by.id:
        raise WishError(_("You cannot take up your own wish."), "own")
    won = _set(
        wish,
        [Wish.status == WishStatus.OPEN, Wish.claimer_id.is_(None)],
        status=WishStatus.CLAIMED,
        claimer_id=by.id,
        claimed_at=now,
        resolved_level=Wish.escalation_level,
    )
    if not won:
        _refuse_if_withdrawn(wish)
        if wish.claimer_id == by.id:
            raise WishError(_("You have already taken up this wish."), "wrong_state")
        if wish.status != WishStatus.OPEN:
            raise WishError(
                _("Someone else took up wish %(ref)s first. Thank you all the same.", ref=wish.ref),
                "taken",
            )
        raise WishError(_("This wish cannot be taken up now."), "wrong_state")
    event = _event(wish, "claimed", actor=by, via=via, now=now, level=wish.resolved_level)
    _tell("wish_claimed", wish, [wish.resident], f"claimed:{event.id}", now, {"name": by.name})
    return wish


def _refuse_if_withdrawn(wish: Wish) -> None:
    if wish.status == WishStatus.WITHDRAWN:
        raise WishError(
            _("Wish %(ref)s was withdrawn: it is no longer needed.", ref=wish.ref), "withdrawn"
        )


def _claimer_only(wish: Wish, by: Person) -> None:
    if wish.claimer_id != by.id:
        raise WishError(_("Only the volunteer who took up this wish can do that."), "not_yours")


def hand_back(
    wish: Wish, *, by: Person, reason: str = "", via: str = "app", now: datetime | None = None
) -> Wish:
    """Return a claimed wish to the wall; the resident and the building head are told."""
    now = now or utcnow()
    _claimer_only(wish, by)
    back = _set(
        wish,
        [Wish.status == WishStatus.CLAIMED, Wish.claimer_id == by.id],
        status=WishStatus.OPEN,
        claimer_id=None,
        claimed_at=None,
        resolved_level=None,
        waiting_since=now,
    )
    if not back:
        _refuse_if_withdrawn(wish)
        raise WishError(_("This wish cannot be handed back now."), "wrong_state")
    event = _event(wish, "handed_back", actor=by, via=via, now=now, reason=reason.strip()[:500])
    key = f"handed_back:{event.id}"
    _tell("wish_handed_back", wish, [wish.resident], key, now, {"name": by.name})
    today = today_of(now)
    heads = _holders(Role.BUILDING_HEAD, wish, today) or _holders(Role.GRID_LEADER, wish, today)
    _tell("wish_handed_back_head", wish, heads, key, now, {"name": by.name, **_where(wish)})
    return wish


def can_withdraw(person: Person, wish: Wish, today: date) -> bool:
    """Whoever posted the wish and the heads over it may withdraw it for the resident."""
    return wish.posted_by_id == person.id or oversees(person, wish, today)


def withdraw(
    wish: Wish,
    *,
    by: Person | None,
    for_resident: bool,
    reason: str = "",
    via: str = "app",
    now: datetime | None = None,
) -> Wish:
    """Take a wish off the wall, claimed or not; its claimer (and, if a head did it, the
    resident) is told. `for_resident` says the caller checked that `by` speaks for the
    resident: their own phone or their household's contact.
    """
    now = now or utcnow()
    if not for_resident and (by is None or not can_withdraw(by, wish, today_of(now))):
        raise WishError(_("Only the resident or a head can withdraw this wish."), "not_found")
    why = " ".join((reason or "").split())
    if len(why) > MAX_REASON:
        raise WishError(
            _("Say why in at most %(n)s characters, or leave it empty.", n=MAX_REASON), "reason"
        )
    taken = _set(
        wish,
        [Wish.status.in_([WishStatus.OPEN, WishStatus.CLAIMED])],
        status=WishStatus.WITHDRAWN,
    )
    if not taken:
        _refuse_if_withdrawn(wish)
        raise WishError(_("This wish is done and can no longer be withdrawn."), "wrong_state")
    # An open wish has no claimer (handing back clears it): one here had taken it up.
    claimer = wish.claimer
    event = _event(
        wish,
        "withdrawn",
        actor=by,
        via=via,
        now=now,
        once_key="withdrawn",
        reason=why,
        for_resident=for_resident,
    )
    key = f"withdrawn:{event.id}"
    if claimer is not None:
        _tell("wish_withdrawn_claimer", wish, [claimer], key, now, _where(wish))
    if not for_resident:
        _tell("wish_withdrawn", wish, [wish.resident], key, now)
    if wish.need_id is not None:
        # Like the needs list's own "已办好": the answer goes into the resident's message.
        _settle_need(wish, why or "居民已不再需要", now)
    return wish


def rating_actions(wish: Wish) -> tuple[tuple[str, str], ...]:
    """Telegram buttons 1–5 that send "评分 W12 n" back."""
    return tuple((f"{n}★", f"评分 {wish.ref} {n}") for n in range(1, 6))


def fulfil(
    wish: Wish, *, by: Person, note: str, via: str = "app", now: datetime | None = None
) -> Wish:
    """Mark the wish done with a note; ask the resident to confirm and rate it."""
    now = now or utcnow()
    _claimer_only(wish, by)
    cleaned = _check_text(
        note,
        MAX_NOTE,
        "note",
        _("Say in a few words what was done, at most %(n)s characters.", n=MAX_NOTE),
    )
    done = _set(
        wish,
        [Wish.status == WishStatus.CLAIMED, Wish.claimer_id == by.id],
        status=WishStatus.FULFILLED,
        fulfilled_at=now,
        fulfilled_note=cleaned,
    )
    if not done:
        _refuse_if_withdrawn(wish)
        raise WishError(_("This wish cannot be marked done now."), "wrong_state")
    _event(wish, "fulfilled", actor=by, via=via, now=now, once_key="fulfilled")
    _tell(
        "wish_fulfilled",
        wish,
        [wish.resident],
        "fulfilled",
        now,
        {"note": cleaned},
        actions=rating_actions(wish),
    )
    if wish.need_id is not None:
        _settle_need(wish, cleaned, now)
    return wish


def _settle_need(wish: Wish, answer: str, now: datetime) -> None:
    """Close the needs-list item this wish came from, when the needs list is installed."""
    try:
        from services import needs
    except ImportError:
        return
    settle = getattr(needs, "settle_from", None)
    if settle is not None:
        settle(wish.ref, answer, now)


def rate(
    wish: Wish,
    rating: int,
    *,
    by: Person | None,
    via: str = "app",
    now: datetime | None = None,
) -> Wish:
    """Record the resident's 1–5 rating; a low one goes to the grid leader."""
    now = now or utcnow()
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise WishError(_("Choose a rating from 1 to 5."), "rating")
    if wish.status == WishStatus.CONFIRMED:
        raise WishError(_("This wish has already been rated."), "rated")
    rated = _set(
        wish,
        [Wish.status == WishStatus.FULFILLED, Wish.rating.is_(None)],
        status=WishStatus.CONFIRMED,
        rating=rating,
        rated_at=now,
    )
    if not rated:
        raise WishError(_("This wish cannot be rated now."), "wrong_state")
    _event(wish, "rated", actor=by, via=via, now=now, once_key="rated", rating=rating)
    if wish.claimer is not None:
        _tell("wish_rated_claimer", wish, [wish.claimer], "rated", now, {"rating": rating})
    if rating <= LOW_RATING:
        leaders = _holders(Role.GRID_LEADER, wish, today_of(now))
        params = {"rating": rating, **_where(wish)}
        _tell("wish_low_rating", wish, leaders, "low_rating", now, params)
    return wish


# ---------------------------------------------------------------------------- escalation

ESCALATION_ROLES = {
    LEVEL_BUILDING_HEAD: Role.BUILDING_HEAD,
    LEVEL_GRID_LEADER: Role.GRID_LEADER,
    LEVEL_SECRETARY: Role.SECRETARY,
}


def escalation_hours(settings: Mapping[str, float] | None) -> dict[str, float]:
    hours: dict[str, float] = dict(DEFAULT_ESCALATION_HOURS)
    hours.update(settings or {})
    return hours


def escalate_due(now: datetime, settings: Mapping[str, float] | None = None) -> list[WishEvent]:
    """Move each open wish that has waited too long one step up, telling that level once.

    Each step waits the category's time again: the building head after one period unclaimed,
    the grid leader after two, the secretary after three. A level with nobody in post is
    passed over to the next. Safe to run twice: the step is a conditional UPDATE from the
    level it saw, and the event carries a unique once_key.
    """
    hours = escalation_hours(settings)
    shortest = min(hours.values())
    candidates = db.session.scalars(
        select(Wish)
        .where(
            Wish.status == WishStatus.OPEN,
            Wish.escalation_level < LEVEL_SECRETARY,
            Wish.waiting_since <= now - timedelta(hours=shortest),
        )
        .order_by(Wish.id)
    ).all()
    today = today_of(now)
    done: list[WishEvent] = []
    for wish in candidates:
        period = timedelta(hours=hours.get(wish.category, hours["other"]))
        clock = wish.waiting_since
        if wish.escalated_at is not None and wish.escalated_at > clock:
            clock = wish.escalated_at
        if now - clock < period:
            continue
        seen = wish.escalation_level
        level, told = seen, list[Person]()
        while level < LEVEL_SECRETARY and not told:
            level += 1
            told = _holders(ESCALATION_ROLES[level], wish, today)
        try:
            with db.session.begin_nested():
                moved = _set(
                    wish,
                    [Wish.status == WishStatus.OPEN, Wish.escalation_level == seen],
                    escalation_level=level,
                    escalated_at=now,
                )
                if not moved:
                    continue
                event = _event(
                    wish,
                    "escalated",
                    actor=None,
                    via="system",
                    now=now,
                    level=level,
                    once_key=f"escalated:{level}",
                    told=[p.id for p in told],
                )
        except IntegrityError:
            continue  # another run recorded this step first
        waited = int((now - wish.waiting_since).total_seconds() // 3600)
        _tell(
            "wish_escalated",
            wish,
            told,
            f"escalated:{level}",
            now,
            {"hours": waited, **_where(wish)},
            actions=((f"认领 {wish.ref}", f"认领 {wish.ref}"),),
        )
        done.append(event)
    return done


# ---------------------------------------------------------------------------- figures


@dataclass
class Stats:
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_grid: list[tuple[Grid, dict[str, int]]] = field(default_factory=list)
    by_level: dict[int, int] = field(default_factory=dict)
    total: int = 0
    median_wait_hours: float | None = None  # posting to claim, over claimed wishes
    longest_open_hours: float | None = None
    open_over_a_day: int = 0
    average_rating: float | None = None


def stats(community_id: int, now: datetime) -> Stats:
    """Count a community's wishes by status, category and grid; measure how long they wait."""
    result = Stats()
    base = Wish.community_id == community_id
    for status, count in db.session.execute(
        select(Wish.status, func.count()).where(base).group_by(Wish.status)
    ):
        result.by_status[status] = count
        result.total += count
    for category, count in db.session.execute(
        select(Wish.category, func.count()).where(base).group_by(Wish.category)
    ):
        result.by_category[category] = count
    grid_rows: dict[int, dict[str, int]] = {}
    for grid_id, status, count in db.session.execute(
        select(Wish.grid_id, Wish.status, func.count())
        .where(base)
        .group_by(Wish.grid_id, Wish.status)
    ):
        grid_rows.setdefault(grid_id, {})[status] = count
    grids = db.session.scalars(
        select(Grid).where(Grid.community_id == community_id).order_by(Grid.number)
    ).all()
    result.by_grid = [(g, grid_rows.get(g.id, {})) for g in grids]
    for level, count in db.session.execute(
        select(Wish.resolved_level, func.count())
        .where(base, Wish.resolved_level.is_not(None))
        .group_by(Wish.resolved_level)
    ):
        if level is not None:
            result.by_level[int(level)] = count
    waits = [
        (claimed - posted).total_seconds() / 3600
        for posted, claimed in db.session.execute(
            select(Wish.posted_at, Wish.claimed_at).where(base, Wish.claimed_at.is_not(None))
        )
        if claimed is not None
    ]
    if waits:
        result.median_wait_hours = round(statistics.median(waits), 1)
    open_since = [
        (now - since).total_seconds() / 3600
        for since in db.session.scalars(
            select(Wish.waiting_since).where(base, Wish.status == WishStatus.OPEN)
        )
    ]
    if open_since:
        result.longest_open_hours = round(max(open_since), 1)
        result.open_over_a_day = sum(1 for h in open_since if h >= 24)
    average = db.session.scalar(select(func.avg(Wish.rating)).where(base, Wish.rating.is_not(None)))
    result.average_rating = round(float(average), 1) if average is not None else None
    return result


def open_wall(wall: Wall, grid_id: int | None = None) -> list[Wish]:
    """Return the open wishes a volunteer sees, those waiting longest first."""
    query = select(Wish).where(wall.clause(), Wish.status == WishStatus.OPEN)
    if grid_id is not None:
        query = query.where(Wish.grid_id == grid_id)
    return list(db.session.scalars(query.order_by(Wish.waiting_since).limit(200)))


def echo_wall(community_id: int, limit: int = 50) -> list[Wish]:
    """Return the answered wishes of a community, newest first (shown with no personal details)."""
    return list(
        db.session.scalars(
            select(Wish)
            .where(
                Wish.community_id == community_id,
                Wish.status.in_([WishStatus.FULFILLED, WishStatus.CONFIRMED]),
            )
            .order_by(Wish.fulfilled_at.desc())
            .limit(limit)
        )
    )


def residents_of(person: Person) -> list[Resident]:
    """Return the resident records a signed-in person is (their own home)."""
    return list(
        db.session.scalars(
            select(Resident).where(Resident.person_id == person.id).order_by(Resident.id)
        )
    )


def hours_waiting(wish: Wish, now: datetime) -> int:
    return max(int((now - wish.waiting_since).total_seconds() // 3600), 0)


def history(wish: Wish) -> list[WishEvent]:
    """Return the wish's steps, oldest first."""
    return list(
        db.session.scalars(
            select(WishEvent).where(WishEvent.wish_id == wish.id).order_by(WishEvent.id)
        )
    )


def wall_grids(wall: Wall) -> list[Grid]:
    """Return the grids a volunteer's wall spans, to filter by."""
    return list(
        db.session.scalars(
            select(Grid)
            .where(
                or_(
                    Grid.community_id.in_(wall.community_ids) if wall.community_ids else false(),
                    Grid.id.in_(wall.grid_ids) if wall.grid_ids else false(),
                )
            )
            .order_by(Grid.community_id, Grid.number)
        )
    )
