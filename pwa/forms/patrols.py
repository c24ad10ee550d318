"""Patrol forms: a route, a recurring shift, a finding or a finish, a finding taken up."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField

from pwa.forms.work_orders import ChoiceCodesField, ChoiceIdsField, TextField, checked_text
from pwa.steps import Form
from services.patrols import operations


class RouteForm(Form):
    grid = TextField()
    name = TextField(
        validators=[checked_text(_l("the route's name"), operations.MAX_NAME, required=True)]
    )
    covers = TextField(
        validators=[
            checked_text(_l("what the route covers"), operations.MAX_COVERS, required=False)
        ]
    )
    partner_units = ChoiceIdsField()


class ScheduleForm(Form):
    # Checked by operations.parse_weekdays (a clear message for none or an unknown day).
    weekdays = ChoiceCodesField()
    starts = TextField()
    ends = TextField()
    places_needed = TextField()


class FindingForm(Form):
    text = TextField(
        validators=[checked_text(_l("what was found"), operations.MAX_TEXT, required=False)]
    )
    photo = FileField()


class TakeUpForm(Form):
    category = TextField()
