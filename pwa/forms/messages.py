"""Messages forms: a text sent from a phone in the simulator, and retrying the outbox."""

from __future__ import annotations

from flask_babel import gettext as _
from wtforms import StringField
from wtforms.validators import ValidationError

from notify.segments import MAX_SMS_CHARS
from pwa.steps import Form


class PhoneTextForm(Form):
    """A text from a phone to the app: not blank, and no longer than one SMS may be.

    The text is kept as typed (spaces and all), as the SMS webhook would receive it.
    """

    text = StringField(default="")

    def validate_text(self, field: StringField) -> None:
        text = field.data or ""
        if not text.strip():
            raise ValidationError(_("Please write a text to send."))
        if len(text) > MAX_SMS_CHARS:
            raise ValidationError(
                _("That text is too long: at most %(n)d characters.", n=MAX_SMS_CHARS)
            )
