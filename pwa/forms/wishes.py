"""The wish forms: what residents, heads and volunteers send, parsed and checked.

The messages are the ones the wish steps give (services/wishes/operations.py checks the same
things for SMS and Telegram), so a person sees the same words whichever way they write.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import Field, IntegerField, StringField, TextAreaField
from wtforms.validators import ValidationError

from pwa.steps import Form
from services.wishes.operations import CATEGORIES, MAX_NOTE, MAX_REASON, MAX_TEXT


def _stripped(value: Any) -> str:
    return (value or "").strip()


def _one_line(value: Any) -> str:
    return " ".join((value or "").split())


def _some_text(limit: int, message: Any) -> Any:
    """A validator: the (cleaned) text is there and at most `limit` characters."""

    def check(form: Form, field: Field) -> None:
        if not field.data or len(field.data) > limit:
            raise ValidationError(str(message))

    return check


def _at_most(limit: int, message: Any) -> Any:
    """A validator: the (cleaned) text, which may be empty, is at most `limit` characters."""

    def check(form: Form, field: Field) -> None:
        if len(field.data or "") > limit:
            raise ValidationError(str(message))

    return check


def _a_category(form: Form, field: Field) -> None:
    if field.data not in CATEGORIES:
        raise ValidationError(str(_l("Choose what kind of help is needed.")))


class _Number(IntegerField):
    """A whole number, or None when what came is none: the validators say what is wrong."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if valuelist:
            try:
                self.data = int(valuelist[0])
            except (TypeError, ValueError):
                self.data = None


class NewWishForm(Form):
    """A wish posted by a resident for themself, or by a head for a resident of their area."""

    category = StringField(validators=[_a_category], filters=[_stripped])
    text = TextAreaField(
        validators=[
            _some_text(
                MAX_TEXT,
                _l("Write the wish in a few words, at most %(n)s characters.", n=MAX_TEXT),
            )
        ],
        filters=[_stripped],
    )
    photo = FileField()

    def typed(self) -> dict[str, str]:
        """Return what was typed, to put back in the form after a refusal."""
        return {"category": self.category.data or "", "text": self.text.data or ""}


class ClaimForm(Form):
    """A volunteer takes up a wish: nothing to type."""


class HandBackForm(Form):
    """The claimer hands a wish back, saying why if they like (kept to 500 characters)."""

    reason = StringField(filters=[_stripped])


class FulfilForm(Form):
    """The claimer marks a wish done, saying in a few words what was done."""

    note = TextAreaField(
        validators=[
            _some_text(
                MAX_NOTE,
                _l("Say in a few words what was done, at most %(n)s characters.", n=MAX_NOTE),
            )
        ],
        filters=[_stripped],
    )


class RateForm(Form):
    """The resident rates the help, 1 to 5."""

    rating = _Number()

    def validate_rating(self, field: Field) -> None:
        if field.data is None or not 1 <= field.data <= 5:
            raise ValidationError(str(_l("Choose a rating from 1 to 5.")))


class WithdrawForm(Form):
    """The resident (or a head for them) takes a wish back, saying why if they like."""

    reason = StringField(
        validators=[
            _at_most(
                MAX_REASON,
                _l("Say why in at most %(n)s characters, or leave it empty.", n=MAX_REASON),
            )
        ],
        filters=[_one_line],
    )
