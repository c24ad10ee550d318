"""The roster sheet's columns: the headers each field accepts, and how a row's resident reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _

from models import Resident
from services.roster import operations as roster

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
    "grid": ("网格", "grid"),
    "id_number": ("身份证号", "id_number", "身份证", "身份证号码"),
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
    "id_number_hash": None,
    "id_number_last4": "",
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
        "id_number": _("ID number"),
        "kind": _("Kind"),
    }


# The fields field_labels() names, known without translating them.
FIELD_NAMES = frozenset(
    (
        "name",
        "birth_year",
        "phone",
        "lives_alone",
        "has_smartphone",
        "sms_consent",
        "care_flags",
        "floor",
        "contact_name",
        "contact_phone",
        "id_number",
        "kind",
    )
)


def column_label(name: str, columns: Mapping[str, tuple[str, ...]] = COLUMNS) -> str:
    """Return a column as the sheet spells it, Chinese and English, e.g. 小区/compound."""
    return f"{columns[name][0]}/{columns[name][1]}"


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


def unit_of(value: str, what: str) -> str:
    unit = roster.normalize_room(value, what=what)
    return unit.removesuffix("单元").strip()  # "1单元" and "1" are the same unit


def address_of(compound: str, building: str, unit: str, room: str) -> str:
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


@dataclass
class NewResident:
    """A resident the sheet adds, written in bulk at the end; later rows may still match it."""

    values: dict[str, Any]
    key: HouseholdKey
    row: int

    @property
    def name(self) -> str:
        return str(self.values["name"])


Found = Resident | NewResident
