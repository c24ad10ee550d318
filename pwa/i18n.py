"""Language and time zone: Chinese by default, English by the browser or the switch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Domain, format_datetime, get_locale, get_translations, refresh
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from models import clock
from pwa.extensions import babel

LANG_COOKIE = "linli_lang"


def select_locale() -> str:
    """Pick the language: the switch's cookie, then the signed-in person's, then the browser's."""
    languages: list[str] = current_app.config["LANGUAGES"]
    if not has_request_context():
        return "zh"  # a job or a command: messages to people carry their own language
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    person = getattr(g, "person", None)
    if person is not None and person.language in languages:
        return str(person.language)
    # Babel maps zh-CN to zh_Hans_CN; matching on the bare language keeps zh-CN, zh-TW, zh.
    return request.accept_languages.best_match(languages) or "zh"


# All-digit patterns read the same in every language: formatted without Babel, which costs
# about 0.1 ms a call (a list of 50 rows shows 50 of them).
NUMERIC_PATTERNS = {
    "yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M",
    "yyyy-MM-dd": "%Y-%m-%d",
    "MM-dd HH:mm": "%m-%d %H:%M",
    "MM-dd HH:mm:ss": "%m-%d %H:%M:%S",
    "HH:mm": "%H:%M",
}


def local_time(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """Format a UTC datetime in Asia/Shanghai (the app's only time zone) for people to read."""
    if value is None:
        return ""
    numeric = NUMERIC_PATTERNS.get(fmt)
    if numeric is None:
        return format_datetime(value, fmt)
    if value.tzinfo is None:  # stored times are naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(clock.ZONE).strftime(numeric)


class RequestDomain(Domain):
    """Flask-Babel's message domain, keeping the translations it found on the context.

    Flask-Babel finds its context on `g` three times for every string and names the locale
    anew each time: about 11 µs a string, and a page of 50 audit rows or deliveries
    translates 500-1,300 strings. The translations found are kept with the locale object
    they are for; `refresh()` and `force_locale()` replace that object, so a switch of
    language is seen at the next string as before.
    """

    def get_translations(self) -> Any:
        ctx = g.get("_flask_babel") if g else None
        if ctx is None:
            return super().get_translations()
        locale = getattr(ctx, "babel_locale", None)
        kept = getattr(ctx, "linli_translations", None)
        if locale is not None and kept is not None and kept[0] is self and kept[1] is locale:
            return kept[2]
        translations = super().get_translations()
        ctx.linli_translations = (self, getattr(ctx, "babel_locale", None), translations)
        return translations


def current_language() -> str:
    """The request's language ("zh", "en"), as `str(get_locale())`, named once per locale.

    Lists ask it for every label they show (pwa/labels.py): Flask-Babel's `get_locale` finds
    its context anew and the locale is named anew each time, about 40 µs a call.
    """
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None:
        locale = getattr(ctx, "babel_locale", None)
        kept = getattr(ctx, "linli_language", None)
        if locale is not None and kept is not None and kept[0] is locale:
            return str(kept[1])
    found = get_locale()
    name = str(found) if found else ""
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None and found is not None and getattr(ctx, "babel_locale", None) is found:
        ctx.linli_language = (found, name)
    return name


def template_gettext() -> dict[str, Any]:
    """`_`, `gettext` and `ngettext` for one rendering, bound to the translations it is in.

    Flask-Babel's functions find Babel's context, domain and translations anew for every
    string: about 7.5 µs each, against 0.25 µs for the lookup itself, and a page translates
    60-150 strings. A context processor gives each rendering these instead: the translations
    are found once, when the rendering starts (so inside `force_locale` too). `_` formats as
    Flask-Babel's `gettext` does (a plain string, formatted only when given values: the
    output is escaped as any value); `gettext` and `ngettext`, which `{% trans %}` calls,
    format as Jinja's "newstyle" ones do (always; Markup escaping the values when the template
    autoescapes).
    """
    translations = get_translations()
    ugettext, ungettext = translations.ugettext, translations.ungettext

    def underscore(string: str, **variables: Any) -> str:
        found: str = ugettext(string)
        return found % variables if variables else found

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        found: str = ugettext(string)
        if context.eval_ctx.autoescape:
            found = Markup(found)
        return found % variables

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        found: str = ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            found = Markup(found)
        return found % variables

    return {"_": underscore, "gettext": gettext, "ngettext": ngettext}


def init_app(app: Flask) -> None:
    # The app's default domain (Flask-Babel makes a plain one on first use).
    babel.domain_instance = RequestDomain()  # "messages", as init_app leaves it
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="translations",
    )
    app.jinja_env.filters["local_time"] = local_time
    # Flask-Babel keeps the locale it chose on the app context, which can outlive a request
    # (tests, a CLI command): every request chooses afresh, from its own cookie and person.
    app.before_request(refresh)
    app.context_processor(template_gettext)

    @app.context_processor
    def _lang() -> dict[str, str]:
        lang = str(get_locale() or "zh")[:2]
        return {"lang": lang, "html_lang": "zh-CN" if lang == "zh" else "en"}
