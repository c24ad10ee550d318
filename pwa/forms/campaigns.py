"""Campaign forms: the policy and its target (the broadcast's criteria), and a household told."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from wtforms import Field

from pwa.forms.broadcasts import AgeField, TickField
from pwa.forms.work_orders import ChoiceCodesField, ChoiceIdsField, TextField
from pwa.steps import Form
from services.broadcasts.queries import Criteria


class DateField(Field):
    """A date input ("2026-12-31"); empty is None (the service says it is needed)."""

    data: date | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        raw = str(valuelist[0] if valuelist else "").strip()
        if not raw:
            return
        try:
            self.data = date.fromisoformat(raw)
        except ValueError:
            raise ValueError(_("Enter the deadline as a date, e.g. 2026-12-31.")) from None


class CampaignForm(Form):
    """A policy: title, the SMS summary, the full text, the deadline; whom it concerns."""

    title = TextField()
    summary = TextField()
    full_text = TextField()
    deadline = DateField()
    min_age = AgeField()
    grids = ChoiceIdsField()
    lives_alone = TickField()
    care_flags = ChoiceCodesField()
    preview = TextField()

    def criteria(self) -> Criteria:
        return Criteria(
            self.min_age.data,
            tuple(self.grids.data or ()),
            bool(self.lives_alone.data),
            tuple(self.care_flags.data or ()),
        )


class InformedForm(Form):
    """How a household was told (checked by the service)."""

    method = TextField()
