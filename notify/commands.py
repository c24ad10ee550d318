"""One command grammar for SMS and Telegram, in Chinese and English.

People type on old phones and Chinese keyboards: full-width digits and letters, extra spaces
and any case all mean the same. Features register their own commands (claim, done, a wish, a
rating); a handler may answer None to say "not mine", so the next command gets a try.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext

from models import Person
from models.roles import Permission

REF_RE = re.compile(r"^([A-Z])\s*(\d{1,9})\b\s*(.*)$", re.S)


@dataclass(frozen=True)
class Reply:
    kind: str  # a message kind from notify.templates
    params: dict[str, Any] = field(default_factory=dict)
    # Telegram buttons (label, text sent back when pressed); SMS shows none.
    actions: tuple[tuple[str, str], ...] = ()


@dataclass
class Inbound:
    channel: str  # "sms" or "telegram"
    address: str  # the phone (E.164) or the Telegram chat id
    phone: str | None  # the sender's phone, when known (always for SMS)
    person: Person | None
    text: str  # as received
    normalized: str  # NFKC, trimmed, single spaces, upper case
    now: datetime
    command: str | None = None
    ref: str | None = None  # e.g. "W12"
    rest: str = ""  # what follows the keyword (and ref)
    community_id: int | None = None  # the community the text belongs to, if any


Handler = Callable[[Inbound], Reply | None]

# Whom a line of the 帮助 answer is for: residents (no post), or those who hold a post or
# volunteer for a partner unit (N members, heads, staff).
RESIDENT = "resident"
VOLUNTEER = "volunteer"


@dataclass(frozen=True)
class Help:
    """One line of the answer to 帮助 / HELP: what to send, and for whom.

    A resident's whole answer must fit one SMS, so their lines are a few words each.
    """

    zh: str
    en: str
    audience: str = VOLUNTEER
    # Listed only to those whose posts carry this permission.
    permission: Permission | None = None
    # Listed only to those holding a post of one of these roles (empty: any post): a duty
    # no permission names, such as patrolling.
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Command:
    name: str
    keywords: tuple[str, ...]  # matched on the normalized text
    handler: Handler
    # "exact": the keyword alone; "ref": keyword then a code like W12; "text": keyword then text.
    shape: str = "exact"
    help: tuple[Help, ...] = ()


REGISTRY: list[Command] = []
# Commands matched by something other than a word ("number": a bare 1-5), named on a screen.
SPECIAL_LABELS: dict[str, Any] = {"number": lazy_gettext("a number")}


def register(command: Command) -> Command:
    """Add a command; later registrations with the same name replace earlier ones."""
    REGISTRY[:] = [c for c in REGISTRY if c.name != command.name]
    REGISTRY.append(command)
    return command


def command_label(name: str, language: str = "zh") -> str:
    """Return how a screen names a command: the keyword a person types for it.

    Chinese keywords first in Chinese, the first Latin one in English ("认领", "CLAIM").
    """
    if name in SPECIAL_LABELS:
        return str(SPECIAL_LABELS[name])
    for command in REGISTRY:
        if command.name == name and command.keywords:
            latin = [k for k in command.keywords if k.isascii() and k.isalpha()]
            if language == "en" and latin:
                return latin[0]
            return command.keywords[0]
    return name


def normalize(text: str) -> str:
    """Return text as commands see it: full-width folded, spaces collapsed, upper case."""
    folded = unicodedata.normalize("NFKC", text or "")
    folded = folded.replace("\u3000", " ")
    return re.sub(r"\s+", " ", folded).strip().upper()


def _match(command: Command, normalized: str) -> tuple[str | None, str] | None:
    for keyword in command.keywords:
        if command.shape == "exact":
            if normalized == keyword or normalized.rstrip("!.。！") == keyword:
                return None, ""
            continue
        if not normalized.startswith(keyword):
            continue
        after = normalized[len(keyword) :].lstrip(" :：,，")
        # An ASCII keyword must end at a word boundary ("STOPPED" is not "STOP").
        if keyword.isascii() and after and normalized[len(keyword)].isalnum():
            continue
        if command.shape == "ref":
            found = REF_RE.match(after)
            if found:
                return f"{found.group(1)}{int(found.group(2))}", found.group(3).strip()
            continue
        return None, after
    return None


def parse(message: Inbound) -> list[tuple[Command, str | None, str]]:
    """Return every command whose grammar fits the text, in registration order."""
    return [
        (command, found[0], found[1])
        for command in REGISTRY
        if (found := _match(command, message.normalized)) is not None
    ]


def help_lines(audience: str, allowed: Callable[[Help], bool] = lambda _h: True) -> list[Help]:
    """Return the help lines for this audience, in registry order, that `allowed` lets through."""
    return [h for c in REGISTRY for h in c.help if h.audience == audience and allowed(h)]


def join_help(lines: Sequence[Help], language: str) -> str:
    """Return the lines as the 帮助 answer's {commands}: each one followed by a comma."""
    if language == "en":
        return "".join(f"{h.en}, " for h in lines)
    return "".join(f"{h.zh}，" for h in lines)
