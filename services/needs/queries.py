"""The needs list as people see it: whose needs, in which order, how old, and the figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from models import Decision, Household, Need, NeedSource, NeedStatus, Person, Post, db
from models.clock import at, month_start, today_of
from models.roles import Permission, Role
from services.errors import NotFound
from services.roster import permissions
from services.roster.areas import Area

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
    "property": lazy_gettext("Property management"),
    "other": lazy_gettext("Other"),
}
DECISIONS: dict[str, Any] = {
    Decision.SOLVED: lazy_gettext("Solved on the spot"),
    Decision.WISH: lazy_gettext("Turned into a micro-wish"),
    Decision.WORK_ORDER: lazy_gettext("Turned into a work order"),
    Decision.REFERRED: lazy_gettext("Referred to a partner unit"),
    Decision.DECLINED: lazy_gettext("Declined"),
    Decision.MEDIATION: lazy_gettext("Taken up for mediation"),
}
# Where a need came from, as the needs list says it.
SOURCES: dict[str, Any] = {
    NeedSource.VISIT: lazy_gettext("Home visit"),
    NeedSource.OBSERVER: lazy_gettext("Observer"),
    NeedSource.RESIDENT: lazy_gettext("Resident"),
    NeedSource.PATROL: lazy_gettext("Patrol"),
    NeedSource.MEETING: lazy_gettext("Meeting suggestion"),
}
STATUSES = ("open", "in_hand", "answered")


def source_label(source: str) -> str:
    """Return how the needs list names where a need came from."""
    label = SOURCES.get(source)
    return str(label) if label is not None else source


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


STATUS_OF = {"open": NeedStatus.OPEN, "in_hand": NeedStatus.IN_HAND}


def count_needs(area: Area, *, status: str = "open") -> int:
    """Return how many needs of the area are in the list `status` (as list_needs shows it)."""
    wanted = STATUS_OF.get(status, NeedStatus.ANSWERED)
    query = needs_in(area).where(Need.status == wanted)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def list_needs(
    area: Area, *, status: str = "open", limit: int = 200, offset: int = 0
) -> list[Need]:
    query = needs_in(area).options(
        selectinload(Need.household).selectinload(Household.building),
        selectinload(Need.building),
        selectinload(Need.raised_by),
        selectinload(Need.decided_by),
    )
    if status == "open":
        query = query.where(Need.status == NeedStatus.OPEN).order_by(Need.created_at)
    elif status == "in_hand":
        query = query.where(Need.status == NeedStatus.IN_HAND).order_by(Need.created_at)
    else:
        query = query.where(Need.status == NeedStatus.ANSWERED).order_by(Need.answered_at.desc())
    return list(db.session.scalars(query.offset(offset).limit(limit)))


@dataclass(frozen=True)
class NeedRow:
    """A need as the list shows it, in plain values: rows kept between pages hold no objects."""

    id: int
    community_id: int
    grid_id: int | None
    household_id: int | None
    resident_id: int | None
    category: str
    status: str
    text: str
    where: str
    photo_id: int | None
    source: str
    raised_by_name: str | None
    created_at: datetime
    decision: str | None
    converted_ref: str | None
    partner_unit_id: int | None
    decided_by_name: str | None
    answer: str

    @classmethod
    def of(cls, need: Need) -> NeedRow:
        return cls(
            id=need.id,
            community_id=need.community_id,
            grid_id=need.grid_id,
            household_id=need.household_id,
            resident_id=need.resident_id,
            category=need.category,
            status=need.status,
            text=need.text,
            where=need.where,
            photo_id=need.photo_id,
            source=need.source,
            raised_by_name=need.raised_by.name if need.raised_by else None,
            created_at=need.created_at,
            decision=need.decision,
            converted_ref=need.converted_ref,
            partner_unit_id=need.partner_unit_id,
            decided_by_name=need.decided_by.name if need.decided_by else None,
            answer=need.answer,
        )


def need_rows(
    area: Area, *, status: str = "open", limit: int = 200, offset: int = 0
) -> list[NeedRow]:
    """The needs list of `list_needs`, as plain rows."""
    return [NeedRow.of(n) for n in list_needs(area, status=status, limit=limit, offset=offset)]


def count_open(area: Area) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(
                needs_in(area).where(Need.status == NeedStatus.OPEN).subquery()
            )
        )
        or 0
    )


def age_days(need: Need | NeedRow, now: datetime) -> int:
    return max(0, (now - need.created_at).days)


def is_old(need: Need | NeedRow, now: datetime) -> bool:
    return need.status == NeedStatus.OPEN and now - need.created_at > timedelta(days=OLD_AFTER_DAYS)


def may_decide(person: Person, need: Need | NeedRow, today: date) -> bool:
    """Return whether the person is the secretary of the need's community or its grid leader.

    The post's role must also carry the permission to decide needs (a community may take it
    from its grid leaders).
    """
    return may_decide_under(permissions.posts_with(person, Permission.DECIDE_NEEDS, today), need)


def may_decide_under(deciding: Iterable[Post], need: Need | NeedRow) -> bool:
    """`may_decide` for posts already known to carry the permission (a list asks per row)."""
    for post in deciding:
        if post.role == Role.SECRETARY and post.community_id == need.community_id:
            return True
        if (
            post.role == Role.GRID_LEADER
            and need.grid_id is not None
            and post.grid_id == need.grid_id
        ):
            return True
    return False


def resident_needs(resident_ids: list[int], limit: int = 50) -> list[Need]:
    """Return the needs these residents raised (or that name them), newest first."""
    return list(
        db.session.scalars(
            select(Need)
            .where(Need.resident_id.in_(resident_ids))
            .order_by(Need.created_at.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class NeedFigures:
    open: int
    old: int
    in_hand: int
    answered_this_month: int


def figures(area: Area, now: datetime) -> NeedFigures:
    """Return the area's open, old, in-hand and answered-this-month (community calendar) needs."""
    month_began = at(month_start(today_of(now)), time())
    base = needs_in(area).subquery()
    old_before = now - timedelta(days=OLD_AFTER_DAYS)
    rows = db.session.execute(
        select(
            func.count().filter(base.c.status == NeedStatus.OPEN),
            func.count().filter(base.c.status == NeedStatus.OPEN, base.c.created_at < old_before),
            func.count().filter(base.c.status == NeedStatus.IN_HAND),
            func.count().filter(
                base.c.status == NeedStatus.ANSWERED, base.c.answered_at >= month_began
            ),
        )
    ).one()
    return NeedFigures(*(int(x or 0) for x in rows))
