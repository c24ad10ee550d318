"""Who may see what: each person's area, and queries scoped to it.

A secretary or staff member sees their community, a grid leader their grid, a building head
their building. N members see their own work and residents their own household, through their
own pages. Anything outside the area is answered exactly as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.sql.base import ExecutableOption

from models import Building, Community, Grid, Household, Person, Post, Resident, db
from models.roles import Role
from services.errors import NotFound

T = TypeVar("T")


@dataclass(frozen=True)
class Area:
    community_ids: frozenset[int] = frozenset()
    grid_ids: frozenset[int] = frozenset()
    building_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.community_ids or self.grid_ids or self.building_ids)

    def building_clause(self) -> ColumnElement[bool]:
        """Return a WHERE clause on Building matching the buildings in this area."""
        parts: list[ColumnElement[bool]] = []
        if self.community_ids:
            parts.append(Building.community_id.in_(self.community_ids))
        if self.grid_ids:
            parts.append(Building.grid_id.in_(self.grid_ids))
        if self.building_ids:
            parts.append(Building.id.in_(self.building_ids))
        return or_(*parts) if parts else false()

    def grid_clause(self) -> ColumnElement[bool]:
        """Return a WHERE clause on Grid matching the grids this area covers whole."""
        parts: list[ColumnElement[bool]] = []
        if self.community_ids:
            parts.append(Grid.community_id.in_(self.community_ids))
        if self.grid_ids:
            parts.append(Grid.id.in_(self.grid_ids))
        return or_(*parts) if parts else false()


def area_of(person: Person, today: date) -> Area:
    """Return the area a person looks after through their active posts."""
    communities: set[int] = set()
    grids: set[int] = set()
    buildings: set[int] = set()
    for post in person.active_posts(today):
        if post.role in (Role.SECRETARY, Role.STAFF):
            communities.add(post.community_id)
        elif post.role == Role.GRID_LEADER and post.grid_id is not None:
            grids.add(post.grid_id)
        elif post.role == Role.BUILDING_HEAD and post.building_id is not None:
            buildings.add(post.building_id)
    return Area(frozenset(communities), frozenset(grids), frozenset(buildings))


def communities_run_by(person: Person, today: date) -> list[int]:
    """Return the ids of the communities where the person is secretary or staff."""
    return sorted(area_of(person, today).community_ids)


def visible_grids(area: Area) -> Select[Grid]:
    return select(Grid).where(area.grid_clause())


def visible_buildings(area: Area) -> Select[Building]:
    return select(Building).where(area.building_clause())


def visible_households(area: Area, *, with_gone: bool = False) -> Select[Household]:
    """Return the area's households; moved-out ones only `with_gone` (to open their history)."""
    query = select(Household).join(Building).where(area.building_clause())
    return query if with_gone else query.where(Household.current())


def visible_residents(area: Area, *, with_gone: bool = False) -> Select[Resident]:
    """Return the area's residents; the deceased and moved out only `with_gone`."""
    query = select(Resident).join(Household).join(Building).where(area.building_clause())
    return query if with_gone else query.where(Household.current(), Resident.living())


def visible_communities(area: Area) -> Select[Community]:
    ids = set(area.community_ids)
    return select(Community).where(Community.id.in_(ids) if ids else false())


def _one(query: Select[Any]) -> Any:
    row = db.session.scalar(query)
    if row is None:
        raise NotFound(_("Not found."))
    return row


def get_grid(area: Area, grid_id: int) -> Grid:
    return _one(visible_grids(area).where(Grid.id == grid_id))


def get_building(area: Area, building_id: int) -> Building:
    return _one(visible_buildings(area).where(Building.id == building_id))


def get_household(area: Area, household_id: int, *options: ExecutableOption) -> Household:
    """The area's household (`options`: what its page shows with it, loaded in the same go)."""
    # A moved-out household still opens: its visits and wishes are kept for the ledgers.
    query = visible_households(area, with_gone=True).where(Household.id == household_id)
    return _one(query.options(*options) if options else query)


def get_resident(area: Area, resident_id: int) -> Resident:
    return _one(visible_residents(area, with_gone=True).where(Resident.id == resident_id))


def get_community(area: Area, community_id: int) -> Community:
    return _one(visible_communities(area).where(Community.id == community_id))


def get_post(area: Area, post_id: int) -> Post:
    """Return a post in a community the area covers whole (posts are managed by staff)."""
    ids = set(area.community_ids)
    return _one(
        select(Post).where(Post.id == post_id, Post.community_id.in_(ids) if ids else false())
    )


def own_households(person: Person) -> Select[Household]:
    """Return the households where the person is a resident (their own home)."""
    return select(Household).where(
        Household.id.in_(select(Resident.household_id).where(Resident.person_id == person.id))
    )
