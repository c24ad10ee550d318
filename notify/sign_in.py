"""The sign-in code message as it reads on a phone."""

from __future__ import annotations

from notify import templates
from notify.dispatch import DEFAULT_SIGNATURE

EXAMPLE = dict(templates.SIGN_IN_CODE.example)


def render(language: str, *, code: str, minutes: int) -> str:
    """Return the SMS text of a sign-in code, with the default signature 【邻里】."""
    text = templates.SIGN_IN_CODE.render(language, {"code": code, "minutes": minutes})
    return f"{DEFAULT_SIGNATURE}{text}"
