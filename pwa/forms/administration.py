"""Forms of the administrators' pages: a community, its settings, its secretary."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import time
from typing import Any

from flask_babel import gettext as _
from wtforms import StringField
from wtforms.validators import ValidationError

from pwa.forms.fields import Parsed
from pwa.steps import Form
from services import phones
from services.administration import settings
from services.administration.settings import CommunitySettings
from services.errors import InvalidInput
from services.wishes.operations import CATEGORIES


def _text(raw: str) -> str:
    # Full-width digits and colons come from Chinese input methods.
    return unicodedata.normalize("NFKC", raw or "").strip()


def _whole(name: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        text = _text(raw)
        if not text.isdigit():
            raise InvalidInput(
                _("%(field)s: please enter a whole number.", field=settings.labels()[name])
            )
        return int(text)

    return parse


def _hours(name: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            return float(_text(raw))
        except ValueError:
            raise InvalidInput(
                _("%(field)s: please enter a number of hours.", field=settings.labels()[name])
            ) from None

    return parse


def _days_or_default(name: str) -> Callable[[str], int | None]:
    # Left empty (a form from before the field existed), the app's default applies.
    whole = _whole(name)

    def parse(raw: str) -> int | None:
        return whole(raw) if _text(raw) else None

    return parse


def _time(label: Callable[[], str]) -> Callable[[str], time]:
    def parse(raw: str) -> time:
        text = _text(raw)
        try:
            hour, _sep, minute = text.partition(":")
            return time(int(hour), int(minute or 0))
        except ValueError:
            raise InvalidInput(_("%(field)s: a time such as 21:00.", field=label())) from None

    return parse


def _id(raw: str) -> int | None:
    text = raw.strip()
    return int(text) if text.isdigit() else None


class SettingsForm(Form):
    """A community's settings; one field per wish category is added below the class."""

    sms_signature = StringField(default="")
    quiet_from = Parsed(_time(lambda: _("Quiet hours from")))
    quiet_until = Parsed(_time(lambda: _("Quiet hours until")))
    reminder_day = Parsed(_whole("reminder_day"))
    reminder_hour = Parsed(_whole("reminder_hour"))
    digest_day = Parsed(_whole("digest_day"))
    digest_hour = Parsed(_whole("digest_hour"))
    work_order_escalate_hours = Parsed(_hours("work_order_escalate_hours"))
    property_answer_days = Parsed(_days_or_default("property_answer_days"))

    def values(self) -> CommunitySettings:
        """Return the settings typed in (call after validate)."""
        return CommunitySettings(
            sms_signature=self.sms_signature.data or "",
            quiet_from=self.quiet_from.data,
            quiet_until=self.quiet_until.data,
            reminder_day=self.reminder_day.data,
            reminder_hour=self.reminder_hour.data,
            digest_day=self.digest_day.data,
            digest_hour=self.digest_hour.data,
            work_order_escalate_hours=self.work_order_escalate_hours.data,
            wish_escalation_hours={k: self[f"wish_{k}"].data for k in CATEGORIES},
            property_answer_days=(
                settings.defaults().property_answer_days
                if self.property_answer_days.data is None
                else self.property_answer_days.data
            ),
        )


for _category in CATEGORIES:
    setattr(SettingsForm, f"wish_{_category}", Parsed(_hours(f"wish_{_category}")))


class CommunityForm(SettingsForm):
    """A new community: its name and code, its street, its settings, and its secretary."""

    name = StringField(default="")
    code = StringField(default="")
    street_id = Parsed(_id)
    secretary_name = StringField(default="")
    secretary_phone = StringField(default="")

    def validate_secretary_phone(self, field: Any) -> None:
        if not (field.data or "").strip() and (self.secretary_name.data or "").strip():
            raise ValidationError(_("Give the secretary's mobile phone too, or neither."))
        if (field.data or "").strip():
            try:
                phones.normalize(field.data)
            except InvalidInput as error:
                raise ValidationError(error.message) from None

    def secretary(self) -> tuple[str, str] | None:
        phone = (self.secretary_phone.data or "").strip()
        return (self.secretary_name.data or "", phone) if phone else None


class SecretaryForm(Form):
    name = StringField(default="")
    phone = Parsed(phones.normalize)
