"""What a person may see of the wishes: the wall, the area, their own; the lists and figures."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, false, func, or_, select

from models import Building, Grid, Household, Person, Resident, db
from models.roles import Permission
from models.wishes import (
    LEVEL_BUILDING_HEAD,
    LEVEL_GRID_LEADER,
    LEVEL_SECRETARY,
    LEVEL_WALL,
    Wish,
    WishEvent,
    WishStatus,
)
from services.errors import NotFound
from services.roster import areas, permissions

LEVEL_NAMES: dict[int, Any] = {
    LEVEL_WALL: _l("Problem wall"),
    LEVEL_BUILDING_HEAD: _l("Building head"),
    LEVEL_GRID_LEADER: _l("Grid leader"),
    LEVEL_SECRETARY: _l("Secretary"),
}


# ---------------------------------------------------------------------------- who sees what


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
    # Only posts whose role may see the wall (a community may take it from a role).
    for post in permissions.posts_with(person, Permission.SEE_WALL, today):
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


def can_withdraw(person: Person, wish: Wish, today: date) -> bool:
    """Whoever posted the wish and the heads over it may withdraw it for the resident."""
    return wish.posted_by_id == person.id or oversees(person, wish, today)


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


def residents_of(person: Person) -> list[Resident]:
    """Return the resident records a signed-in person is (their own home)."""
    return list(
        db.session.scalars(
            select(Resident)
            .join(Household, Household.id == Resident.household_id)
            .where(Resident.person_id == person.id, Household.current(), Resident.living())
            .order_by(Resident.id)
        )
    )


# ---------------------------------------------------------------------------- lists


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
