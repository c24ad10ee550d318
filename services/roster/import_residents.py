"""The residents' sheet of a roster import, row by row (services.roster.importing runs it).

The community's households and residents are read once and held in memory, so a row costs no
query; each row is matched (ID-card hash, else name, else phone in the household), checked
and applied, and new households and residents are written in bulk by `save`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select

from models import Building, Community, Household, Resident, db
from services.errors import InvalidInput
from services.roster import operations as roster
from services.roster.import_columns import (
    NEW_RESIDENT,
    RESIDENT_FIELDS,
    Found,
    HouseholdKey,
    NewHousehold,
    NewResident,
    address_of,
    parse_resident,
    unit_of,
)
from services.roster.import_places import Places, place_key
from services.roster.import_report import Outcome, RowResult
from services.roster.sheets import Rows
from services.tallies import operations as tallies


class ResidentRows:
    """Holds the community's households and residents in memory: each row costs no query."""

    def __init__(
        self,
        community: Community,
        places: Places,
        columns: dict[str, int],
        today: date,
        id_key: bytes,
    ) -> None:
        self.columns = columns
        self.today = today
        self.id_key = id_key
        self.places = places
        # gettext per row would cost more than the row itself on a 20,000-row sheet.
        self.what = {
            "compound": _("Compound"),
            "building": _("Building"),
            "unit": _("Unit"),
            "room": _("Room"),
            "name": _("Name"),
            "contact_name": _("Contact name"),
        }
        self.households: dict[HouseholdKey, Household | NewHousehold] = {}
        by_id: dict[int, HouseholdKey] = {}
        moved_out: set[int] = set()
        for household in db.session.scalars(
            select(Household).join(Building).where(Building.community_id == community.id)
        ):
            key = (household.building_id, household.unit, household.room)
            by_id[household.id] = key
            if household.moved_out_on is None:
                self.households[key] = household
            else:
                moved_out.add(household.id)
        # Who lived in a room before its household moved out: a row naming them is out of date.
        self.former: dict[HouseholdKey, list[Resident]] = {}
        self.residents: dict[tuple[HouseholdKey, str], Found] = {}
        self.by_phone: dict[tuple[HouseholdKey, str], list[Found]] = {}
        self.by_id_number: dict[str, tuple[Found, HouseholdKey]] = {}
        for resident in db.session.scalars(
            select(Resident)
            .join(Household)
            .join(Building)
            .where(Building.community_id == community.id)
        ):
            key = by_id[resident.household_id]
            if resident.household_id in moved_out:
                self.former.setdefault(key, []).append(resident)
                continue
            self._remember(resident, key, resident.name, resident.phone, resident.id_number_hash)
        self.seen: dict[tuple[HouseholdKey, str], int] = {}
        self.seen_residents: dict[int, int] = {}  # id(resident) → the row that matched it
        self.contacts: dict[HouseholdKey, tuple[int, str | None, str | None]] = {}
        self.new_households: list[NewHousehold] = []
        # New rows are written in bulk at the end: ORM objects built and flushed row by row
        # took most of the time of a large import.
        self.new_residents: list[NewResident] = []
        self.sheet_names: set[tuple[str, ...]] = set()
        self.place: tuple[str, str, str, str] = ("", "", "", "")

    def _remember(
        self, found: Found, key: HouseholdKey, name: str, phone: str | None, id_hash: str | None
    ) -> None:
        self.residents[(key, name)] = found
        if phone:
            self.by_phone.setdefault((key, phone), []).append(found)
        if id_hash:
            self.by_id_number[id_hash] = (found, key)

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
            tallies.households_added(Counter(h.building_id for h in self.new_households))
        if self.new_residents:
            rows = [
                {**new.values, "household_id": ids[new.key], "updated_at": now}
                for new in self.new_residents
            ]
            db.session.execute(insert(Resident), rows)

    def row(self, number: int, cells: list[str]) -> RowResult:
        raw = {name: cells[i] if i < len(cells) else "" for name, i in self.columns.items()}
        shown_name = raw["name"].strip()[: roster.MAX_NAME]
        parts = ("compound", "building", "unit", "room")
        address = address_of(*(raw.get(k, "").strip() for k in parts))
        try:
            compound = roster.clean_text(
                raw["compound"], limit=100, what=self.what["compound"], required=True
            )
            building_name = roster.clean_text(
                raw["building"], limit=50, what=self.what["building"], required=True
            )
            unit = unit_of(raw.get("unit", ""), self.what["unit"])
            room = roster.normalize_room(raw["room"], what=self.what["room"])
            name = roster.clean_text(
                raw["name"], limit=roster.MAX_NAME, what=self.what["name"], required=True
            )
            address = address_of(compound, building_name, unit, room)
            # Read the whole row before a building is created for it: a bad cell creates nothing.
            fields = parse_resident(raw, self.today)
            id_number = roster.parse_id_number(raw.get("id_number"), self.id_key)
            building = self.places.building(compound, building_name)
            if building is None:
                self._check_household_cells(raw, room)
                building = self.places.add_building(compound, building_name, raw.get("grid", ""))
            key: HouseholdKey = (building.id, unit, room)
            first = self.seen.setdefault((key, name), number)
            if first != number:
                raise InvalidInput(
                    _("Duplicate of row %(row)d: the same name in the same household.", row=first)
                )
            self.place = (
                place_key(compound),
                place_key(building_name),
                place_key(unit),
                place_key(room),
            )
            return self._apply(number, raw, key, address, fields, id_number)
        except InvalidInput as error:
            return RowResult(number, shown_name, address, Outcome.REJECTED, reason=error.message)

    def _check_household_cells(self, raw: dict[str, str], room: str) -> None:
        """Refuse a bad floor or contact before a building is created for the row."""
        roster.parse_floor(raw.get("floor", "").strip(), room)
        roster.clean_text(raw.get("contact_name", ""), limit=50, what=self.what["contact_name"])
        roster.parse_phone(raw.get("contact_phone", ""))

    def named_in_sheet(self, rows: Rows) -> None:
        """Note every (address, name) the sheet holds, before the rows are read one by one.

        A resident found by phone under another name is renamed only when the sheet does not
        name them as well: two people sharing one phone are not one person renamed.
        """
        get = self.columns.get
        for _number, cells in rows:
            cell = [
                place_key(cells[i]) if i is not None and i < len(cells) else ""
                for i in (get("compound"), get("building"), get("unit"), get("room"), get("name"))
            ]
            cell[2] = cell[2].removesuffix("单元").strip()
            self.sheet_names.add(tuple(cell))

    def _lived_here(
        self, key: HouseholdKey, fields: roster.ResidentFields, id_number: roster.IdNumber | None
    ) -> bool:
        """Whether the row names someone of a household that moved out of this room."""
        return any(
            (id_number is not None and r.id_number_hash == id_number.hash)
            or r.name == fields.name
            or (fields.phone is not None and r.phone == fields.phone)
            for r in self.former.get(key, ())
        )

    def _match(
        self, key: HouseholdKey, fields: roster.ResidentFields, id_number: roster.IdNumber | None
    ) -> Found | None:
        """Return the resident this row is: by ID number, by name, or by phone in the household."""
        if id_number is not None:
            found = self.by_id_number.get(id_number.hash)
            if found is not None:
                resident, where = found
                if where != key:
                    raise InvalidInput(
                        _(
                            "This ID number belongs to a resident of another household: mark "
                            "them moved out there first, or correct the row."
                        )
                    )
                return resident
        named = self.residents.get((key, fields.name))
        if named is not None:
            return named
        if fields.phone:
            same_phone = self.by_phone.get((key, fields.phone), [])
            if len(same_phone) == 1 and (*self.place, same_phone[0].name) not in self.sheet_names:
                return same_phone[0]  # renamed: the same person under a corrected name
        return None

    def _apply(
        self,
        number: int,
        raw: dict[str, str],
        key: HouseholdKey,
        address: str,
        fields: roster.ResidentFields,
        id_number: roster.IdNumber | None,
    ) -> RowResult:
        """Validate the rest of the row, then write it; a rejected row writes nothing."""
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
        household = self.households.get(key)
        if household is None and self._lived_here(key, fields, id_number):
            return RowResult(
                number,
                fields.name,
                address,
                Outcome.SKIPPED,
                reason=_(
                    "%(name)s's household is marked moved out: the row changes nothing. "
                    "If they are back, put the household back on the lists first.",
                    name=fields.name,
                ),
            )
        found = self._match(key, fields, id_number)
        if found is not None:
            matched_at = self.seen_residents.setdefault(id(found), number)
            if matched_at != number:
                raise InvalidInput(
                    _(
                        "Row %(row)d is already the same resident (same ID number or phone).",
                        row=matched_at,
                    )
                )
        if isinstance(found, Resident) and found.deceased_on is not None:
            return RowResult(
                number,
                fields.name,
                address,
                Outcome.SKIPPED,
                reason=_("%(name)s is marked deceased: the row changes nothing.", name=found.name),
            )
        if isinstance(found, NewResident):
            raise InvalidInput(
                _("Duplicate of row %(row)d: the same person in the same household.", row=found.row)
            )

        changed: list[str] = []
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
        id_hash = id_number.hash if id_number else None
        if found is None:
            values: dict[str, Any] = {**NEW_RESIDENT, "name": fields.name}
            values.update((name, getattr(fields, name)) for name in present)
            if id_number is not None:
                values.update(id_number_hash=id_number.hash, id_number_last4=id_number.last4)
            new = NewResident(values, key, number)
            self.new_residents.append(new)
            self._remember(new, key, fields.name, values["phone"], id_hash)
            return RowResult(number, fields.name, address, Outcome.IMPORTED)
        resident = found
        old_name = resident.name
        for name in present:
            value = getattr(fields, name)
            if getattr(resident, name) != value:
                setattr(resident, name, value)
                changed.append(name)
        if id_number is not None and resident.id_number_hash != id_number.hash:
            resident.id_number_hash = id_number.hash
            resident.id_number_last4 = id_number.last4
            changed.append("id_number")
        if resident.name != old_name:
            self.residents.pop((key, old_name), None)
            self._remember(resident, key, resident.name, None, None)
        outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
        return RowResult(number, fields.name, address, outcome, changed=changed)
