"""One way every view runs a change: parse the form, call the service, commit or explain.

A view builds its form (a WTForms class in its feature's forms module), names the service
call as `step`, and says how to answer a refusal and a success. Bad input and a service's
DomainError are answered the same way: nothing is kept (rollback), and the person sees the
message on the page they were on, with what they typed still in the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_wtf import FlaskForm

from models import db
from services.errors import DomainError

T = TypeVar("T")


class Form(FlaskForm):
    """Base of every form: CSRF is already checked for every POST by CSRFProtect."""

    class Meta:
        csrf = False

    def first_error(self) -> str:
        """Return the first message of the first field that failed, for the page's notice."""
        for field in self:
            if field.errors:
                errors = field.errors
                first = errors[0] if isinstance(errors, list | tuple) else next(iter(errors))
                return str(first)
        return ""


def run_step(
    step: Callable[[], T],
    *,
    refused: Callable[[str], Any],
    done: Callable[[T], Any],
    form: Form | None = None,
) -> Any:
    """Validate form (if any), run step, commit and answer done; or roll back and refuse."""
    if form is not None and not form.validate():
        db.session.rollback()
        return refused(form.first_error())
    try:
        result = step()
    except DomainError as error:
        db.session.rollback()
        return refused(error.message)
    db.session.commit()
    return done(result)
