"""The work group page's form: the grid's WeCom group robot webhook address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired

from pwa.forms.work_orders import TextField
from pwa.steps import Form


class RobotForm(Form):
    """The address pasted from the robot's details; the service checks its shape."""

    webhook_url = TextField(
        validators=[InputRequired(_l("Paste the group robot's webhook address."))]
    )
