"""The posts and partner units sheets of a roster workbook: row by row, safe to repeat.

A posts row names a role (in Chinese or English, or its code), the person (name and phone)
and the area (a grid, or a compound and building); a partner units row names a unit, its kind
and contact. A row already true changes nothing; a refused row writes nothing (a savepoint).
The secretary and staff are not assigned from a sheet: those posts open the whole community.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Protocol

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from models import Building, Community, Grid, PartnerUnit, Person, Post, db
from models.roles import Role
from services import phones
from services.errors import InvalidInput
from services.roster import operations as roster
from services.roster import partners as partner_units
from services.roster import posts as roster_posts
from services.roster.import_report import Outcome, RowResult, Sheet
from services.roster.sheets import Rows, SheetRejected, find_columns

POST_COLUMNS: dict[str, tuple[str, ...]] = {
    "role": ("岗位", "role", "职务"),
    "name": ("姓名", "name"),
    "phone": ("手机", "phone", "手机号", "手机号码", "mobile"),
    "grid": ("网格", "grid"),
    "compound": ("小区", "compound"),
    "building": ("楼栋", "building", "楼号"),
    "duties": ("职责", "duties"),
}
POST_REQUIRED = ("role", "phone")
PARTNER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("单位名称", "name", "单位", "unit"),
    "kind": ("类型", "kind", "单位类型"),
    "contact_name": ("联系人", "contact_name", "contact"),
    "contact_phone": ("联系电话", "contact_phone"),
}
PARTNER_REQUIRED = ("name",)
MAX_SHEET_ROWS = 5000
SHEET_TITLES = {
    Sheet.POSTS: ("岗位", "posts", "岗位表"),
    Sheet.PARTNERS: ("共建单位", "partners", "partner units", "共驻共建单位", "单位"),
}
# The names the method's write-up and people use for the built-in posts (DOMAIN.md).
ROLE_ALIASES = {
    "网格长": Role.GRID_LEADER,
    "网格党小组长": Role.GRID_LEADER,
    "楼栋长": Role.BUILDING_HEAD,
    "楼栋党员中心户长": Role.BUILDING_HEAD,
    "中心户长": Role.BUILDING_HEAD,
    "巡逻员": Role.PATROLLER,
    "义务巡逻员": Role.PATROLLER,
    "观察员": Role.OBSERVER,
    "民情观察员": Role.OBSERVER,
    "宣传员": Role.PUBLICIST,
    "政策宣传员": Role.PUBLICIST,
    "调解员": Role.MEDIATOR,
    "矛盾调解员": Role.MEDIATOR,
    "物管员": Role.PROPERTY_LIAISON,
    "居民需求物管员": Role.PROPERTY_LIAISON,
    "倡导员": Role.CIVILITY_ADVOCATE,
    "文明新风倡导员": Role.CIVILITY_ADVOCATE,
}
NOT_FROM_SHEETS = {Role.SECRETARY.value, Role.STAFF.value}


class PlaceFinder(Protocol):
    def building(self, compound: str, name: str) -> Building | None: ...

    def grid(self, text: str) -> Grid | None: ...


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


def sheet_kind(title: str) -> Sheet | None:
    """Return what a workbook sheet holds by its title: posts, partner units, or None."""
    key = _key(title)
    for kind, titles in SHEET_TITLES.items():
        if key in {_key(t) for t in titles}:
            return kind
    return None


def _data_rows(
    rows: Rows, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> tuple[Rows, dict[str, int]]:
    header_at, found, _ignored = find_columns(rows, columns, required)
    data = rows[header_at + 1 :]
    if len(data) > MAX_SHEET_ROWS:
        raise SheetRejected(
            _("A posts or partner units sheet holds at most %(n)d rows.", n=MAX_SHEET_ROWS)
        )
    return data, found


def _cells(columns: dict[str, int], cells: list[str]) -> dict[str, str]:
    return {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}


def role_codes(community_id: int) -> dict[str, str]:
    """Return every way a sheet may name a role (codes, English and Chinese names) → code."""
    codes: dict[str, str] = {}
    for locale in ("en", "zh"):
        with force_locale(locale):
            for code, name in roster_posts.roles_for(community_id):
                codes[_key(name)] = code
                codes[_key(code)] = code
    codes.update({_key(alias): role.value for alias, role in ROLE_ALIASES.items()})
    return codes


def import_posts(
    community: Community, rows: Rows, places: PlaceFinder, *, by: Person, today: date
) -> list[RowResult]:
    """Assign the posts a sheet lists; a post already held is left unchanged."""
    data, columns = _data_rows(rows, POST_COLUMNS, POST_REQUIRED)
    codes = role_codes(community.id)
    results: list[RowResult] = []
    for number, cells in data:
        raw = _cells(columns, cells)
        shown = raw.get("name", "").strip()[: roster.MAX_NAME]
        where = " ".join(
            p for p in (raw.get("grid", ""), raw.get("compound", ""), raw.get("building", "")) if p
        ).strip()
        savepoint = db.session.begin_nested()
        try:
            outcome = _post_row(community, raw, codes, places, by=by, today=today)
            savepoint.commit()
            results.append(RowResult(number, shown, where, outcome, sheet=Sheet.POSTS))
        except InvalidInput as error:
            savepoint.rollback()
            results.append(
                RowResult(
                    number, shown, where, Outcome.REJECTED, reason=error.message, sheet=Sheet.POSTS
                )
            )
    return results


def _post_row(
    community: Community,
    raw: dict[str, str],
    codes: dict[str, str],
    places: PlaceFinder,
    *,
    by: Person,
    today: date,
) -> Outcome:
    role_text = roster.clean_text(raw.get("role"), limit=50, what=_("Post"), required=True)
    role = codes.get(_key(role_text))
    if role is None:
        raise InvalidInput(_("Unknown post “%(role)s”.", role=role_text))
    if role in NOT_FROM_SHEETS:
        raise InvalidInput(
            _("The secretary and staff are assigned on the posts page, not by sheet.")
        )
    phone_text = roster.clean_text(raw.get("phone"), limit=30, what=_("Phone"), required=True)
    phone = phones.normalize(phone_text.removesuffix(".0"))
    name = roster.clean_text(raw.get("name"), limit=roster.MAX_NAME, what=_("Name"))
    grid_text = roster.clean_text(raw.get("grid"), limit=100, what=_("Grid"))
    compound = roster.clean_text(raw.get("compound"), limit=100, what=_("Compound"))
    building_text = roster.clean_text(raw.get("building"), limit=50, what=_("Building"))
    duties = roster.clean_text(raw.get("duties"), limit=roster_posts.MAX_DUTIES, what=_("Duties"))
    grid = None
    if grid_text:
        grid = places.grid(grid_text)
        if grid is None:
            raise InvalidInput(_("Unknown grid “%(grid)s”.", grid=grid_text))
    building = None
    if building_text:
        building = places.building(compound, building_text)
        if building is None:
            raise InvalidInput(
                _("Unknown building “%(building)s”.", building=f"{compound} {building_text}")
            )
        if grid is None:
            grid = db.session.get(Grid, building.grid_id)
    person = db.session.scalar(select(Person).where(Person.phone == phone))
    if person is not None:
        held = db.session.scalar(
            select(Post.id).where(
                Post.person_id == person.id,
                Post.role == role,
                Post.community_id == community.id,
                Post.grid_id == grid.id if grid else Post.grid_id.is_(None),
                Post.building_id == building.id if building else Post.building_id.is_(None),
                Post.active_on(today),
            )
        )
        if held is not None:
            return Outcome.UNCHANGED
    person = roster_posts.find_or_add_person(name, phone)
    roster_posts.assign(
        person,
        community_id=community.id,
        role=role,
        grid=grid,
        building=building,
        duties=duties,
        starts_on=today,
        by=by,
    )
    return Outcome.IMPORTED


def import_partners(community: Community, rows: Rows, *, by: Person) -> list[RowResult]:
    """Add the partner units a sheet lists, or bring their kind and contact up to date."""
    data, columns = _data_rows(rows, PARTNER_COLUMNS, PARTNER_REQUIRED)
    results: list[RowResult] = []
    for number, cells in data:
        raw = _cells(columns, cells)
        shown = raw.get("name", "").strip()[:100]
        savepoint = db.session.begin_nested()
        try:
            outcome, changed = _partner_row(community, raw, by=by)
            savepoint.commit()
            results.append(
                RowResult(
                    number,
                    shown,
                    raw.get("kind", "").strip()[:50],
                    outcome,
                    changed=changed,
                    sheet=Sheet.PARTNERS,
                )
            )
        except InvalidInput as error:
            savepoint.rollback()
            results.append(
                RowResult(
                    number, shown, "", Outcome.REJECTED, reason=error.message, sheet=Sheet.PARTNERS
                )
            )
    return results


def _partner_row(
    community: Community, raw: dict[str, str], *, by: Person
) -> tuple[Outcome, list[str]]:
    name = roster.clean_text(raw.get("name"), limit=100, what=_("Name"), required=True)
    unit = db.session.scalar(
        select(PartnerUnit).where(
            PartnerUnit.community_id == community.id, PartnerUnit.name == name
        )
    )
    if unit is None:
        partner_units.add_unit(
            community.id,
            name=name,
            kind=raw.get("kind", ""),
            contact_name=raw.get("contact_name", ""),
            contact_phone=raw.get("contact_phone", ""),
            by=by,
        )
        return Outcome.IMPORTED, []
    # A column left out, or a blank cell, keeps what the unit has.
    changed = partner_units.update_unit(
        unit,
        name=name,
        kind=raw.get("kind") or unit.kind,
        contact_name=raw.get("contact_name") or unit.contact_name,
        contact_phone=raw.get("contact_phone") or (unit.contact_phone or ""),
        by=by,
    )
    return (Outcome.UPDATED if changed else Outcome.UNCHANGED), changed
