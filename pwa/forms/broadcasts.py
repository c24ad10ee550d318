"""Broadcast forms: a mobilisation (an urgent order with its call) and an information notice."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field

from pwa.forms.work_orders import (
    ChoiceCodesField,
    ChoiceIdsField,
    LocalDateTimeField,
    PlacesField,
    TextField,
    audience_of,
    checked_text,
)
from pwa.steps import Form
from services.broadcasts import operations as broadcasts
from services.broadcasts.queries import MAX_AGE, Criteria
from services.work_orders.audiences import Audience


class MobiliseForm(Form):
    """An urgent call for volunteers: the order's window and places, the audience, the text."""

    starts_at = LocalDateTimeField(what=_l("when it starts"))
    ends_at = LocalDateTimeField(what=_l("when it ends"))
    grids = ChoiceIdsField()
    roles = ChoiceCodesField()
    partner_units = ChoiceIdsField()
    people = ChoiceIdsField()
    text = TextField(
        validators=[checked_text(_l("the message"), broadcasts.MAX_TEXT, required=True)]
    )
    title = TextField()
    location = TextField()
    places_needed = PlacesField()

    def audience(self) -> Audience:
        return audience_of(self.grids, self.roles, self.partner_units, self.people)


class AgeField(Field):
    """An optional age in whole years, 1 to MAX_AGE."""

    data: int | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        raw = str(valuelist[0] if valuelist else "").strip()
        if not raw:
            return
        try:
            age = int(raw)
        except ValueError:
            raise ValueError(_("Enter the age as a number, e.g. 80.")) from None
        if not 0 < age <= MAX_AGE:
            raise ValueError(_("Enter an age between 1 and %(n)d.", n=MAX_AGE))
        self.data = age


class TickField(Field):
    """A checkbox: ticked when sent as "1", "on" or "true"."""

    data: bool

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = bool(valuelist) and valuelist[0] in ("1", "on", "true")

    def process_data(self, value: Any) -> None:
        self.data = bool(value)


class InformForm(Form):
    """Which residents a notice concerns, and its text (checked when it is sent, not previewed)."""

    min_age = AgeField()
    grids = ChoiceIdsField()
    lives_alone = TickField()
    text = TextField()
    preview = TextField()

    def criteria(self) -> Criteria:
        return Criteria(
            self.min_age.data, tuple(self.grids.data or ()), bool(self.lives_alone.data)
        )
