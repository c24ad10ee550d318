"""Monthly home visits: who may visit which households, logging a visit once, "my households".

A visit is logged with a key the phone makes before sending, so a visit sent twice (the offline
queue re-sending, a double tap, an SMS retried) is saved once. The fact "visited this month" is
kept per household and month (HouseholdMonth) in the same transaction, so coverage is a grouped
count over an index at district scale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, case, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from models import (
    Building,
    Household,
    HouseholdMonth,
    NeedSource,
    Person,
    Resident,
    Visit,
    db,
)
from models.roles import N_MEMBER_ROLES
from services import needs as needs_service
from services.errors import InvalidInput, NotFound
from services.roster.areas import Area, area_of
from services.roster.queries import ELDERLY_AGE

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
NOTE_LIMIT = 1000
MET_LIMIT = 100
# A visit written offline may wait on the phone for a while, but not for months.
OLDEST_DAYS = 62
VIA = ("web", "offline", "sms", "telegram")


class OutsideArea(NotFound):
    """The household is not one the visitor looks after."""


def month_start(day: date) -> date:
    return day.replace(day=1)


def visit_area(person: Person, today: date) -> Area:
    """Return the households a person visits: heads their building, N members their post's area.

    A secretary or staff member covers the community and a grid leader the grid. An N member
    covers the grid or building their post is placed in; an N member whose post covers the whole
    community has no households of their own to visit (the community is the staff's to share
    out), so their list is empty and the page says why.
    """
    area = area_of(person, today)  # secretary, staff, grid leader, building head
    grids = set(area.grid_ids)
    buildings = set(area.building_ids)
    for post in person.active_posts(today):
        if post.role in N_MEMBER_ROLES or post.builtin_role is None:
            if post.building_id is not None:
                buildings.add(post.building_id)
            elif post.grid_id is not None:
                grids.add(post.grid_id)
    return Area(area.community_ids, frozenset(grids), frozenset(buildings))


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


@dataclass(frozen=True)
class NeedInput:
    category: str
    text: str
    resident_id: int | None = None


@dataclass
class VisitInput:
    key: str
    household_id: int
    visited_on: date
    met: str = ""
    note: str = ""
    needs: list[NeedInput] = field(default_factory=list)
    via: str = "web"


def parse_date(value: object) -> date:
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("Give the date of the visit as YYYY-MM-DD.")) from None


def parse_form(form: object, today: date) -> VisitInput:
    """Read a visit from a submitted form (or the offline queue's JSON), checking its shape."""
    get = form.get  # type: ignore[attr-defined]
    getlist = getattr(form, "getlist", None)
    try:
        household_id = int(str(get("household_id", "")).strip())
    except ValueError:
        raise InvalidInput(_("Choose the household you visited.")) from None
    raw_date = get("visited_on") or today.isoformat()
    needs: list[NeedInput] = []
    if getlist is not None:
        categories = getlist("need_category")
        texts = getlist("need_text")
    else:
        raw = get("needs") or []
        if not isinstance(raw, list):
            raise InvalidInput(_("The needs of the visit could not be read."))
        categories = [str(n.get("category", "")) for n in raw if isinstance(n, dict)]
        texts = [str(n.get("text", "")) for n in raw if isinstance(n, dict)]
        if get("need_text") is not None:  # a single need sent as plain fields
            categories.append(str(get("need_category") or ""))
            texts.append(str(get("need_text")))
    for category, text in zip(categories, texts, strict=False):
        category, text = str(category or "").strip(), str(text or "")
        if not category and not text.strip():
            continue  # an empty row of the form
        needs.append(NeedInput(category=category or "other", text=text))
    return VisitInput(
        key=str(get("key", "")).strip(),
        household_id=household_id,
        visited_on=parse_date(raw_date),
        met=str(get("met", "") or ""),
        note=str(get("note", "") or ""),
        needs=needs,
        via=str(get("via", "web") or "web"),
    )


def _check(data: VisitInput, today: date) -> None:
    if not KEY_RE.match(data.key):
        raise InvalidInput(_("The visit has no valid key; reload the page and try again."))
    if data.visited_on > today:
        raise InvalidInput(_("A visit cannot be in the future: check the date."))
    if data.visited_on < today - timedelta(days=OLDEST_DAYS):
        raise InvalidInput(
            _("A visit more than %(days)d days ago cannot be logged.", days=OLDEST_DAYS)
        )
    if len(data.note) > NOTE_LIMIT:
        raise InvalidInput(
            _(
                "The note is %(n)d characters long; keep it under %(limit)d.",
                n=len(data.note),
                limit=NOTE_LIMIT,
            )
        )
    if len(data.met) > MET_LIMIT:
        raise InvalidInput(_("Who you met: keep it under %(limit)d characters.", limit=MET_LIMIT))
    if data.via not in VIA:
        raise InvalidInput(_("Unknown way of logging a visit."))
    for need in data.needs:
        needs_service.check_need(need.category, need.text)


def _count_month(household: Household, visited_on: date) -> None:
    """Record "visited in this month" for the household (insert, or count one more)."""
    values = {
        "household_id": household.id,
        "month": month_start(visited_on),
        "community_id": household.building.community_id,
        "grid_id": household.building.grid_id,
        "building_id": household.building_id,
        "visits": 1,
        "last_visited_on": visited_on,
    }
    dialect = db.session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        pg = postgresql.insert(HouseholdMonth).values(values)
        stmt = pg.on_conflict_do_update(
            index_elements=["household_id", "month"],
            set_={
                "visits": HouseholdMonth.visits + 1,
                "last_visited_on": func.greatest(
                    HouseholdMonth.last_visited_on, pg.excluded.last_visited_on
                ),
            },
        )
    else:
        lite = sqlite.insert(HouseholdMonth).values(values)
        stmt = lite.on_conflict_do_update(
            index_elements=["household_id", "month"],
            set_={
                "visits": HouseholdMonth.visits + 1,
                "last_visited_on": func.max(
                    HouseholdMonth.last_visited_on, lite.excluded.last_visited_on
                ),
            },
        )
    db.session.execute(stmt)


def log_visit(
    data: VisitInput, *, by: Person, area: Area, today: date, now: datetime
) -> tuple[Visit, bool]:
    """Save a visit (and the needs raised) once; return it and whether it is new.

    The same key sent again returns the visit saved the first time and changes nothing.
    Anything wrong raises a DomainError before anything is written.
    """
    earlier = db.session.scalar(select(Visit).where(Visit.key == data.key))
    if earlier is not None:
        if earlier.visitor_id != by.id:
            raise InvalidInput(_("The visit has no valid key; reload the page and try again."))
        return earlier, False
    _check(data, today)
    household = household_in_area(area, data.household_id)
    resident_ids = {r.id for r in household.residents}
    for need in data.needs:
        if need.resident_id is not None and need.resident_id not in resident_ids:
            raise InvalidInput(_("The resident who raised a need must live in this household."))
    visit = Visit(
        key=data.key,
        household_id=household.id,
        building_id=household.building_id,
        community_id=household.building.community_id,
        visitor_id=by.id,
        visited_on=data.visited_on,
        met=data.met.strip(),
        note=data.note.strip(),
        via=data.via,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(visit)
            db.session.flush()
    except IntegrityError:
        # The same visit, arriving twice at once: the other request saved it.
        again = db.session.scalar(select(Visit).where(Visit.key == data.key))
        if again is None:
            raise
        return again, False
    _count_month(household, data.visited_on)
    for need in data.needs:
        needs_service.raise_need(
            community_id=household.building.community_id,
            household=household,
            source=NeedSource.VISIT,
            by=by,
            category=need.category,
            text=need.text,
            resident_id=need.resident_id,
            visit=visit,
            now=now,
        )
    db.session.flush()
    return visit, True


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
    area: Area, today: date, *, q: str = "", limit: int = 300
) -> tuple[list[HouseholdRow], int]:
    """Return the area's households, unvisited this month first, and how many there are in all.

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
    query = select(*ROW_COLUMNS, last, visited).join(Building).where(area.building_clause())
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
        ).limit(limit + 1)
    ).all()
    total = len(rows)
    if total > limit:
        rows = rows[:limit]
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
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
    query = select(Household).join(Building).where(area.building_clause(), Household.room == room)
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
