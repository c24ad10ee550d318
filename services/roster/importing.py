"""Importing the roster from a sheet: households and residents row by row, safe to repeat.

The sheet is the truth for the columns it has: a column that is absent leaves that field of an
existing resident alone, so a sheet of names and phones does not reset anyone's care flags.
Household contact cells are household-wide: a blank one leaves the contact as it is, because
sheets usually fill them on one row of the household only.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from models import Building, Community, Household, Person, Resident, db, utcnow
from services import audit
from services.errors import DomainError, InvalidInput
from services.roster import operations as roster
from services.roster.sheets import (
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    SheetRejected,
    read_sheet,
    too_many_rows,
)

# Field → accepted header names; the first is the Chinese one the template uses, the second
# the English one.
COLUMNS: dict[str, tuple[str, ...]] = {
    "compound": ("小区", "compound", "小区名称"),
    "building": ("楼栋", "building", "楼号", "楼栋号"),
    "unit": ("单元", "unit", "单元号"),
    "floor": ("楼层", "floor"),
    "room": ("房号", "room", "房间号", "门牌号"),
    "name": ("姓名", "name"),
    "birth_year": ("出生年份", "birth_year", "出生年"),
    "phone": ("手机", "phone", "手机号", "手机号码", "mobile"),
    "lives_alone": ("独居", "lives_alone", "是否独居"),
    "has_smartphone": ("智能手机", "has_smartphone", "smartphone", "有智能手机"),
    "care_flags": ("关怀", "care_flags", "关怀标记"),
    "sms_consent": ("短信同意", "sms_consent", "同意短信"),
    "contact_name": ("联系人", "contact_name", "contact"),
    "contact_phone": ("联系电话", "contact_phone"),
}
REQUIRED = ("compound", "building", "room", "name")
RESIDENT_FIELDS = (
    "name",
    "birth_year",
    "phone",
    "lives_alone",
    "has_smartphone",
    "sms_consent",
    "care_flags",
)
# What a new resident has when the sheet leaves a column out.
NEW_RESIDENT: dict[str, Any] = {
    "birth_year": None,
    "phone": None,
    "lives_alone": False,
    "has_smartphone": False,
    "sms_consent": False,
    "care_flags": [],
    "person_id": None,
}


class Outcome(enum.StrEnum):
    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


def outcome_labels() -> dict[Outcome, str]:
    """Return each outcome's readable name, looked up once per page rather than per row."""
    return {
        Outcome.IMPORTED: _("Imported"),
        Outcome.UPDATED: _("Updated"),
        Outcome.UNCHANGED: _("Unchanged"),
        Outcome.REJECTED: _("Rejected"),
    }


def field_labels() -> dict[str, str]:
    """Return the readable names of the resident and household fields an import can change."""
    return {
        "name": _("Name"),
        "birth_year": _("Birth year"),
        "phone": _("Phone"),
        "lives_alone": _("Lives alone"),
        "has_smartphone": _("Has a smartphone"),
        "sms_consent": _("Consents to SMS"),
        "care_flags": _("Care flags"),
        "floor": _("Floor"),
        "contact_name": _("Contact name"),
        "contact_phone": _("Contact phone"),
    }


def column_label(name: str) -> str:
    """Return a column as the sheet spells it, Chinese and English, e.g. 小区/compound."""
    return f"{COLUMNS[name][0]}/{COLUMNS[name][1]}"


@dataclass
class RowResult:
    row: int
    name: str
    household: str
    outcome: Outcome
    reason: str = ""
    changed: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    filename: str
    rows: list[RowResult] = field(default_factory=list)
    households_created: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def rejected(self) -> list[RowResult]:
        return [row for row in self.rows if row.outcome == Outcome.REJECTED]


# Reading the file ------------------------------------------------------------------------------


# Finding the columns ---------------------------------------------------------------------------


def _header_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).strip().lower()
    key = re.sub(r"\(.*\)$", "", key)  # "手机(选填)", "Phone (optional)"
    return re.sub(r"[\s_\-*]+", "", key)


HEADER_KEYS = {_header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def find_columns(rows: list[tuple[int, list[str]]]) -> tuple[int, dict[str, int], list[str]]:
    """Return the header row's index in `rows`, field → column index, and ignored headers."""
    best_at, best_hits = -1, 0
    for at, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = len({HEADER_KEYS[k] for k in map(_header_key, cells) if k in HEADER_KEYS})
        if hits > best_hits:
            best_at, best_hits = at, hits
    if best_hits == 0:
        raise SheetRejected(
            _(
                "No known column headers were found. The first row should name the columns: "
                "%(columns)s. Download the template to see the layout.",
                columns=", ".join(column_label(name) for name in REQUIRED),
            )
        )
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(rows[best_at][1]):
        name = HEADER_KEYS.get(_header_key(cell))
        if name is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if name in columns:
            raise SheetRejected(
                _(
                    "The column %(column)s appears twice. Keep one and import again.",
                    column=column_label(name),
                )
            )
        columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise SheetRejected(
            _(
                "The sheet is missing required columns: %(columns)s. Nothing was imported.",
                columns=", ".join(column_label(name) for name in missing),
            )
        )
    return best_at, columns, ignored


# Importing -------------------------------------------------------------------------------------


def _place_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _unit(value: str, what: str) -> str:
    unit = roster.normalize_room(value, what=what)
    return unit.removesuffix("单元").strip()  # "1单元" and "1" are the same unit


def parse_resident(row: Mapping[str, object], today: date) -> roster.ResidentFields:
    """Read a resident's fields from a sheet row, or raise InvalidInput (the form's checks)."""
    return roster.ResidentFields(
        name=roster.clean_text(
            row.get("name"), limit=roster.MAX_NAME, what=_("Name"), required=True
        ),
        birth_year=roster.parse_birth_year(row.get("birth_year"), today),
        phone=roster.parse_phone(row.get("phone")),
        lives_alone=roster.parse_bool(row.get("lives_alone"), what=_("Lives alone")),
        has_smartphone=roster.parse_bool(row.get("has_smartphone"), what=_("Has a smartphone")),
        sms_consent=roster.parse_bool(row.get("sms_consent"), what=_("Consents to SMS")),
        care_flags=roster.parse_care_flags(row.get("care_flags")),
    )


def _address(compound: str, building: str, unit: str, room: str) -> str:
    unit_part = f"{unit}单元" if unit else ""
    return " ".join(p for p in (compound, building, f"{unit_part}{room}") if p)


HouseholdKey = tuple[int, str, str]


@dataclass
class NewHousehold:
    """A household the sheet adds, written with the others once every row is read."""

    building_id: int
    unit: str
    room: str
    floor: int | None
    contact_name: str
    contact_phone: str | None


class _Importer:
    """Holds the community's places in memory so that each row costs no query."""

    def __init__(self, community: Community, columns: dict[str, int], today: date) -> None:
        self.columns = columns
        self.today = today
        # gettext per row would cost more than the row itself on a 20,000-row sheet.
        self.what = {
            "compound": _("Compound"),
            "building": _("Building"),
            "unit": _("Unit"),
            "room": _("Room"),
            "name": _("Name"),
            "contact_name": _("Contact name"),
        }
        self.buildings: dict[tuple[str, str], Building] = {}
        for building in db.session.scalars(
            select(Building).where(Building.community_id == community.id)
        ):
            self.buildings[(_place_key(building.compound), _place_key(building.name))] = building
        self.households: dict[HouseholdKey, Household | NewHousehold] = {}
        by_id: dict[int, HouseholdKey] = {}
        for household in db.session.scalars(
            select(Household).join(Building).where(Building.community_id == community.id)
        ):
            key = (household.building_id, household.unit, household.room)
            self.households[key] = household
            by_id[household.id] = key
        self.residents: dict[tuple[HouseholdKey, str], Resident] = {}
        for resident in db.session.scalars(
            select(Resident)
            .join(Household)
            .join(Building)
            .where(Building.community_id == community.id)
        ):
            self.residents[(by_id[resident.household_id], resident.name)] = resident
        self.seen: dict[tuple[HouseholdKey, str], int] = {}
        self.contacts: dict[HouseholdKey, tuple[int, str | None, str | None]] = {}
        self.new_households: list[NewHousehold] = []
        # New rows are written in bulk at the end: ORM objects built and flushed row by row
        # took most of the time of a large import.
        self.new_residents: list[tuple[dict[str, Any], HouseholdKey]] = []

    def save(self, now: datetime) -> None:
        """Write the new households, then the new residents with their households' ids."""
        ids = {key: h.id for key, h in self.households.items() if isinstance(h, Household)}
        if self.new_households:
            new_ids = db.session.scalars(
                insert(Household).returning(Household.id, sort_by_parameter_order=True),
                [{**dataclasses.asdict(h), "note": ""} for h in self.new_households],
            ).all()
            keys = [(h.building_id, h.unit, h.room) for h in self.new_households]
            ids.update(zip(keys, new_ids, strict=True))
        if self.new_residents:
            rows = [
                {**values, "household_id": ids[key], "updated_at": now}
                for values, key in self.new_residents
            ]
            db.session.execute(insert(Resident), rows)

    def _building(self, compound: str, name: str) -> Building | None:
        compound_key, name_key = _place_key(compound), _place_key(name)
        found = self.buildings.get((compound_key, name_key))
        if found is None and name_key.isdigit():
            found = self.buildings.get((compound_key, f"{name_key}号楼"))
        return found

    def row(self, number: int, cells: list[str]) -> RowResult:
        raw = {name: cells[i] if i < len(cells) else "" for name, i in self.columns.items()}
        shown_name = raw["name"].strip()[: roster.MAX_NAME]
        parts = ("compound", "building", "unit", "room")
        address = _address(*(raw.get(k, "").strip() for k in parts))
        try:
            compound = roster.clean_text(
                raw["compound"], limit=100, what=self.what["compound"], required=True
            )
            building_name = roster.clean_text(
                raw["building"], limit=50, what=self.what["building"], required=True
            )
            unit = _unit(raw.get("unit", ""), self.what["unit"])
            room = roster.normalize_room(raw["room"], what=self.what["room"])
            name = roster.clean_text(
                raw["name"], limit=roster.MAX_NAME, what=self.what["name"], required=True
            )
            address = _address(compound, building_name, unit, room)
            building = self._building(compound, building_name)
            if building is None:
                raise InvalidInput(
                    _(
                        "Unknown building “%(building)s”: add it on the buildings page first.",
                        building=f"{compound} {building_name}",
                    )
                )
            key: HouseholdKey = (building.id, unit, room)
            first = self.seen.setdefault((key, name), number)
            if first != number:
                raise InvalidInput(
                    _("Duplicate of row %(row)d: the same name in the same household.", row=first)
                )
            return self._apply(number, raw, key, address)
        except InvalidInput as error:
            return RowResult(number, shown_name, address, Outcome.REJECTED, reason=error.message)

    def _apply(
        self, number: int, raw: dict[str, str], key: HouseholdKey, address: str
    ) -> RowResult:
        """Validate the rest of the row, then write it; a rejected row writes nothing."""
        fields = parse_resident(raw, self.today)
        floor_text = raw.get("floor", "").strip()
        floor = roster.parse_floor(floor_text, key[2]) if floor_text else None
        contact_name = None
        if "contact_name" in raw:
            contact_name = (
                roster.clean_text(raw["contact_name"], limit=50, what=self.what["contact_name"])
                or None
            )
        contact_phone = roster.parse_phone(raw["contact_phone"]) if "contact_phone" in raw else None
        if contact_name or contact_phone:
            first = self.contacts.setdefault(key, (number, contact_name, contact_phone))
            if first[0] != number and (
                (contact_name and first[1] and contact_name != first[1])
                or (contact_phone and first[2] and contact_phone != first[2])
            ):
                raise InvalidInput(
                    _(
                        "The household contact differs from row %(row)d of the same household.",
                        row=first[0],
                    )
                )

        changed: list[str] = []
        household = self.households.get(key)
        if household is None:
            household = NewHousehold(
                building_id=key[0],
                unit=key[1],
                room=key[2],
                floor=floor if floor is not None else roster.parse_floor("", key[2]),
                contact_name=contact_name or "",
                contact_phone=contact_phone,
            )
            self.households[key] = household
            self.new_households.append(household)
        else:
            for name, value in (
                ("floor", floor),
                ("contact_name", contact_name),
                ("contact_phone", contact_phone),
            ):
                if value is not None and getattr(household, name) != value:
                    setattr(household, name, value)
                    changed.append(name)

        present = [name for name in RESIDENT_FIELDS if name in raw]
        resident = self.residents.get((key, fields.name))
        if resident is None:
            values: dict[str, Any] = {**NEW_RESIDENT, "name": fields.name}
            values.update((name, getattr(fields, name)) for name in present)
            self.new_residents.append((values, key))
            return RowResult(number, fields.name, address, Outcome.IMPORTED)
        for name in present:
            value = getattr(fields, name)
            if getattr(resident, name) != value:
                setattr(resident, name, value)
                changed.append(name)
        outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
        return RowResult(number, fields.name, address, outcome, changed=changed)


class RosterChanged(DomainError):
    """Another import or edit added the same household or resident a moment ago."""

    def __init__(self) -> None:
        super().__init__(changed_message())


def changed_message() -> str:
    return _(
        "The roster changed while this sheet was being imported. Nothing was saved: "
        "please import the sheet again."
    )


def import_roster(
    community: Community, filename: str, data: bytes, *, by: Person, today: date
) -> ImportReport:
    """Import a roster sheet into the community row by row; raise SheetRejected for the whole.

    Raises RosterChanged when a concurrent change makes a row a duplicate: nothing is kept.
    """
    try:
        return _import(community, filename, data, by=by, today=today)
    except IntegrityError:
        raise RosterChanged() from None


def _import(
    community: Community, filename: str, data: bytes, *, by: Person, today: date
) -> ImportReport:
    rows = read_sheet(filename, data)
    header_at, columns, ignored = find_columns(rows)
    data_rows = rows[header_at + 1 :]
    if not data_rows:
        raise SheetRejected(_("The sheet has column headers but no rows to import."))
    if len(data_rows) > MAX_ROWS:
        raise too_many_rows()
    importer = _Importer(community, columns, today)
    report = ImportReport(filename=filename, ignored_columns=ignored)
    for number, cells in data_rows:
        report.rows.append(importer.row(number, cells))
    importer.save(utcnow())
    report.households_created = len(importer.new_households)
    # Cut before cleaning: cleaning only shortens, so a long name cannot fail the import here.
    safe_name = roster.clean_text(filename[:200], limit=200, what=_("File name"))
    audit.record(
        actor=by,
        community_id=community.id,
        action="import",
        subject_type="roster",
        subject_id=None,
        detail=(
            f"file={safe_name} imported={report.count(Outcome.IMPORTED)} "
            f"updated={report.count(Outcome.UPDATED)} "
            f"unchanged={report.count(Outcome.UNCHANGED)} "
            f"rejected={report.count(Outcome.REJECTED)} "
            f"households_created={report.households_created}"
        ),
    )
    db.session.flush()
    return report
