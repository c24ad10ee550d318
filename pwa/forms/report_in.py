"""Report-in forms: a member or a unit reporting in, the secretary's decision, the unit's
feedback and the community's evaluation. The services check the values' meaning."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired

from pwa.forms.work_orders import TextField
from pwa.steps import Form


class MemberForm(Form):
    unit_id = TextField(validators=[InputRequired(_l("Choose the unit."))])
    name = TextField()
    phone = TextField(validators=[InputRequired(_l("Please enter a phone number."))])


class UnitForm(Form):
    unit_name = TextField(validators=[InputRequired(_l("Enter the unit's full name."))])
    name = TextField(validators=[InputRequired(_l("Enter the liaison's name."))])
    phone = TextField(validators=[InputRequired(_l("Please enter a phone number."))])


class DeclineForm(Form):
    reason = TextField()


class EvaluateForm(Form):
    quarter = TextField()
    score = TextField(validators=[InputRequired(_l("Give a score from 1 to 5."))])
    comment = TextField()


class FeedbackForm(Form):
    quarter = TextField()
    text = TextField(validators=[InputRequired(_l("Write the unit's feedback."))])


class QuarterForm(Form):
    quarter = TextField()


class LiaisonMemberForm(Form):
    """A member entered by the unit's liaison: the unit is the liaison's own."""

    name = TextField()
    phone = TextField(validators=[InputRequired(_l("Please enter a phone number."))])
