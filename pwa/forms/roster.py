"""The roster's forms: residents, households, buildings, posts, custom roles, partner units.

The fields are read by the same checks the roster import applies to a sheet's cells
(services.roster.operations), so a form and a sheet refuse the same input with the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_wtf.file import FileField
from wtforms import Field, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from models import clock
from pwa.forms.fields import Parsed
from pwa.steps import Form
from services import audit_trail, phones
from services.errors import InvalidInput
from services.roster import operations as roster
from services.roster import permissions
from services.roster.operations import HouseholdFields, ResidentFields


def _text(limit: int, what: Callable[[], str], *, required: bool = False) -> Parsed:
    return Parsed(lambda raw: roster.clean_text(raw, limit=limit, what=what(), required=required))


def _yes_no(what: Callable[[], str]) -> Parsed:
    return Parsed(lambda raw: roster.parse_bool(raw, what=what()))


def _id(raw: str) -> int | None:
    """Return the id a select sent, or None for none (or one that is not a number)."""
    text = raw.strip()
    return int(text) if text.isdigit() else None


def _iso_date(raw: str) -> date:
    """Return the date typed (YYYY-MM-DD), or today when none was."""
    if not raw:
        return clock.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("“%(value)s” is not a date (YYYY-MM-DD).", value=raw)) from None


class ResidentForm(Form):
    name = _text(roster.MAX_NAME, lambda: _("Name"), required=True)
    birth_year = Parsed(lambda raw: roster.parse_birth_year(raw, clock.today()))
    phone = Parsed(roster.parse_phone)
    lives_alone = _yes_no(lambda: _("Lives alone"))
    has_smartphone = _yes_no(lambda: _("Has a smartphone"))
    sms_consent = _yes_no(lambda: _("Consents to SMS"))
    care_flags = Parsed(roster.parse_care_flags)

    def parsed(self) -> ResidentFields:
        return ResidentFields(
            name=self.name.data,
            birth_year=self.birth_year.data,
            phone=self.phone.data,
            lives_alone=self.lives_alone.data,
            has_smartphone=self.has_smartphone.data,
            sms_consent=self.sms_consent.data,
            care_flags=self.care_flags.data,
        )


def _room(raw: str) -> str:
    room = roster.normalize_room(raw, what=_("Room"))
    if not room:
        raise InvalidInput(_("%(what)s is required.", what=_("Room")))
    return room


class HouseholdForm(Form):
    unit = Parsed(lambda raw: roster.normalize_room(raw, what=_("Unit")))
    room = Parsed(_room)
    floor = Parsed(str)  # read with the room below: room 1502 is on floor 15
    contact_name = _text(roster.MAX_NAME, lambda: _("Contact"))
    contact_phone = Parsed(roster.parse_phone)

    def validate_floor(self, field: Parsed) -> None:
        if self.room.errors or self.unit.errors:
            return
        try:
            field.data = roster.parse_floor(field.raw, self.room.data)
        except InvalidInput as error:
            raise ValidationError(error.message) from None

    def parsed(self) -> HouseholdFields:
        return HouseholdFields(
            unit=self.unit.data,
            room=self.room.data,
            floor=self.floor.data,
            contact_name=self.contact_name.data,
            contact_phone=self.contact_phone.data,
        )


class ContactForm(Form):
    """Who to reach for a household's residents without a phone of their own."""

    contact_name = _text(roster.MAX_NAME, lambda: _("Contact"))
    contact_phone = Parsed(roster.parse_phone)


class BuildingForm(Form):
    grid_id = Parsed(_id)
    compound = _text(100, lambda: _("Compound"), required=True)
    name = _text(50, lambda: _("Building"), required=True)

    def validate_grid_id(self, field: Parsed) -> None:
        if field.data is None:
            raise ValidationError(_("Please choose a grid."))


class PostForm(Form):
    """Assigning a post; the person is found by phone, or added with the name given."""

    phone = Parsed(phones.normalize)
    name = StringField(default="")
    role = StringField(default="")
    grid_id = Parsed(_id)
    building_id = Parsed(_id)
    duties = StringField(default="")
    starts_on = Parsed(_iso_date)


class EndPostForm(Form):
    ends_on = Parsed(_iso_date)


class CustomRoleForm(Form):
    code = StringField(default="")
    name = StringField(default="")
    duties = StringField(default="")


class PermissionsField(Field):
    """Checkboxes of permissions: every value ticked, each one checked against the vocabulary."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = [str(v) for v in valuelist]

    def pre_validate(self, form: Any) -> None:
        try:
            self.data = permissions.parse(getattr(self, "raw", []))
        except InvalidInput as error:
            raise ValidationError(error.message) from None


class RolePermissionsForm(Form):
    """What a role may see or do in the community: the ticked permissions."""

    permissions = PermissionsField(default=frozenset())


class PartnerForm(Form):
    """A new partner unit, or (with unit_id) a new member of one."""

    unit_id = Parsed(_id)
    name = StringField(default="")
    kind = StringField(default="")
    contact_name = StringField(default="")
    contact_phone = StringField(default="")
    phone = StringField(default="")


class ImportForm(Form):
    """A roster sheet to import (.xlsx or .csv)."""

    sheet = FileField()
    content: bytes = b""

    def validate_sheet(self, field: FileField) -> None:
        upload = field.data
        if upload is None or not getattr(upload, "filename", None):
            raise ValidationError(_("Please choose a sheet to upload."))
        self.content = upload.read()
        if not self.content:
            raise ValidationError(_("The file is empty."))


def _date_or_none(raw: str) -> date | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("“%(value)s” is not a date (YYYY-MM-DD).", value=text[:20])) from None


class AuditFilterForm(Form):
    """The audit page's filters (read from the query string): person, resident, dates."""

    person = StringField()
    resident = StringField()
    since = Parsed(_date_or_none)
    until = Parsed(_date_or_none)

    def validate_until(self, field: Parsed) -> None:
        since = self.since.data
        if since is not None and field.data is not None and field.data < since:
            raise ValidationError(_("The first date is after the last."))

    def filters(self) -> audit_trail.Filters:
        return audit_trail.Filters(
            person=(self.person.data or "").strip()[:40],
            resident=(self.resident.data or "").strip()[:40],
            since=self.since.data,
            until=self.until.data,
        )


class BulkBuildingsForm(Form):
    """Buildings in bulk: a compound, "1-12号楼", units per building, a grid (optional)."""

    compound = StringField(default="")
    buildings = StringField(default="")
    units = StringField(default="")
    grid_id = Parsed(_id)


class GridForm(Form):
    name = _text(100, lambda: _("Grid"), required=True)


class MoveBuildingForm(Form):
    building_id = Parsed(_id)
    grid_id = Parsed(_id)

    def validate_building_id(self, field: Parsed) -> None:
        if field.data is None:
            raise ValidationError(_("Please choose a building."))

    def validate_grid_id(self, field: Parsed) -> None:
        if field.data is None:
            raise ValidationError(_("Please choose a grid."))


class EditPostForm(Form):
    """A post's role, area and duties (the person and the start stay)."""

    role = StringField(default="")
    grid_id = Parsed(_id)
    building_id = Parsed(_id)
    duties = StringField(default="")


class EndPartnerForm(Form):
    ends_on = Parsed(_iso_date)


def _required_date(raw: str) -> date:
    if not raw.strip():
        raise InvalidInput(_("Please give the date."))
    return _iso_date(raw.strip())


class DayForm(Form):
    """The day something happened (moved out, died): the page fills in today."""

    on = Parsed(_required_date)
