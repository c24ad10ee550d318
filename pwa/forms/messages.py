"""Messages forms: a text sent from a phone in the simulator, and retries in the outbox."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from wtforms import Field, StringField
from wtforms.validators import ValidationError

from notify.segments import MAX_SMS_CHARS
from pwa.steps import Form
from services.messages import outbox

# What the outbox list can show: every delivery, those in one state, or the uncertain ones.
FILTERS: tuple[str, ...] = ("all", *outbox.STATES, outbox.UNCERTAIN)


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


class FilterField(Field):
    """The outbox list's filter, as sent back by its buttons ("all" when empty)."""

    data: str

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0] if valuelist else "") or "all"

    def process_data(self, value: Any) -> None:
        self.data = str(value or "all")

    def known(self) -> str:
        """Return the filter, or "all" for one the list never offers."""
        return self.data if self.data in FILTERS else "all"


class PageField(Field):
    """The list page a button was on: a whole number from 1 (anything else: 1)."""

    data: int

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            page = int(valuelist[0]) if valuelist else 1
        except (TypeError, ValueError):
            page = 1
        self.data = max(page, 1)

    def process_data(self, value: Any) -> None:
        self.data = 1


class RetryForm(Form):
    """Retry one delivery: the list's filter and page say where to go back to."""

    state = FilterField()
    page = PageField()


class RetryAllForm(Form):
    """Retry every failed and undelivered delivery in the list's filter."""

    state = FilterField()

    def validate_state(self, field: FilterField) -> None:
        if field.data not in FILTERS:
            raise ValidationError(
                _("There is no state “%(state)s”: showing all messages.", state=field.data[:20])
            )

    def chosen(self) -> str | None:
        """Return the state to retry in, or None for the whole list."""
        return None if self.state.data == "all" else self.state.data


class TemplateCodeForm(Form):
    """The code a provider approved for one message kind (checked in services)."""

    kind = StringField(default="")
    code = StringField(default="")


class SmsProviderForm(Form):
    """The provider that sends a community's SMS (checked in services)."""

    provider = StringField(default="")
