"""Importing the roster from a sheet: households and residents row by row, safe to repeat.

The sheet is the truth for the columns it has: a column that is absent leaves that field of an
existing resident alone, so a sheet of names and phones does not reset anyone's care flags.
Household contact cells are household-wide: a blank one leaves the contact as it is, because
sheets usually fill them on one row of the household only.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import openpyxl
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from models import Building, Community, Household, Person, Resident, db, utcnow
from services import audit, exports
from services.errors import DomainError, InvalidInput
from services.roster import operations as roster

MAX_ROWS = 20_000
# Rows read in all, blank ones included: Excel can carry a million formatted empty rows.
MAX_RAW_ROWS = 100_000
MAX_COLUMNS = 60
# Cells are cut to this many characters as they are read: longer than any field takes, so a
# cut cell is still refused as too long, and nothing later works through a megabyte of text.
MAX_CELL_CHARS = 1000
# A title line or two above the header row is common in sheets made for printing.
HEADER_SEARCH_ROWS = 10
CSV_DELIMITERS = (",", "\t", ";")

# An .xlsx is a zip of XML parts. openpyxl streams a worksheet row by row but loads the shared
# strings and the workbook's other parts whole, and one cell can be as long as its part: the
# parts' unpacked sizes bound what an import holds in memory, so they are checked before the
# workbook is opened. (zipfile stops reading an entry at its declared size and fails its
# checksum, so an archive that understates a size cannot unpack more than it declares.)
MB = 1024 * 1024
MAX_XLSX_ENTRIES = 500
# The template's 14 columns over MAX_ROWS rows, as openpyxl writes them, unpack to about 14 MB.
MAX_XLSX_PART_BYTES = 16 * MB
MAX_XLSX_TOTAL_BYTES = 32 * MB
# Unpacked to packed size, for parts over a megabyte: sheets run about 10 to 20 times.
MAX_XLSX_RATIO = 100

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
TEMPLATE_EXAMPLE = {
    "compound": "幸福小区",
    "building": "3号楼",
    "unit": "1",
    "floor": "",
    "room": "502",
    "name": "张秀英",
    "birth_year": "1948",
    "phone": "13800138000",
    "lives_alone": "是",
    "has_smartphone": "否",
    "care_flags": "",
    "sms_consent": "是",
    "contact_name": "李明",
    "contact_phone": "13900139000",
}


class SheetRejected(InvalidInput):
    """The whole sheet cannot be imported; nothing was changed."""


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


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 502 and 13800138000 as floats
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def _non_empty(rows: Iterator[list[str]]) -> list[tuple[int, list[str]]]:
    """Return (sheet row number, cells) for rows with any text, refusing oversized sheets."""
    kept: list[tuple[int, list[str]]] = []
    limit = MAX_ROWS + HEADER_SEARCH_ROWS
    for number, cells in enumerate(rows, start=1):
        if number > MAX_RAW_ROWS or len(kept) > limit:
            raise _too_many_rows()
        if any(cell.strip() for cell in cells):
            kept.append((number, cells))
    return kept


def _too_many_rows() -> SheetRejected:
    return SheetRejected(
        _(
            "The sheet has more than %(n)d rows. Split it into smaller sheets and import each.",
            n=MAX_ROWS,
        )
    )


def _unreadable() -> SheetRejected:
    return SheetRejected(
        _(
            "This file is not a readable .xlsx workbook. Open it in Excel or WPS, save it as "
            ".xlsx or CSV, and upload it again."
        )
    )


def _check_archive(data: bytes) -> None:
    """Refuse an .xlsx whose parts would unpack too large, from the zip's directory alone."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable() from None
    total = sum(entry.file_size for entry in entries)
    if (
        len(entries) > MAX_XLSX_ENTRIES
        or total > MAX_XLSX_TOTAL_BYTES
        or any(
            entry.file_size > MAX_XLSX_PART_BYTES
            or (entry.file_size > MB and entry.file_size > MAX_XLSX_RATIO * entry.compress_size)
            for entry in entries
        )
    ):
        raise SheetRejected(
            _(
                "This workbook is too large once unpacked to be a roster sheet (it may hold "
                "pictures, many sheets or very long cells). Copy the roster rows into a new "
                ".xlsx or CSV file and upload that."
            )
        )


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    unreadable = _unreadable()
    _check_archive(data)
    try:
        # Read-only mode streams the worksheet instead of building every cell first.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any failure to parse an uploaded file means "unreadable"
        raise unreadable from None
    try:
        if not workbook.worksheets:
            raise unreadable
        sheet = workbook.worksheets[0]
        # The stored dimension can be wrong, and trusting it pads every row to its width.
        sheet.reset_dimensions()
        rows = (
            [_cell_text(value)[:MAX_CELL_CHARS] for value in row[:MAX_COLUMNS]]
            for row in sheet.iter_rows(values_only=True)
        )
        return _non_empty(rows)
    except SheetRejected:
        raise
    except Exception:
        raise unreadable from None
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise SheetRejected(
            _("This file is an Excel workbook named as CSV. Upload it with the .xlsx ending.")
        )
    # NUL bytes mean UTF-16 ("Unicode text") or a binary file: neither is a CSV we can read.
    if b"\x00" not in data:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise SheetRejected(
        _(
            "The CSV file is neither UTF-8 nor GBK text. In Excel choose Save As → "
            "“CSV UTF-8”, or upload the .xlsx workbook instead."
        )
    )


def _delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()][:5]
    counts = {d: sum(line.count(d) for line in lines) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _non_empty([cell[:MAX_CELL_CHARS] for cell in row[:MAX_COLUMNS]] for row in reader)
    except csv.Error as error:
        raise SheetRejected(
            _(
                "The CSV file could not be read near line %(line)d: %(error)s",
                line=reader.line_num,
                error=str(error),
            )
        ) from None


def read_sheet(filename: str, data: bytes) -> list[tuple[int, list[str]]]:
    """Return the non-empty rows of an .xlsx or .csv file with their row numbers."""
    suffix = PurePath(filename or "").suffix.lower()
    if not data:
        raise SheetRejected(_("The file is empty."))
    if suffix == ".xlsx":
        return _read_xlsx(data)
    if suffix == ".csv":
        return _read_csv(data)
    if suffix == ".xls":
        raise SheetRejected(
            _(
                "Old-style .xls files cannot be read. In Excel or WPS, save the sheet as .xlsx "
                "or CSV and upload that."
            )
        )
    raise SheetRejected(_("Please upload an .xlsx or .csv file."))


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
        raise _too_many_rows()
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


# Template sheets -------------------------------------------------------------------------------


def template_csv() -> bytes:
    """Return a template CSV (UTF-8 with BOM so Excel shows the Chinese) with one example row."""
    return exports.csv_bytes(
        [
            [aliases[0] for aliases in COLUMNS.values()],
            [TEMPLATE_EXAMPLE[name] for name in COLUMNS],
        ]
    )


def template_xlsx() -> bytes:
    """Return a template workbook with the header row and one example row, all cells text."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "roster"
    exports.append_row(sheet, [aliases[0] for aliases in COLUMNS.values()])
    exports.append_row(sheet, [TEMPLATE_EXAMPLE[name] for name in COLUMNS])
    # Text format keeps Excel from turning phone numbers into 1.38E+10.
    for column in sheet.iter_cols(min_row=1, max_row=200, max_col=len(COLUMNS)):
        for cell in column:
            cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
