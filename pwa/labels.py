"""How the codes of each vocabulary read on a screen: one template filter per vocabulary.

Codes (`chronic_illness`, `observer`, `role.permissions`, `wish_claimed`) are what the
database keeps; a person reads the label that the module owning the vocabulary gives each
code. `VOCABULARIES` lists every vocabulary with its codes, so the every-page sweep
(tests/e2e/test_every_page.py) fails on any code that reaches a page, a new code included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_babel import get_locale

from models import NeedSource
from models.roles import Permission, Role
from notify import commands, inbound, kind_titles, templates
from notify.channels import CHANNEL_LABELS, channel_label
from pwa.i18n import current_language
from services import audit
from services.needs import queries as need_queries
from services.roster import importing, posts
from services.roster import operations as roster


@dataclass(frozen=True)
class Vocabulary:
    filter_name: str
    label: Callable[[str], str]
    codes: Callable[[], Iterable[str]]
    # A label that depends on the code and the language only is kept once made: a lazy label
    # translates again at every use, and a list of 50 rows names the same few codes hundreds
    # of times. Records' labels (a row's own ids) are never the same twice: not kept.
    keep: bool = True


# (language, filter, code) -> label. Bounded: details name buildings by number.
_KEPT: dict[tuple[str, str, str], str] = {}
KEPT_LIMIT = 20_000


def _kept_label(name: str, code: str, label: Callable[[str], str]) -> str:
    key = (current_language(), name, code)
    found = _KEPT.get(key)
    if found is None:
        if len(_KEPT) >= KEPT_LIMIT:
            _KEPT.clear()
        found = _KEPT[key] = label(code)
    return found


def kept(vocabulary: Vocabulary) -> Callable[[str], str]:
    """Return the vocabulary's label, made once per language and code."""
    if not vocabulary.keep:
        return vocabulary.label
    name, label = vocabulary.filter_name, vocabulary.label

    def lookup(code: str) -> str:
        return _kept_label(name, code, label)

    return lookup


def _command_label(name: str) -> str:
    locale = get_locale()
    return commands.command_label(name, locale.language if locale else "zh")


def _audit_detail(detail: str) -> str:
    # A change to the roster is detailed by the fields it changed: "birth_year, phone".
    names = detail.split(", ")
    if all(name in importing.FIELD_NAMES for name in names):
        fields = importing.field_labels()  # translated only when the detail names fields
        return "、".join(fields[name] for name in names)
    return audit.detail_label(detail)


def _outcome_codes() -> Iterable[str]:
    for outcome in inbound.OUTCOMES:
        yield outcome
        yield f"{outcome}:{inbound.REPLY_LIMITED}"


VOCABULARIES = (
    Vocabulary("care_flag", roster.care_flag_label, lambda: roster.CARE_FLAGS),
    Vocabulary("need_source", need_queries.source_label, lambda: [s.value for s in NeedSource]),
    Vocabulary("channel", channel_label, lambda: CHANNEL_LABELS),
    Vocabulary("kind_title", kind_titles.title, lambda: templates.KINDS),
    Vocabulary("inbound_outcome", inbound.outcome_label, _outcome_codes),
    Vocabulary("command_label", _command_label, lambda: [c.name for c in commands.REGISTRY]),
    Vocabulary("audit_action", audit.action_label, lambda: audit.ACTIONS),
    Vocabulary("audit_subject", audit.subject_label, lambda: audit.SUBJECTS),
    Vocabulary("audit_detail", _audit_detail, lambda: [*audit.PAGES, *importing.field_labels()]),
    Vocabulary("audit_records", audit.records_label, lambda: (), keep=False),
)


_BY_NAME = {v.filter_name: v for v in VOCABULARIES}


def for_page(filter_name: str) -> Callable[[str], str]:
    """The vocabulary's label, remembered for one page (one request, one language).

    A list names the same few codes on every row; even a kept label names the request's
    language anew at each call. Views that build their rows call this once per page.
    """
    label = kept(_BY_NAME[filter_name])
    seen: dict[str, str] = {}

    def lookup(code: str) -> str:
        found = seen.get(code)
        if found is None:
            found = seen[code] = label(code)
        return found

    return lookup


def known_codes() -> set[str]:
    """Every code of every vocabulary (and roles and permissions, labelled where they live)."""
    codes: set[str] = set()
    for vocabulary in VOCABULARIES:
        codes.update(vocabulary.codes())
    codes.update(r.value for r in Role)
    codes.update(p.value for p in Permission)
    return codes


_BUILT_IN_ROLES = frozenset(r.value for r in Role)


def role_label(role: str, community_id: int | None = None) -> str:
    """Return how a role reads, a community's own roles and "no post" (a resident) included."""
    if role == audit.NO_POST_ROLE:
        return _kept_label("audit_subject", role, audit.subject_label)
    if role in _BUILT_IN_ROLES:  # a community's own roles are named in its database
        return _kept_label("role", role, posts.role_name)
    return posts.role_name(role, community_id)


def init_app(app: Flask) -> None:
    filters: dict[str, Any] = {v.filter_name: kept(v) for v in VOCABULARIES}
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals["role_label"] = role_label
