"""Bare-number replies ("1" to join, "1"–"5" to rate): whichever question was asked last wins.

Several features ask people to answer with a digit on an old phone. A reply carries no code, so
each feature registers an answerer that says when it last asked this sender such a question;
the most recent question gets the reply, and the others never see it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from notify.commands import Command, Inbound, Reply

DIGITS = tuple(str(n) for n in range(10))


@dataclass(frozen=True)
class Question:
    """A question this sender was asked that a bare number answers."""

    asked_at: datetime
    answer: Callable[[Inbound, int], Reply | None]


# Given the inbound text, return the latest open question of this feature to the sender, if any.
Answerer = Callable[[Inbound], Question | None]
ANSWERERS: dict[str, Answerer] = {}


def register_answerer(name: str, answerer: Answerer) -> None:
    """Add (or replace) a feature's answerer for bare-number replies."""
    ANSWERERS[name] = answerer


def _number(message: Inbound) -> Reply | None:
    value = int(message.normalized.rstrip("!.。！"))
    questions = [q for answerer in ANSWERERS.values() if (q := answerer(message)) is not None]
    if not questions:
        return None  # nothing asked: the "unknown text" answer applies
    latest = max(questions, key=lambda q: q.asked_at)
    return latest.answer(message, value)


# Installed right after the core commands, before any feature's.
COMMANDS = (Command("number", DIGITS, _number),)
