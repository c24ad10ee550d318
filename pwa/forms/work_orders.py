"""Work-order forms: dispatching one (window, places, audience) and reporting one's part done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import Field, StringField
from wtforms.validators import StopValidation, ValidationError

from models.clock import ZONE
from models.work_orders import Priority
from pwa.steps import Form
from services.work_orders import operations as work_orders
from services.work_orders.audiences import Audience


def checked_text(what: Any, limit: int, *, required: bool) -> Callable[[Form, Field], None]:
    """Return a validator: trimmed text, required or not, at most limit characters."""

    def check(form: Form, field: Field) -> None:
        value = (field.data or "").strip()
        if required and not value:
            raise StopValidation(_("Enter %(what)s.", what=str(what)))
        if len(value) > limit:
            raise StopValidation(
                _("%(what)s is too long: at most %(n)d characters.", what=str(what), n=limit)
            )

    return check


class TextField(StringField):
    """A text input whose value is trimmed ("" when absent)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0]).strip() if valuelist else ""


class LocalDateTimeField(Field):
    """A datetime-local input ("2026-11-26T07:00"), read as the community's wall-clock time."""

    data: datetime | None

    def __init__(self, label: Any = None, *, what: Any, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.what = what

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if not raw:
            return
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(
                _("“%(value)s” is not a date and time (YYYY-MM-DD HH:MM).", value=raw[:40])
            ) from None
        self.data = moment if moment.tzinfo is not None else moment.replace(tzinfo=ZONE)

    def pre_validate(self, form: Any) -> None:
        if self.data is None and not self.process_errors:
            raise StopValidation(_("Enter %(what)s.", what=str(self.what)))


class ChoiceIdsField(Field):
    """Ticked checkboxes holding ids (grids, partner units, people): sorted, each once."""

    data: tuple[int, ...]

    def process_formdata(self, valuelist: list[Any]) -> None:
        found = set()
        for value in valuelist:
            try:
                found.add(int(value))
            except (TypeError, ValueError):
                self.data = ()
                raise ValueError(_("The audience holds an unknown choice.")) from None
        self.data = tuple(sorted(found))

    def process_data(self, value: Any) -> None:
        self.data = tuple(value or ())


class ChoiceCodesField(Field):
    """Ticked checkboxes holding codes (posts): sorted, each once, blanks dropped."""

    data: tuple[str, ...]

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = tuple(sorted({str(v) for v in valuelist if v}))

    def process_data(self, value: Any) -> None:
        self.data = tuple(value or ())


class PlacesField(Field):
    """How many people are needed: a whole number from 1 to MAX_PLACES."""

    data: int | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        try:
            places = int(str(valuelist[0] if valuelist else "").strip())
        except (TypeError, ValueError):
            raise ValueError(_("Enter how many people are needed, as a number.")) from None
        if places < 1:
            raise ValueError(_("At least one person must be needed."))
        if places > work_orders.MAX_PLACES:
            raise ValueError(_("At most %(n)d people per order.", n=work_orders.MAX_PLACES))
        self.data = places

    def pre_validate(self, form: Any) -> None:
        if self.data is None and not self.process_errors:
            raise StopValidation(_("Enter how many people are needed, as a number."))


class AudienceForm(Form):
    """The audience picker alone: the live count asks with it."""

    grids = ChoiceIdsField()
    roles = ChoiceCodesField()
    partner_units = ChoiceIdsField()
    people = ChoiceIdsField()

    def audience(self) -> Audience:
        return audience_of(self.grids, self.roles, self.partner_units, self.people)


class OrderForm(Form):
    """A new work order, checked in the order the page has always reported problems."""

    starts_at = LocalDateTimeField(what=_l("when it starts"))
    ends_at = LocalDateTimeField(what=_l("when it ends"))
    grids = ChoiceIdsField()
    roles = ChoiceCodesField()
    partner_units = ChoiceIdsField()
    people = ChoiceIdsField()
    title = TextField(
        validators=[checked_text(_l("a title"), work_orders.MAX_TITLE, required=True)]
    )
    instructions = TextField(
        validators=[checked_text(_l("what to do"), work_orders.MAX_INSTRUCTIONS, required=False)]
    )
    location = TextField(
        validators=[checked_text(_l("where"), work_orders.MAX_LOCATION, required=False)]
    )
    places_needed = PlacesField()
    priority = TextField()

    def validate_priority(self, field: Field) -> None:
        field.data = field.data or Priority.NORMAL
        if field.data not in set(Priority):
            raise ValidationError(_("Unknown priority."))

    def audience(self) -> Audience:
        return audience_of(self.grids, self.roles, self.partner_units, self.people)


def audience_of(*fields: Field) -> Audience:
    """Return the Audience the four picker fields (grids, roles, units, people) hold."""
    grids, roles, units, people = (tuple(f.data or ()) for f in fields)
    return Audience(grids=grids, roles=roles, partner_units=units, people=people)


class DoneForm(Form):
    """One's part reported done: a note and, if taken, a photo."""

    note = TextField(
        validators=[checked_text(_l("the note"), work_orders.MAX_NOTE, required=False)]
    )
    photo = FileField()


class ReopenForm(Form):
    """Work sent back: the reason is required."""

    reason = TextField(
        validators=[checked_text(_l("a reason"), work_orders.MAX_REASON, required=True)]
    )
