"""Wishes that wait unclaimed go up a level: building head, then grid leader, then secretary."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Community, Person, db
from models.clock import today_of
from models.roles import Role
from models.wishes import (
    LEVEL_BUILDING_HEAD,
    LEVEL_GRID_LEADER,
    LEVEL_SECRETARY,
    Wish,
    WishEvent,
    WishStatus,
)
from services.wishes import messages
from services.wishes.operations import change_if, holders, record_event, tell, where_of
from services.work_groups import telling as work_groups

# Hours a wish may wait unclaimed before each escalation step; overridden by the
# WISH_ESCALATION_HOURS setting, and that by a community's own (Community.wish_escalation_hours).
DEFAULT_ESCALATION_HOURS = {
    "repair": 24,
    "errand": 12,
    "escort": 6,
    "paperwork": 48,
    "care": 24,
    "other": 24,
}
ESCALATION_ROLES = {
    LEVEL_BUILDING_HEAD: Role.BUILDING_HEAD,
    LEVEL_GRID_LEADER: Role.GRID_LEADER,
    LEVEL_SECRETARY: Role.SECRETARY,
}


def escalation_hours(settings: Mapping[str, float] | None) -> dict[str, float]:
    hours: dict[str, float] = dict(DEFAULT_ESCALATION_HOURS)
    hours.update(settings or {})
    return hours


def hours_by_community(base: Mapping[str, float]) -> dict[int, dict[str, float]]:
    """Return the hours of each community that set its own, over `base` for the rest."""
    own = db.session.execute(select(Community.id, Community.wish_escalation_hours)).all()
    return {
        community_id: {**base, **{k: float(v) for k, v in hours.items() if k in base}}
        for community_id, hours in own
        if hours
    }


def escalate_due(now: datetime, settings: Mapping[str, float] | None = None) -> list[WishEvent]:
    """Move each open wish that has waited too long one step up, telling that level once.

    Each step waits the category's time again: the building head after one period unclaimed,
    the grid leader after two, the secretary after three. A level with nobody in post is
    passed over to the next. Safe to run twice: the step is a conditional UPDATE from the
    level it saw, and the event carries a unique once_key.
    """
    base = escalation_hours(settings)
    by_community = hours_by_community(base)
    shortest = min([*base.values(), *(h for c in by_community.values() for h in c.values())])
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
        hours = by_community.get(wish.community_id, base)
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
            told = holders(ESCALATION_ROLES[level], wish, today)
        try:
            with db.session.begin_nested():
                moved = change_if(
                    wish,
                    [Wish.status == WishStatus.OPEN, Wish.escalation_level == seen],
                    escalation_level=level,
                    escalated_at=now,
                )
                if not moved:
                    continue
                event = record_event(
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
        tell(
            messages.WISH_ESCALATED,
            wish,
            told,
            f"escalated:{level}",
            now,
            {"hours": waited, **where_of(wish)},
            actions=((f"认领 {wish.ref}", f"认领 {wish.ref}"),),
        )
        work_groups.wish_escalated(wish, where_of(wish)["category"], waited, now)
        done.append(event)
    return done
