"""Fields shared by the forms of several features."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wtforms import Field
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from services.errors import InvalidInput


class Parsed(Field):
    """A text input whose value is what `parse` makes of it; its InvalidInput is the error."""

    widget = TextInput()

    def __init__(self, parse: Callable[[str], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parse = parse
        self.raw = ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = str(valuelist[0]) if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        try:
            self.data = self.parse(self.raw)
        except InvalidInput as error:
            raise ValidationError(error.message) from None
