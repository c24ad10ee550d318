"""Mediation's forms: a new case, a party, a session or follow-up visit, an outcome.

The rules and their messages are the service's (services/mediation/operations.py), so SMS and
the app refuse alike; the forms only read the fields.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from wtforms import StringField
from wtforms.validators import ValidationError

from pwa.steps import Form
from services.mediation.operations import PartyChoice


def parties_of(values: list[str]) -> list[PartyChoice]:
    return [c for v in values if (c := PartyChoice.parse(v)) is not None]


class CaseForm(Form):
    category = StringField()
    source = StringField()
    summary = StringField()


class PartyForm(Form):
    party = StringField()

    def validate_party(self, field: StringField) -> None:
        if PartyChoice.parse(str(field.data or "")) is None:
            raise ValidationError(_("Choose the party from the search results."))

    def choice(self) -> PartyChoice:
        found = PartyChoice.parse(str(self.party.data or ""))
        assert found is not None
        return found


class SessionForm(Form):
    held_on = StringField()
    attendees = StringField()
    notes = StringField()

    def validate_held_on(self, field: StringField) -> None:
        if self.day() is None:
            raise ValidationError(_("Give the day it took place, e.g. 2026-12-05."))

    def day(self) -> date | None:
        try:
            return date.fromisoformat(str(self.held_on.data or "").strip())
        except ValueError:
            return None


class OutcomeForm(Form):
    outcome = StringField()
    agreement = StringField()
