"""The sign-in forms: a phone to send a code to, the code, and linking Telegram."""

from __future__ import annotations

from flask_babel import gettext as _
from wtforms import StringField
from wtforms.validators import ValidationError

from pwa.forms.fields import Parsed
from pwa.steps import Form
from services import phones
from services.errors import InvalidInput


def six_digits(raw: str) -> str:
    """Return the code as six ASCII digits, whatever spaces or keyboard it was typed with."""
    code = "".join(ch for ch in raw if not ch.isspace())
    # Full-width digits from Chinese keyboards count as digits.
    code = code.translate({0xFF10 + i: ord("0") + i for i in range(10)})
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise InvalidInput(_("The code is the six digits in the SMS."))
    return code


class PhoneForm(Form):
    phone = Parsed(phones.normalize)
    next = StringField(default="")


class CodeForm(Form):
    code = Parsed(six_digits)
    next = StringField(default="")


class TelegramForm(Form):
    """A button of the Telegram page: link this account to a Telegram chat, or unlink it."""

    action = StringField(default="")

    def validate_action(self, field: StringField) -> None:
        if field.data not in ("link", "unlink"):
            raise ValidationError(_("Choose one of the buttons on this page."))
