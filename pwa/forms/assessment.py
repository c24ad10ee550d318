"""Assessment forms: the period to compute, a manual score and comment, an award.

Weights are read by services.assessment.weights.parse (one field per indicator, whatever
the list of indicators holds). The services check the values' meaning.
"""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import InputRequired

from pwa.forms.work_orders import TextField
from pwa.steps import Form


class PointsField(Field):
    """A number of points, signed, such as 3, -2 or +1.5; empty is 0."""

    data: float

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = str(valuelist[0]).strip().replace("＋", "+").replace("－", "-") if valuelist else ""
        self.data = 0.0
        if raw:
            try:
                self.data = float(raw)
            except ValueError:
                raise ValueError(
                    _l("The manual score must be a number, such as 3 or -2.")
                ) from None
            if not math.isfinite(self.data):
                raise ValueError(_l("The manual score must be a number, such as 3 or -2."))

    def _value(self) -> str:
        return "" if self.raw_data is None else str(self.raw_data[0] if self.raw_data else "")


class ComputeForm(Form):
    period = TextField(validators=[InputRequired(_l("Choose a quarter or the year."))])


class ScoreForm(Form):
    manual = PointsField()
    comment = TextField()


class AwardForm(Form):
    row_id = TextField(validators=[InputRequired(_l("Choose who receives the award."))])
    name = TextField(validators=[InputRequired(_l("Give the award a name."))])
    citation = TextField()
