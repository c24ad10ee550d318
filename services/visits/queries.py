"""Who visits which households, the list of them ("my households"), and a household's visits.

The list is plain rows read in a couple of grouped queries, so it costs the same at district
scale; a household is named in an SMS by a short code such as 3-2-501.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Integer, case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from models import Building, Household, HouseholdMonth, Person, Resident, Visit, db
from models.clock import month_start
from models.roles import N_MEMBER_ROLES, Permission
from services.errors import InvalidInput, NotFound
from services.roster import permissions
from services.roster.areas import Area
from services.roster.queries import ELDERLY_AGE


class OutsideArea(NotFound):
    """The household is not one the visitor looks after."""


def visit_area(person: Person, today: date, permission: Permission = Permission.LOG_VISITS) -> Area:
    """Return the households a person visits: heads their building, N members their post's area.

    A secretary or staff member covers the community and a grid leader the grid. An N member
    covers the grid or building their post is placed in; an N member whose post covers the whole
    community has no households of their own to visit (the community is the staff's to share
    out), so their list is empty and the page says why. Only posts whose role carries the
    permission count (by default, visiting: a patroller visits no households).
    """
    return permissions.area_with(person, permission, today)


def has_community_wide_n_post(person: Person, today: date) -> bool:
    return any(
        (p.role in N_MEMBER_ROLES or p.builtin_role is None)
        and p.grid_id is None
        and p.building_id is None
        for p in person.active_posts(today)
    )


def household_in_area(area: Area, household_id: int) -> Household:
    """Return the household if the area covers it; otherwise raise OutsideArea."""
    household = db.session.scalar(
        select(Household)
        .join(Building)
        .where(Household.id == household_id, area.building_clause())
        .options(selectinload(Household.building))
    )
    if household is None:
        raise OutsideArea(_("This household is not in your area: you can only log visits there."))
    return household


def households_with_residents(area: Area, household_ids: Sequence[int]) -> list[Household]:
    """Return the area's households among the ids, in the ids' order, residents loaded."""
    if not household_ids:
        return []
    found = {
        h.id: h
        for h in db.session.scalars(
            select(Household)
            .join(Building)
            .where(Household.id.in_(household_ids), area.building_clause())
            .options(selectinload(Household.building), selectinload(Household.residents))
        )
    }
    return [found[i] for i in household_ids if i in found]


def household_ids_in(area: Area, household_ids: Sequence[int]) -> set[int]:
    """Return which of the households the area covers."""
    if not household_ids or area.is_empty:
        return set()
    return set(
        db.session.scalars(
            select(Household.id)
            .join(Building)
            .where(Household.id.in_(household_ids), area.building_clause())
        )
    )


def households_to_choose(area: Area, limit: int) -> list[Household]:
    """Return up to limit households of the area, in address order, for a form's menu."""
    return list(
        db.session.scalars(
            select(Household)
            .join(Building)
            .where(area.building_clause(), Household.current())
            .options(selectinload(Household.building))
            .order_by(Building.compound, Building.name, Household.unit, Household.room)
            .limit(limit)
        )
    )


@dataclass
class HouseholdRow:
    """A household as the list shows it: plain values read in one query, not ORM objects."""

    id: int
    compound: str
    building: str
    unit: str
    room: str
    contact_name: str = ""
    last_visited_on: date | None = None
    visited_this_month: bool = False
    elderly: bool = False
    lives_alone: bool = False
    care: bool = False

    @property
    def code(self) -> str:
        return code_of(self.building, self.unit, self.room)

    @property
    def label(self) -> str:
        return f"{self.compound} {self.building}"

    @property
    def stands_out(self) -> bool:
        return self.elderly or self.lives_alone or self.care


ROW_COLUMNS = (
    Household.id,
    Building.compound,
    Building.name,
    Household.unit,
    Household.room,
    Household.contact_name,
)


def my_households(
    area: Area, today: date, *, q: str = "", limit: int = 300, offset: int = 0
) -> tuple[list[HouseholdRow], int]:
    """Return a page of the area's households, unvisited this month first, and how many there
    are in all (skipping `offset`, at most `limit`).

    Two queries whatever the size: households with "visited this month" (the household-month
    primary key) and their last visit (a correlated max over the (household_id, visited_on)
    index), then the residents' flags for the households on the page.
    """
    month = month_start(today)
    last = (
        select(func.max(Visit.visited_on))
        .where(Visit.household_id == Household.id)
        .correlate(Household)
        .scalar_subquery()
    )
    visited = exists().where(
        HouseholdMonth.household_id == Household.id, HouseholdMonth.month == month
    )
    query = (
        select(*ROW_COLUMNS, last, visited)
        .join(Building)
        .where(area.building_clause(), Household.current())
    )
    q = q.strip()
    if q:
        room = q.replace("－", "-")
        query = query.where(
            or_(
                Household.room.startswith(room),
                (Household.unit + "-" + Household.room).startswith(room),
                (Building.name + "-" + Household.unit + "-" + Household.room).startswith(room),
            )
        )
    rows = db.session.execute(
        query.order_by(
            visited,
            Building.compound,
            Building.name,
            Household.unit,
            Household.floor,
            Household.room,
        )
        .offset(offset)
        .limit(limit + 1)
    ).all()
    total = offset + len(rows)
    if len(rows) > limit or (offset and not rows):
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = rows[:limit]
    flags = resident_flags([r[0] for r in rows], today)
    out = []
    for hid, compound, building, unit, room, contact, last_on, was_visited in rows:
        elderly, alone, care = flags.get(hid, (False, False, False))
        out.append(
            HouseholdRow(
                hid, compound, building, unit, room, contact, last_on, bool(was_visited),
                elderly, alone, care,
            )
        )  # fmt: skip
    return out, total


def resident_flags(household_ids: Sequence[int], today: date) -> dict[int, tuple[bool, bool, bool]]:
    """Return (elderly, lives alone, care-flagged) per household, from one grouped query."""
    if not household_ids:
        return {}
    born_before = today.year - ELDERLY_AGE
    rows = db.session.execute(
        select(
            Resident.household_id,
            func.sum(case((Resident.birth_year <= born_before, 1), else_=0).cast(Integer)),
            func.sum(case((Resident.lives_alone.is_(True), 1), else_=0).cast(Integer)),
            func.sum(
                case(
                    (func.coalesce(Resident.care_flags.cast(db.String), "[]") != "[]", 1), else_=0
                ).cast(Integer)
            ),
        )
        .where(Resident.household_id.in_(household_ids))
        .group_by(Resident.household_id)
    ).all()
    return {h: (bool(e), bool(a), bool(c)) for h, e, a, c in rows}


def recent_visits(household_id: int, limit: int = 12) -> list[Visit]:
    return list(
        db.session.scalars(
            select(Visit)
            .where(Visit.household_id == household_id)
            .options(selectinload(Visit.visitor), selectinload(Visit.needs))
            .order_by(Visit.visited_on.desc(), Visit.id.desc())
            .limit(limit)
        )
    )


def visited_in_building(building_id: int, month: date) -> int:
    """Return how many households of the building are visited in the month."""
    return len(
        db.session.scalars(
            select(HouseholdMonth.household_id).where(
                HouseholdMonth.building_id == building_id,
                HouseholdMonth.month == month_start(month),
            )
        ).all()
    )


def code_of(building_name: str, unit: str, room: str) -> str:
    """Return the short code heads type in an SMS: building number-unit-room, e.g. 3-2-501."""
    number = re.match(r"\d+", building_name)
    parts = [number.group(0) if number else building_name]
    if unit:
        parts.append(unit)
    parts.append(room)
    return "-".join(parts)


def address_code(household: Household) -> str:
    return code_of(household.building.name, household.unit, household.room)


def find_by_code(area: Area, code: str) -> Household:
    """Return the one household in the area that an SMS code such as 3-2-501 names."""
    parts = [p for p in re.split(r"[-－—/]", code.strip()) if p]
    if not parts or len(parts) > 3:
        raise InvalidInput(_("Name the household as building-unit-room, e.g. 3-2-501."))
    room = parts[-1]
    query = (
        select(Household)
        .join(Building)
        .where(area.building_clause(), Household.current(), Household.room == room)
    )
    if len(parts) >= 2:
        query = query.where(Household.unit == parts[-2])
    found = [
        h
        for h in db.session.scalars(query.options(selectinload(Household.building)))
        if len(parts) < 3 or _building_matches(h.building, parts[0])
    ]
    if not found:
        raise OutsideArea(
            _(
                "No household %(code)s in your area. Write building-unit-room, e.g. 3-2-501.",
                code=code,
            )
        )
    if len(found) > 1:
        raise InvalidInput(
            _("%(code)s matches several households: add the building, e.g. 3-2-501.", code=code)
        )
    return found[0]


def _building_matches(building: Building, token: str) -> bool:
    number = re.match(r"\d+", building.name)
    return building.name == token or (number is not None and number.group(0) == token.lstrip("0"))
