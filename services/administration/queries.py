"""Who administers what, and what an administrator may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from models import (
    Administrator,
    Building,
    Community,
    Grid,
    Household,
    InboundMessage,
    Person,
    Post,
    Resident,
    Street,
    db,
)
from models.roles import Role
from services.errors import NotFound


def grants(person: Person, today: date) -> list[Administrator]:
    """Return the person's administrator grants held today."""
    return [g for g in person.administrator_grants if g.is_active(today)]


def is_administrator(person: Person | None, today: date) -> bool:
    return person is not None and bool(grants(person, today))


def streets(person: Person, today: date) -> list[Street]:
    """Return the streets the person administers, by name."""
    found = [g.street for g in grants(person, today) if g.street is not None]
    return sorted(found, key=lambda s: s.name)


def administered_street(person: Person, code: str, today: date) -> Street:
    """Return the street with this code if the person administers it; else NotFound (a
    community's administrator administers no street)."""
    for street in streets(person, today):
        if street.code == code:
            return street
    raise NotFound(code)


def _communities_query(person: Person, today: date) -> Select[tuple[Community]]:
    held = grants(person, today)
    street_ids = [g.street_id for g in held if g.street_id is not None]
    community_ids = [g.community_id for g in held if g.community_id is not None]
    if not street_ids and not community_ids:
        return select(Community).where(false())
    return select(Community).where(
        or_(Community.street_id.in_(street_ids), Community.id.in_(community_ids))
    )


def communities(person: Person, today: date) -> list[Community]:
    """Return every community the person administers: their streets' and their own grants'."""
    return list(
        db.session.scalars(
            _communities_query(person, today)
            .options(selectinload(Community.street))
            .order_by(Community.name, Community.id)
        )
    )


def administers(person: Person, community: Community, today: date) -> bool:
    return any(
        g.community_id == community.id
        or (g.street_id is not None and g.street_id == community.street_id)
        for g in grants(person, today)
    )


def is_secretary_of(person: Person, community: Community, today: date) -> bool:
    return any(
        p.role == Role.SECRETARY and p.community_id == community.id
        for p in person.active_posts(today)
    )


def _by_code(code: str) -> Community:
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None:
        raise NotFound(code)
    return community


def administered(person: Person, code: str, today: date) -> Community:
    """Return the community with this code if the person administers it; else NotFound."""
    community = _by_code(code)
    if not administers(person, community, today):
        raise NotFound(code)
    return community


def for_settings(person: Person, code: str, today: date) -> Community:
    """Return the community whose settings the person may open: its administrators', its
    secretary's; NotFound for anyone else, as for a community that does not exist."""
    community = _by_code(code)
    if not (administers(person, community, today) or is_secretary_of(person, community, today)):
        raise NotFound(code)
    return community


def secretaries(community_ids: list[int], today: date) -> dict[int, list[Person]]:
    """Return the secretaries in post today, by community."""
    found: dict[int, list[Person]] = {}
    if not community_ids:
        return found
    rows = db.session.execute(
        select(Post.community_id, Person)
        .join(Person, Person.id == Post.person_id)
        .where(
            Post.community_id.in_(community_ids),
            Post.role == Role.SECRETARY,
            Post.active_on(today),
        )
        .order_by(Post.id)
    ).all()
    for community_id, person in rows:
        found.setdefault(community_id, []).append(person)
    return found


@dataclass(frozen=True)
class Setup:
    """How far a new community's set-up has come: what its roster holds so far."""

    grids: int
    buildings: int
    households: int


def setup(community: Community) -> Setup:
    """Return the grids, buildings and households (living here) the community has so far."""
    grids = db.session.scalar(select(func.count(Grid.id)).where(Grid.community_id == community.id))
    buildings = db.session.scalar(
        select(func.count(Building.id)).where(Building.community_id == community.id)
    )
    households = db.session.scalar(
        select(func.count(Household.id))
        .join(Building)
        .where(Building.community_id == community.id, Household.current())
    )
    return Setup(int(grids or 0), int(buildings or 0), int(households or 0))


def _unknown_sender() -> list[object]:
    # Nobody on any roster has the number: not a person, not a resident, not a household's
    # contact (the SQL twin of notify.inbound.strangers).
    sender = InboundMessage.from_address
    return [
        InboundMessage.person_id.is_(None),
        ~exists().where(Person.phone == sender),
        ~exists().where(Resident.phone == sender),
        ~exists().where(Household.contact_phone == sender),
    ]


def strangers_texts(
    person: Person, today: date, *, page: int, per_page: int
) -> list[InboundMessage]:
    """Return texts from unknown senders the person may see, newest first (one page + 1).

    A community's administrators see those that came to their communities; street
    administrators also those that reached no community at all (to no community's number),
    which no community's staff see.
    """
    held = grants(person, today)
    ids = [c.id for c in communities(person, today)]
    places = []
    if ids:
        places.append(InboundMessage.community_id.in_(ids))
    if any(g.street_id is not None for g in held):
        places.append(InboundMessage.community_id.is_(None))
    if not places:
        return []
    return list(
        db.session.scalars(
            select(InboundMessage)
            .where(and_(or_(*places), *_unknown_sender()))  # type: ignore[arg-type]
            .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page + 1)
        )
    )


def all_grants(today: date) -> list[Administrator]:
    """Return every grant held today, for `flask admin list`."""
    return list(
        db.session.scalars(
            select(Administrator)
            .where(Administrator.active_on(today))
            .options(
                selectinload(Administrator.person),
                selectinload(Administrator.street),
                selectinload(Administrator.community),
            )
            .order_by(Administrator.id)
        )
    )
