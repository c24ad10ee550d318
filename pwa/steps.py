"""One way every view runs a change: parse the form, call the service, commit or explain.

A view builds its form (a WTForms class in its feature's forms module), names the service
call as `step`, and says how to answer a refusal and a success. Bad input and a service's
DomainError are answered the same way: nothing is kept (rollback), and the person sees the
message on the page they were on, with what they typed still in the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from babel import support
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

from models import db
from services.errors import DomainError

T = TypeVar("T")

# WTForms' own messages ("This field is required.") by language. Flask-WTF reads their
# catalogue from disk for every request that builds a form: the same file every time.
_WTFORMS_CATALOGUES: dict[str, support.NullTranslations] = {}


def _wtforms_catalogue() -> support.NullTranslations:
    locale = get_locale()
    if locale is None:  # no request: nothing to translate to
        return support.NullTranslations()
    key = str(locale)
    found = _WTFORMS_CATALOGUES.get(key)
    if found is None:
        found = support.Translations.load(messages_path(), [locale], domain="wtforms")
        _WTFORMS_CATALOGUES[key] = found
    return found


class _WTFormsTranslations:
    """What WTForms asks its messages of, in the request's language, read once per language."""

    def gettext(self, string: str) -> str:
        found: str = _wtforms_catalogue().ugettext(string)
        return found

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found: str = _wtforms_catalogue().ungettext(singular, plural, n)
        return found


WTFORMS_TRANSLATIONS = _WTFormsTranslations()


class Form(FlaskForm):
    """Base of every form: CSRF is already checked for every POST by CSRFProtect."""

    class Meta:
        csrf = False

        def get_translations(self, form: Any) -> Any:
            return WTFORMS_TRANSLATIONS

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
