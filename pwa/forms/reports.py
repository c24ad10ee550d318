"""The problem report form: what, where (a building or a place typed), a category, a photo.

The checks and their messages are the services' own (services/reports/operations.py and
services/needs/operations.py check the same for SMS and Telegram).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import ValidationError

from pwa.steps import Form
from services.errors import DomainError
from services.needs import operations as need_operations


class ReportForm(Form):
    category = StringField()
    text = StringField()
    building_id = StringField()
    place = StringField()
    photo = FileField()

    def validate_text(self, field: StringField) -> None:
        try:
            need_operations.check_need(self.category.data or "", field.data or "")
        except DomainError as error:
            raise ValidationError(error.message) from None

    def validate_building_id(self, field: StringField) -> None:
        raw = str(field.data or "").strip()
        if raw and not raw.isdigit():
            raise ValidationError(_("Choose a building of your area, or type the place."))

    def building(self) -> int | None:
        raw = str(self.building_id.data or "").strip()
        return int(raw) if raw.isdigit() else None
