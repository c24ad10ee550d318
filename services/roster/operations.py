"""Editing the roster: buildings, households and residents, with every change audited."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from models import Building, Grid, Household, Person, Resident, db
from services import audit, phones
from services.errors import InvalidInput
from services.tallies import operations as tallies

MAX_NAME = 50
MAX_NOTE = 2000
CARE_FLAGS = ("disabled", "chronic_illness", "dementia", "bedridden", "low_income", "veteran")
# What a person reads for each known flag; a flag typed by hand (e.g. 独居) shows as typed.
CARE_FLAG_LABELS: dict[str, Any] = {
    "disabled": lazy_gettext("Disabled"),
    "chronic_illness": lazy_gettext("Chronic illness"),
    "dementia": lazy_gettext("Dementia"),
    "bedridden": lazy_gettext("Bedridden"),
    "low_income": lazy_gettext("Low income"),
    "veteran": lazy_gettext("Veteran"),
}
TRUE_WORDS = {"1", "y", "yes", "true", "是", "有", "√", "✓", "on", "x"}
FALSE_WORDS = {"", "0", "n", "no", "false", "否", "无", "没有", "off", "×"}


def clean_text(value: object, *, limit: int, what: str, required: bool = False) -> str:
    """Return trimmed text with control characters removed, or raise with a readable reason."""
    text = unicodedata.normalize("NFC", str(value or "")).strip()
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    if required and not text:
        raise InvalidInput(_("%(what)s is required.", what=what))
    if len(text) > limit:
        raise InvalidInput(_("%(what)s is at most %(n)d characters.", what=what, n=limit))
    return text


def parse_bool(value: object, *, what: str) -> bool:
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise InvalidInput(_("%(what)s should be yes or no, not “%(value)s”.", what=what, value=text))


def parse_birth_year(value: object, today: date) -> int | None:
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    if not text:
        return None
    if text.endswith(".0"):
        text = text[:-2]  # spreadsheets hand numbers over as floats
    if not text.isdigit():
        raise InvalidInput(_("Birth year “%(value)s” is not a year.", value=text))
    year = int(text)
    if not 1900 <= year <= today.year:
        raise InvalidInput(_("Birth year %(year)d is out of range.", year=year))
    return year


def parse_phone(value: object) -> str | None:
    text = str(value if value is not None else "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    return phones.normalize(text) if text else None


def care_flag_label(flag: str) -> str:
    """Return how a care flag reads: a known code's label, or the flag as typed."""
    label = CARE_FLAG_LABELS.get(flag)
    return str(label) if label is not None else flag


def parse_care_flags(value: object) -> list[str]:
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        return []
    parts = [p.strip() for p in text.replace("、", ",").replace(";", ",").split(",")]
    # A known flag typed as it reads (慢性病, Chronic illness) is stored as its code.
    by_label = {str(label).casefold(): code for code, label in CARE_FLAG_LABELS.items()}
    by_label.update({code: code for code in CARE_FLAGS})
    flags = [by_label.get(p.casefold(), p) for p in parts if p]
    for flag in flags:
        if len(flag) > 30:
            raise InvalidInput(_("A care flag is at most 30 characters."))
    return flags[:10]


@dataclass
class ResidentFields:
    name: str
    birth_year: int | None
    phone: str | None
    lives_alone: bool
    has_smartphone: bool
    sms_consent: bool
    care_flags: list[str] = field(default_factory=list)


def apply(resident: Resident, fields: ResidentFields) -> list[str]:
    """Copy fields onto the resident; return the names of the fields that changed."""
    changed = []
    for name in (
        "name",
        "birth_year",
        "phone",
        "lives_alone",
        "has_smartphone",
        "sms_consent",
        "care_flags",
    ):
        value = getattr(fields, name)
        if getattr(resident, name) != value:
            setattr(resident, name, value)
            changed.append(name)
    return changed


def _duplicate_name(household: Household, name: str, exclude_id: int | None) -> bool:
    query = select(Resident.id).where(Resident.household_id == household.id, Resident.name == name)
    if exclude_id is not None:
        query = query.where(Resident.id != exclude_id)
    return db.session.scalar(query) is not None


def update_resident(resident: Resident, fields: ResidentFields, *, by: Person) -> list[str]:
    """Change a resident's record; audited with the names of the changed fields."""
    if _duplicate_name(resident.household, fields.name, resident.id):
        raise InvalidInput(
            _("This household already has a resident named %(name)s.", name=fields.name)
        )
    changed = apply(resident, fields)
    db.session.flush()
    if changed:
        audit.record(
            actor=by,
            community_id=resident.household.building.community_id,
            action="update",
            subject_type="resident",
            subject_id=resident.id,
            detail=", ".join(changed),
        )
    return changed


def add_resident(household: Household, fields: ResidentFields, *, by: Person) -> Resident:
    """Add a resident to a household; names are unique within it."""
    if _duplicate_name(household, fields.name, None):
        raise InvalidInput(
            _("This household already has a resident named %(name)s.", name=fields.name)
        )
    resident = Resident(household_id=household.id, name=fields.name, care_flags=[])
    apply(resident, fields)
    db.session.add(resident)
    db.session.flush()
    audit.record(
        actor=by,
        community_id=household.building.community_id,
        action="create",
        subject_type="resident",
        subject_id=resident.id,
        detail=resident.name,
    )
    return resident


def add_building(grid: Grid, *, compound: str, name: str, by: Person) -> Building:
    """Add a building (compound and name, already cleaned) to a grid; it must be new there."""
    exists = db.session.scalar(
        select(Building.id).where(
            Building.community_id == grid.community_id,
            Building.compound == compound,
            Building.name == name,
        )
    )
    if exists:
        raise InvalidInput(_("%(compound)s %(name)s already exists.", compound=compound, name=name))
    building = Building(
        community_id=grid.community_id, grid_id=grid.id, compound=compound, name=name
    )
    db.session.add(building)
    db.session.flush()
    audit.record(
        actor=by,
        community_id=grid.community_id,
        action="create",
        subject_type="building",
        subject_id=building.id,
        detail=building.label,
    )
    return building


def parse_floor(value: object, room: str) -> int | None:
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if text:
        if not text.lstrip("-").isdigit() or not -5 <= int(text) <= 200:
            raise InvalidInput(_("Floor “%(value)s” is not a floor number.", value=text))
        return int(text)
    # Room 1502 is on floor 15, room 501 on floor 5: the usual Chinese numbering.
    digits = "".join(ch for ch in room if ch.isdigit())
    return int(digits[:-2]) if len(digits) >= 3 else None


def normalize_room(value: object, *, what: str) -> str:
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return clean_text(text, limit=20, what=what, required=what == _("Room"))


@dataclass
class HouseholdFields:
    unit: str
    room: str
    floor: int | None
    contact_name: str
    contact_phone: str | None


def add_household(building: Building, fields: HouseholdFields, *, by: Person) -> Household:
    """Add a household to a building; unit and room must be new there."""
    exists = db.session.scalar(
        select(Household.id).where(
            Household.building_id == building.id,
            Household.unit == fields.unit,
            Household.room == fields.room,
            Household.current(),
        )
    )
    if exists:
        raise InvalidInput(
            _("Room %(room)s is already recorded in this building.", room=fields.room)
        )
    household = Household(
        building_id=building.id,
        unit=fields.unit,
        room=fields.room,
        floor=fields.floor,
        contact_name=fields.contact_name,
        contact_phone=fields.contact_phone,
    )
    db.session.add(household)
    db.session.flush()
    tallies.household_added(household)
    audit.record(
        actor=by,
        community_id=building.community_id,
        action="create",
        subject_type="household",
        subject_id=household.id,
        detail=household.room,
    )
    return household


def update_household_contact(
    household: Household, *, name: str, phone: str | None, by: Person
) -> list[str]:
    """Change who to reach for a household's residents without a phone of their own."""
    changed = []
    if household.contact_name != name:
        household.contact_name = name
        changed.append("contact_name")
    if household.contact_phone != phone:
        household.contact_phone = phone
        changed.append("contact_phone")
    db.session.flush()
    if changed:
        audit.record(
            actor=by,
            community_id=household.building.community_id,
            action="update",
            subject_type="household",
            subject_id=household.id,
            detail=", ".join(changed),
        )
    return changed


# Moving out and dying: kept on record, gone from lists -------------------------------------


def _check_day(on: date, today: date) -> None:
    # A date to come would leave someone on every list until then, silently: refused.
    if on > today:
        raise InvalidInput(_("The date cannot be in the future."))


def mark_moved_out(household: Household, *, on: date, today: date, by: Person) -> Household:
    """Record that a household moved out (迁出): its history stays, it leaves lists and messages."""
    if household.moved_out_on is not None:
        raise InvalidInput(_("This household is already marked moved out."))
    _check_day(on, today)
    household.moved_out_on = on
    db.session.flush()
    tallies.household_moved_out(household)
    audit.record(
        actor=by,
        community_id=household.building.community_id,
        action="household.moved_out",
        subject_type="household",
        subject_id=household.id,
        detail=on.isoformat(),
    )
    return household


def mark_deceased(resident: Resident, *, on: date, today: date, by: Person) -> Resident:
    """Record that a resident died (已故): kept on record, out of every list and message.

    A resident who signed in as a person, with no other home here, is signed out of the
    volunteer lists too: their person is made inactive and their posts end today.
    """
    if resident.deceased_on is not None:
        raise InvalidInput(_("This resident is already marked deceased."))
    _check_day(on, today)
    resident.deceased_on = on
    person = resident.person
    if person is not None and all(
        r.deceased_on is not None for r in person.residents if r.id != resident.id
    ):
        person.active = False
        for post in person.active_posts(today):
            post.ends_on = today
    db.session.flush()
    audit.record(
        actor=by,
        community_id=resident.household.building.community_id,
        action="resident.deceased",
        subject_type="resident",
        subject_id=resident.id,
        detail=on.isoformat(),
    )
    return resident


def undo_moved_out(household: Household, *, by: Person) -> Household:
    """Take back a moved-out mark made by mistake."""
    if household.moved_out_on is None:
        raise InvalidInput(_("This household is not marked moved out."))
    taken = db.session.scalar(
        select(Household.id).where(
            Household.building_id == household.building_id,
            Household.unit == household.unit,
            Household.room == household.room,
            Household.current(),
        )
    )
    if taken is not None:
        raise InvalidInput(_("Another household lives in room %(room)s now.", room=household.room))
    household.moved_out_on = None
    db.session.flush()
    tallies.household_moved_back(household)
    audit.record(
        actor=by,
        community_id=household.building.community_id,
        action="household.moved_back",
        subject_type="household",
        subject_id=household.id,
        detail="",
    )
    return household


def undo_deceased(resident: Resident, *, by: Person) -> Resident:
    """Take back a deceased mark made by mistake (a person made inactive stays so)."""
    if resident.deceased_on is None:
        raise InvalidInput(_("This resident is not marked deceased."))
    resident.deceased_on = None
    db.session.flush()
    audit.record(
        actor=by,
        community_id=resident.household.building.community_id,
        action="resident.undo_deceased",
        subject_type="resident",
        subject_id=resident.id,
        detail="",
    )
    return resident


# ID-card numbers: matched by a keyed hash, shown by the last four characters ----------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class IdNumber:
    hash: str
    last4: str


def parse_id_number(value: object, key: bytes) -> IdNumber | None:
    """Read an ID-card number (18 characters, or the old 15 digits); None when empty.

    Only its HMAC-SHA256 (keyed with SECRET_KEY) and its last four characters leave this
    function: the number itself is never stored.
    """
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    text = text.replace(" ", "").replace("-", "").upper()
    if not text:
        return None
    if re.fullmatch(r"\d(\.\d+)?E\+\d+", text):
        raise InvalidInput(
            _(
                "The ID number was turned into a number by the spreadsheet: "
                "format the column as text."
            )
        )
    if re.fullmatch(r"\d{17}[\dX]", text):
        total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
        if _ID_CHECK[total % 11] != text[17]:
            raise InvalidInput(_("The ID number's last character does not match: check it."))
    elif not re.fullmatch(r"\d{15}", text):
        raise InvalidInput(_("An ID number has 18 characters (or 15 digits)."))
    digest = hmac.new(key, f"id-card:{text}".encode(), hashlib.sha256).hexdigest()
    return IdNumber(hash=digest, last4=text[-4:])
