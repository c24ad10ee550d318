"""Rows of long lists rendered once per change of the data, for everyone who may see them.

A list page built its rows from ORM objects on every request (a post's person, grid and
building; a household's residents), though they change only when someone records something.
Here the rows are kept under the data version (`pwa.figures_cache`): as plain values when the
page's viewer decides something about them (the read audit names the records shown, each
request), or as rendered HTML when every viewer who may open the page sees the same rows.
Keys name everything the rows depend on (the list, its filter and page, the day, the
language); the page checks the viewer's permission before asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, selectinload

from models import Building, Household, Person, Post, Resident, Wish, db
from pwa import figures_cache
from services import phones
from services.roster import areas, posts
from services.roster.areas import Area


def _language() -> str:
    return str(get_locale())


def post_rows(
    community_id: int, *, show_ended: bool, number: int, size: int, today: date
) -> tuple[int, Markup]:
    """The number of posts listed and the table rows of page `number`, rendered."""

    def build() -> tuple[int, Markup]:
        query = select(Post).where(Post.community_id == community_id)
        if not show_ended:
            query = query.where((Post.ends_on.is_(None)) | (Post.ends_on > today))
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        shown = db.session.scalars(
            query.options(
                selectinload(Post.person), selectinload(Post.grid), selectinload(Post.building)
            )
            .order_by(Post.role, Post.grid_id, Post.id)
            .offset((number - 1) * size)
            .limit(size)
        ).all()
        names: dict[str, str] = {}
        for post in shown:
            if post.role not in names:
                names[post.role] = posts.role_name(post.role, community_id)
        html = render_template(
            "secretary/_post_rows.html",
            posts=shown,
            role_names=names,
            mask=phones.mask,
            today=today,
        )
        return total, Markup(html)

    return figures_cache.kept(
        "post rows", (community_id, show_ended, number, size, today, _language()), build
    )


@dataclass(frozen=True)
class ResidentRow:
    id: int
    name: str
    birth_year: int | None
    lives_alone: bool


@dataclass(frozen=True)
class HouseholdRow:
    id: int
    unit: str
    room: str
    residents: tuple[ResidentRow, ...]


def building_households(building_id: int, q: str) -> tuple[HouseholdRow, ...]:
    """The households living in a building (their room starting with `q`), with residents."""

    def build() -> tuple[HouseholdRow, ...]:
        query = select(Household.id, Household.unit, Household.room).where(
            Household.building_id == building_id, Household.current()
        )
        if q:
            query = query.where(
                or_(
                    Household.room.startswith(q),
                    (Household.unit + "-" + Household.room).startswith(q),
                )
            )
        households = db.session.execute(
            query.order_by(Household.unit, Household.floor, Household.room)
        ).all()
        living: dict[int, list[ResidentRow]] = {h.id: [] for h in households}
        residents = db.session.execute(
            select(
                Resident.household_id,
                Resident.id,
                Resident.name,
                Resident.birth_year,
                Resident.lives_alone,
            )
            .join(Household)
            .where(Household.building_id == building_id, Household.current(), Resident.living())
            .order_by(Resident.birth_year, Resident.id)
        ).all()
        for r in residents:
            if r.household_id in living:
                living[r.household_id].append(
                    ResidentRow(r.id, r.name, r.birth_year, bool(r.lives_alone))
                )
        return tuple(HouseholdRow(h.id, h.unit, h.room, tuple(living[h.id])) for h in households)

    return figures_cache.kept("building households", (building_id, q), build)


@dataclass(frozen=True)
class FoundRow:
    id: int
    name: str
    household_id: int
    address: str
    community_id: int

    @property
    def resident_id(self) -> int:  # as the read audit names a row's resident
        return self.id


def search_residents(area: Area, q: str, limit: int) -> tuple[FoundRow, ...]:
    """Residents of the area whose name holds `q` or whose room starts with it, by name."""

    def build() -> tuple[FoundRow, ...]:
        rows = db.session.execute(
            areas.visible_residents(area)
            .with_only_columns(
                Resident.id,
                Resident.name,
                Resident.household_id,
                Household.unit,
                Household.room,
                Building.compound,
                Building.name.label("building_name"),
                Building.community_id,
            )
            .where(or_(Resident.name.contains(q), Household.room.startswith(q)))
            .order_by(Resident.name)
            .limit(limit)
        ).all()
        return tuple(
            FoundRow(
                r.id,
                r.name,
                r.household_id,
                Household.address_of(f"{r.compound} {r.building_name}", r.unit, r.room),
                r.community_id,
            )
            for r in rows
        )

    return figures_cache.kept("search", (area, q, limit), build)


@dataclass(frozen=True)
class WishRow:
    id: int
    text: str
    category: str
    status: str
    waiting_since: datetime
    community_id: int
    resident_id: int
    resident_name: str
    address: str
    claimer_name: str | None

    @property
    def ref(self) -> str:
        return f"W{self.id}"


def area_wishes(area: Area, status: str | None, limit: int) -> tuple[WishRow, ...]:
    """The area's wishes (with `status` only, when given), newest first, as plain rows."""

    def build() -> tuple[WishRow, ...]:
        home = aliased(Building)
        claimer = aliased(Person)
        query = (
            select(
                Wish.id,
                Wish.text,
                Wish.category,
                Wish.status,
                Wish.waiting_since,
                Wish.community_id,
                Wish.resident_id,
                Resident.name.label("resident_name"),
                Household.unit,
                Household.room,
                home.compound,
                home.name.label("building_name"),
                claimer.name.label("claimer_name"),
            )
            .join(Resident, Wish.resident_id == Resident.id)
            .join(Household, Resident.household_id == Household.id)
            .join(home, Household.building_id == home.id)
            .outerjoin(claimer, Wish.claimer_id == claimer.id)
            .where(Wish.building_id.in_(select(Building.id).where(area.building_clause())))
        )
        if status is not None:
            query = query.where(Wish.status == status)
        rows = db.session.execute(query.order_by(Wish.posted_at.desc()).limit(limit)).all()
        return tuple(
            WishRow(
                r.id,
                r.text,
                r.category,
                r.status,
                r.waiting_since,
                r.community_id,
                r.resident_id,
                r.resident_name,
                Household.address_of(f"{r.compound} {r.building_name}", r.unit, r.room),
                r.claimer_name,
            )
            for r in rows
        )

    return figures_cache.kept("area wishes", (area, status, limit), build)
