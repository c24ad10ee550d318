"""The visit forms: a visit logged on the page or sent later by the offline queue, and the
secretary's reminder schedule.

The checks and their messages are the visit steps' own (services/visits/operations.py checks
the same things for SMS and Telegram), so a person reads the same words whichever way they log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from wtforms import Field, StringField
from wtforms.validators import ValidationError

from pwa.steps import Form
from services.errors import DomainError
from services.needs import operations as needs
from services.visits import operations as visits
from services.visits.reminders import DAYS, HOURS, Schedule

# The schedule's fields, in the order they are checked, with their ranges.
SCHEDULE_RANGES = (
    ("reminder_day", DAYS),
    ("reminder_hour", HOURS),
    ("digest_day", DAYS),
    ("digest_hour", HOURS),
)
# The plain fields a visit carries, on the page and in the offline queue's JSON.
VISIT_FIELDS = ("key", "household_id", "visited_on", "met", "note", "via")


class TextList(Field):
    """Every value sent under one name (the rows of the needs table), as strings."""

    data: list[str]

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [str(value or "") for value in valuelist]


def _check(check: Any, *args: Any) -> None:
    """Run a service check, turning its refusal into the field's error."""
    try:
        check(*args)
    except DomainError as error:
        raise ValidationError(error.message) from None


class VisitForm(Form):
    """A visit: the household, the day, whom they met, a note and the needs heard."""

    household_id = StringField()
    visited_on = StringField()
    needs_unreadable = StringField()
    key = StringField()
    note = StringField()
    met = StringField()
    via = StringField()
    need_category = TextList(default=list)
    need_text = TextList(default=list)

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    @staticmethod
    def from_json(payload: Mapping[str, Any]) -> MultiDict[str, str]:
        """Return the offline queue's JSON as the fields the page posts (needs as two lists)."""
        data: MultiDict[str, str] = MultiDict()
        for name in VISIT_FIELDS:
            if payload.get(name) is not None:
                data.add(name, str(payload[name]))
        raw = payload.get("needs") or []
        if not isinstance(raw, list):
            data.add("needs_unreadable", "1")
            raw = []
        for need in raw:
            if isinstance(need, dict):
                data.add("need_category", str(need.get("category", "")))
                data.add("need_text", str(need.get("text", "")))
        if payload.get("need_text") is not None:  # a single need sent as plain fields
            data.add("need_category", str(payload.get("need_category") or ""))
            data.add("need_text", str(payload.get("need_text")))
        return data

    def validate_household_id(self, field: StringField) -> None:
        try:
            int(str(field.data or "").strip())
        except ValueError:
            raise ValidationError(_("Choose the household you visited.")) from None

    def validate_visited_on(self, field: StringField) -> None:
        text = str(field.data or "").strip() or self.today.isoformat()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValidationError(_("Give the date of the visit as YYYY-MM-DD.")) from None
        _check(visits.check_date, day, self.today)

    def validate_needs_unreadable(self, field: StringField) -> None:
        if field.data:
            raise ValidationError(_("The needs of the visit could not be read."))

    def validate_key(self, field: StringField) -> None:
        _check(visits.check_key, str(field.data or "").strip())

    def validate_note(self, field: StringField) -> None:
        _check(visits.check_note, field.data or "")

    def validate_met(self, field: StringField) -> None:
        _check(visits.check_met, field.data or "")

    def validate_via(self, field: StringField) -> None:
        _check(visits.check_via, field.data or "web")

    def validate_need_text(self, field: TextList) -> None:
        for need in self.need_inputs():
            _check(needs.check_need, need.category, need.text)

    def need_inputs(self) -> list[visits.NeedInput]:
        """Return the needs typed in, leaving out empty rows (no category given: "other")."""
        out = []
        for category, text in zip(self.need_category.data, self.need_text.data, strict=False):
            category = category.strip()
            if not category and not text.strip():
                continue  # an empty row of the form
            out.append(visits.NeedInput(category=category or "other", text=text))
        return out

    def household(self) -> int | None:
        """Return the household id typed in, or None when it is not a number."""
        try:
            return int(str(self.household_id.data or "").strip())
        except ValueError:
            return None

    def to_input(self) -> visits.VisitInput:
        """Return the visit as the service takes it (call after validate)."""
        household_id = self.household()
        assert household_id is not None
        return visits.VisitInput(
            key=str(self.key.data or "").strip(),
            household_id=household_id,
            visited_on=date.fromisoformat(
                str(self.visited_on.data or "").strip() or self.today.isoformat()
            ),
            met=self.met.data or "",
            note=self.note.data or "",
            needs=self.need_inputs(),
            via=self.via.data or "web",
        )


class ScheduleForm(Form):
    """The secretary's reminder and digest days (1-28) and hours (0-23)."""

    reminder_day = StringField()
    reminder_hour = StringField()
    digest_day = StringField()
    digest_hour = StringField()

    def _number(self, field: Field) -> int:
        try:
            return int(str(field.data or "").strip())
        except ValueError:
            return -1

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for name, (low, high) in SCHEDULE_RANGES:
            field = self[name]
            if not low <= self._number(field) <= high:
                field.errors = [
                    _("Days are 1 to 28 and hours 0 to 23: check %(field)s.", field=name)
                ]
                ok = False
        return ok

    def schedule(self) -> Schedule:
        """Return the schedule typed in (call after validate)."""
        return Schedule(
            reminder_day=self._number(self.reminder_day),
            reminder_hour=self._number(self.reminder_hour),
            digest_day=self._number(self.digest_day),
            digest_hour=self._number(self.digest_hour),
        )
