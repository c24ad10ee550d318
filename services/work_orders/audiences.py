"""Whom a work order (or a mobilisation) goes to: grids, posts, partner units, named people."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, false, func, select, union

from models import Community, Grid, PartnerUnit, Person, Post, db
from services.errors import InvalidInput
from services.roster import posts


@dataclass(frozen=True)
class Audience:
    """Whom an order (or a mobilisation) goes to.

    Grids and posts narrow each other (these posts in these grids); partner units' members and
    named people are added to them. Everyone is reached once.
    """

    grids: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    partner_units: tuple[int, ...] = ()
    people: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.grids or self.roles or self.partner_units or self.people)

    def as_json(self) -> dict[str, list[Any]]:
        return {
            "grids": list(self.grids),
            "roles": list(self.roles),
            "partner_units": list(self.partner_units),
            "people": list(self.people),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Audience:
        data = data or {}
        return cls(
            tuple(int(x) for x in data.get("grids", ())),
            tuple(str(x) for x in data.get("roles", ())),
            tuple(int(x) for x in data.get("partner_units", ())),
            tuple(int(x) for x in data.get("people", ())),
        )


def post_holders(
    community_id: int, audience: Audience, today: date, grid_id: int | None = None
) -> Select[Any] | None:
    """Return the ids of the people the grids and posts pick, or None when neither is given.

    Grids and posts narrow each other: "patrollers" in "grid 1" are grid 1's patrollers, not
    grid 1's people and every patroller besides. Either alone picks what it names.
    """
    if not (audience.grids or audience.roles):
        return None
    query = select(Post.person_id).where(Post.community_id == community_id, Post.active_on(today))
    if grid_id is not None:
        query = query.where(Post.grid_id == grid_id)
    if audience.grids:
        query = query.where(Post.grid_id.in_(audience.grids))
    if audience.roles:
        query = query.where(Post.role.in_(audience.roles))
    return query


def audience_people(
    community_id: int, audience: Audience, today: date, grid_id: int | None = None
) -> list[Person]:
    """Return the active people an audience reaches, each once (a grid order: in that grid)."""
    return list(db.session.scalars(audience_query(community_id, audience, today, grid_id)))


def audience_query(
    community_id: int, audience: Audience, today: date, grid_id: int | None = None
) -> Select[Any]:
    """Return the people an audience reaches, by id, for reading at once or in chunks.

    (Posts in the grids chosen) + members of the partner units chosen + the people named;
    within a grid leader's order every part stays inside their grid.
    """
    parts: list[Select[Any]] = []
    holders = post_holders(community_id, audience, today, grid_id)
    if holders is not None:
        parts.append(holders)
    in_scope = [Post.community_id == community_id, Post.active_on(today)]
    if grid_id is not None:
        in_scope.append(Post.grid_id == grid_id)
    in_grid = Person.id.in_(select(Post.person_id).where(*in_scope))
    if audience.partner_units:
        unit_members = select(Person.id).where(Person.partner_unit_id.in_(audience.partner_units))
        parts.append(unit_members.where(in_grid) if grid_id is not None else unit_members)
    if audience.people:
        named = select(Person.id).where(Person.id.in_(audience.people))
        parts.append(named.where(in_grid) if grid_id is not None else named)
    if not parts:
        return select(Person).where(false())
    return (
        select(Person)
        .where(Person.id.in_(union(*parts)), Person.active.is_(True))
        .order_by(Person.id)
    )


def reaches_anyone(
    community_id: int, audience: Audience, today: date, grid_id: int | None = None
) -> bool:
    """Return whether the audience reaches at least one active person (one quick query)."""
    query = audience_query(community_id, audience, today, grid_id)
    return db.session.scalar(query.with_only_columns(Person.id).limit(1)) is not None


def count_reached(
    community_id: int, audience: Audience, today: date, grid_id: int | None = None
) -> int:
    """Return how many active people the audience reaches."""
    ids = audience_query(community_id, audience, today, grid_id).with_only_columns(Person.id)
    found = db.session.scalar(select(func.count()).select_from(ids.order_by(None).subquery()))
    return int(found or 0)


def check_audience(community: Community, audience: Audience, grid: Grid | None) -> None:
    """Refuse an empty audience, or one naming grids, units or people outside the scope."""
    if audience.empty:
        raise InvalidInput(_("Choose whom it goes to: grids, posts, partner units or people."))
    if audience.grids:
        found = set(
            db.session.scalars(
                select(Grid.id).where(
                    Grid.id.in_(audience.grids), Grid.community_id == community.id
                )
            )
        )
        if found != set(audience.grids) or (grid is not None and found - {grid.id}):
            raise InvalidInput(_("That grid is not in your area."))
    if audience.roles:
        known = {code for code, _name in posts.roles_for(community.id)}
        if set(audience.roles) - known:
            raise InvalidInput(_("Unknown post."))
    if audience.partner_units:
        found = set(
            db.session.scalars(
                select(PartnerUnit.id).where(
                    PartnerUnit.id.in_(audience.partner_units),
                    PartnerUnit.community_id == community.id,
                )
            )
        )
        if found != set(audience.partner_units):
            raise InvalidInput(_("That partner unit is not in this community."))
    if audience.people:
        found = set(
            db.session.scalars(
                select(Post.person_id).where(
                    Post.person_id.in_(audience.people),
                    Post.community_id == community.id,
                    Post.grid_id == grid.id if grid is not None else Post.id.isnot(None),
                )
            )
        ) | set(
            db.session.scalars(
                select(Person.id)
                .join(PartnerUnit, Person.partner_unit_id == PartnerUnit.id)
                .where(Person.id.in_(audience.people), PartnerUnit.community_id == community.id)
            )
            if grid is None
            else []
        )
        if found != set(audience.people):
            raise InvalidInput(_("That person does not serve in your area."))


@dataclass(frozen=True)
class Pickable:
    """A person in the people picker, with where and as what they serve (grid · post)."""

    id: int
    name: str
    placed: str  # "一网格 · 义务巡逻员；二网格 · 楼栋长"


def pickable_people(
    community_id: int, today: date, grid_id: int | None = None, limit: int = 500
) -> list[Pickable]:
    """Return the active people an audience may name, by name, each with their grid and post."""
    rows = db.session.execute(
        select(Person.id, Person.name, Post.role, Grid.name)
        .join(Post, Post.person_id == Person.id)
        .outerjoin(Grid, Post.grid_id == Grid.id)
        .where(
            Post.community_id == community_id,
            Post.active_on(today),
            Person.active.is_(True),
            Post.grid_id == grid_id if grid_id is not None else Post.id.isnot(None),
        )
        .order_by(Person.name, Person.id, Grid.number, Post.role)
    ).all()
    roles = dict(posts.roles_for(community_id))
    found: dict[int, tuple[str, list[str]]] = {}
    for person_id, name, role, grid_name in rows:
        if person_id not in found:
            if len(found) >= limit:
                break
            found[person_id] = (name, [])
        where = f"{grid_name} · " if grid_name else ""
        found[person_id][1].append(f"{where}{roles.get(role, role)}")
    return [Pickable(pid, name, "；".join(placed)) for pid, (name, placed) in found.items()]
