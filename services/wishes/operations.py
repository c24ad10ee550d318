"""Micro-wishes' state changes: post, claim (one winner), hand back, fulfil, rate, withdraw.

Every step is recorded as a WishEvent (who, when, by which channel) for the ledgers, and the
resident is told on their own channel. Claims and every other change of state are conditional
UPDATEs, so two volunteers pressing "claim" at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select, update

from models import Building, Household, Person, Photo, Post, Resident, db
from models.clock import today_of, utcnow
from models.roles import Role
from models.wishes import LEVEL_WALL, Wish, WishEvent, WishStatus
from notify.message import Message
from notify.outbox import send_later
from notify.templates import MessageKind
from services.errors import DomainError, InvalidInput
from services.needs import operations as needs
from services.wishes import messages
from services.wishes.queries import can_withdraw, oversees, wall_of

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


class WishError(DomainError):
    """A refused step; `code` names the SMS answer that explains it."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------- helpers


def record_event(
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


def holders(role: Role, wish: Wish, today: date) -> list[Person]:
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


def tell(
    kind: MessageKind,
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
            kind=kind.name,
            params={"ref": wish.ref, **(params or {})},
            batch_key=f"wish:{wish.id}:{key}",
            ref=wish.ref,
            community_id=wish.community_id,
            actions=actions,
        ),
        recipients,
        now=now,
    )


def where_of(wish: Wish) -> dict[str, str]:
    return {"building": wish.building.label, "category": CATEGORY_ZH.get(wish.category, "")}


def _check_text(text: str, limit: int, code: str, message: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > limit:
        raise WishError(message, code)
    return cleaned


def change_if(wish: Wish, where: Iterable[ColumnElement[bool]], **values: Any) -> bool:
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
    record_event(wish, "posted", actor=by, via=via, now=now, category=category)
    if tell_resident:
        tell(messages.WISH_POSTED, wish, [resident], "posted", now)
    return wish


def claim(wish: Wish, *, by: Person, via: str = "app", now: datetime | None = None) -> Wish:
    """Make `by` the one claimer; if someone else got there first, say so and change nothing."""
    now = now or utcnow()
    today = today_of(now)
    if not wall_of(by, today).covers(wish) and not oversees(by, wish, today):
        raise WishError(_("Not found."), "not_found")
    if wish.resident.person_id == by.id:
        raise WishError(_("You cannot take up your own wish."), "own")
    won = change_if(
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
    event = record_event(wish, "claimed", actor=by, via=via, now=now, level=wish.resolved_level)
    tell(
        messages.WISH_CLAIMED, wish, [wish.resident], f"claimed:{event.id}", now, {"name": by.name}
    )
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
    back = change_if(
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
    event = record_event(
        wish, "handed_back", actor=by, via=via, now=now, reason=reason.strip()[:500]
    )
    key = f"handed_back:{event.id}"
    tell(messages.WISH_HANDED_BACK, wish, [wish.resident], key, now, {"name": by.name})
    today = today_of(now)
    heads = holders(Role.BUILDING_HEAD, wish, today) or holders(Role.GRID_LEADER, wish, today)
    tell(messages.WISH_HANDED_BACK_HEAD, wish, heads, key, now, {"name": by.name, **where_of(wish)})
    return wish


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
    taken = change_if(
        wish,
        [Wish.status.in_([WishStatus.OPEN, WishStatus.CLAIMED])],
        status=WishStatus.WITHDRAWN,
    )
    if not taken:
        _refuse_if_withdrawn(wish)
        raise WishError(_("This wish is done and can no longer be withdrawn."), "wrong_state")
    # An open wish has no claimer (handing back clears it): one here had taken it up.
    claimer = wish.claimer
    event = record_event(
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
        tell(messages.WISH_WITHDRAWN_CLAIMER, wish, [claimer], key, now, where_of(wish))
    if not for_resident:
        tell(messages.WISH_WITHDRAWN, wish, [wish.resident], key, now)
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
    done = change_if(
        wish,
        [Wish.status == WishStatus.CLAIMED, Wish.claimer_id == by.id],
        status=WishStatus.FULFILLED,
        fulfilled_at=now,
        fulfilled_note=cleaned,
    )
    if not done:
        _refuse_if_withdrawn(wish)
        raise WishError(_("This wish cannot be marked done now."), "wrong_state")
    record_event(wish, "fulfilled", actor=by, via=via, now=now, once_key="fulfilled")
    tell(
        messages.WISH_FULFILLED,
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
    """Close the needs-list item this wish came from (a second call changes nothing)."""
    needs.settle_from(wish.ref, answer, now)


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
    rated = change_if(
        wish,
        [Wish.status == WishStatus.FULFILLED, Wish.rating.is_(None)],
        status=WishStatus.CONFIRMED,
        rating=rating,
        rated_at=now,
    )
    if not rated:
        raise WishError(_("This wish cannot be rated now."), "wrong_state")
    record_event(wish, "rated", actor=by, via=via, now=now, once_key="rated", rating=rating)
    if wish.claimer is not None:
        tell(messages.WISH_RATED_CLAIMER, wish, [wish.claimer], "rated", now, {"rating": rating})
    if rating <= LOW_RATING:
        leaders = holders(Role.GRID_LEADER, wish, today_of(now))
        params = {"rating": rating, **where_of(wish)}
        tell(messages.WISH_LOW_RATING, wish, leaders, "low_rating", now, params)
    return wish
