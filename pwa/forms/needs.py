"""The needs forms: a need heard outside a visit, a resident's own need, and a decision.

The checks and their messages are the needs list's own (services/needs/operations.py checks the
same things for SMS and Telegram).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from wtforms import StringField
from wtforms.validators import ValidationError

from pwa.steps import Form
from services.errors import DomainError
from services.needs import operations as need_operations
from services.needs.queries import DECISIONS


class MyNeedForm(Form):
    """A resident's own need: a category and what is needed."""

    category = StringField()
    text = StringField()

    def validate_text(self, field: StringField) -> None:
        try:
            need_operations.check_need(self.category.data or "", field.data or "")
        except DomainError as error:
            raise ValidationError(error.message) from None


class NeedForm(MyNeedForm):
    """A need heard outside a visit (an observer, a head): the household it comes from too."""

    household_id = StringField()
    category = StringField()
    text = StringField()

    def validate_household_id(self, field: StringField) -> None:
        if self.household() is None:
            raise ValidationError(_("Choose the household the need comes from."))

    def household(self) -> int | None:
        try:
            return int(str(self.household_id.data or ""))
        except ValueError:
            return None


class DecideForm(Form):
    """A decision on a need: what it is, the answer or reason, the partner unit if referred."""

    decision = StringField()
    answer = StringField()
    reason = StringField()
    partner_unit_id = StringField()

    def validate_decision(self, field: StringField) -> None:
        if field.data not in DECISIONS:
            raise ValidationError(_("Choose a decision."))

    def partner_unit(self) -> int | None:
        """Return the partner unit chosen, or None (refused by the step when it is needed)."""
        raw = str(self.partner_unit_id.data or "").strip()
        return int(raw) if raw.isdigit() else None

    def texts(self) -> dict[str, Any]:
        return {"answer": self.answer.data or "", "reason": self.reason.data or ""}


class PartnerAnswerForm(Form):
    """A partner unit's answer to a need referred to it (checked by the service)."""

    answer = StringField()
