"""Meeting forms: calling one (kind, time, place, agenda, invitees), the door, minutes."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import ValidationError

from models.meetings import MEETING_MINUTES, MeetingKind
from pwa.forms.work_orders import (
    ChoiceCodesField,
    ChoiceIdsField,
    LocalDateTimeField,
    TextField,
    checked_text,
)
from pwa.steps import Form
from services.meetings import operations as meetings
from services.meetings.operations import Invitees
from services.needs.queries import CATEGORIES
from services.work_orders.audiences import Audience


class OptionalIdField(Field):
    """One id from a select or a hidden input: None when left empty."""

    data: int | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if raw:
            try:
                self.data = int(raw)
            except ValueError:
                raise ValueError(_("The list holds an unknown choice.")) from None


class InviteesForm(Form):
    """The invitee picker alone: the live count asks with it. Posts are "these roles in these
    grids" plus named people (the dispatching picker's rule); partner units are invited
    through their contact; residents are picked by search."""

    grids = ChoiceIdsField()
    roles = ChoiceCodesField()
    people = ChoiceIdsField()
    partner_units = ChoiceIdsField()
    residents = ChoiceIdsField()

    def invitees(self) -> Invitees:
        return Invitees(
            audience=Audience(
                grids=tuple(self.grids.data or ()),
                roles=tuple(self.roles.data or ()),
                people=tuple(self.people.data or ()),
            ),
            partner_units=tuple(self.partner_units.data or ()),
            residents=tuple(self.residents.data or ()),
        )


class MeetingForm(InviteesForm):
    """A meeting to call, checked in the order the page shows its fields."""

    kind = TextField()
    title = TextField(validators=[checked_text(_l("a title"), meetings.MAX_TITLE, required=True)])
    starts_at = LocalDateTimeField(what=_l("when it starts"))
    duration_minutes = TextField(default=str(MEETING_MINUTES))
    place = TextField(validators=[checked_text(_l("the place"), meetings.MAX_PLACE, required=True)])
    agenda = TextField(
        validators=[checked_text(_l("the agenda"), meetings.MAX_AGENDA, required=False)]
    )

    def minutes(self) -> int:
        """The length chosen, the usual one when none is sent (the services refuse one the
        form does not offer)."""
        raw = (self.duration_minutes.data or "").strip()
        if not raw:
            return MEETING_MINUTES
        return int(raw) if raw.isdigit() else 0

    def validate_kind(self, field: Field) -> None:
        if field.data not in set(MeetingKind):
            raise ValidationError(_("Choose the kind of meeting."))


class MinutesForm(Form):
    minutes = TextField(
        validators=[checked_text(_l("the minutes"), meetings.MAX_MINUTES, required=True)]
    )
    decisions = TextField(
        validators=[checked_text(_l("the decisions"), meetings.MAX_MINUTES, required=False)]
    )


class SuggestionForm(Form):
    text = TextField(
        validators=[checked_text(_l("the suggestion"), meetings.MAX_SUGGESTION, required=True)]
    )
    resident = OptionalIdField()


class ConvertForm(Form):
    category = TextField()

    def validate_category(self, field: Field) -> None:
        field.data = field.data or "other"
        if field.data not in CATEGORIES:
            raise ValidationError(_("Choose a category for the need."))


class WalkInForm(Form):
    """Someone who came uninvited: a resident found by search, or a name typed."""

    resident = OptionalIdField()
    name = TextField(validators=[checked_text(_l("the name"), meetings.MAX_NAME, required=False)])

    def validate_name(self, field: Field) -> None:
        if self.resident.data is None and not field.data:
            raise ValidationError(_("Enter the name of whoever came, or find the resident."))
