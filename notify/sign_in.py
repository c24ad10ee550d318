"""The sign-in code message."""

from __future__ import annotations

from notify import templates

EXAMPLE = dict(templates.SIGN_IN_CODE.example)
SIGNATURE = "【邻里】"


def render(language: str, *, code: str, minutes: int) -> str:
    """Return the SMS text of a sign-in code in the given language (Chinese by default)."""
    text = templates.SIGN_IN_CODE.render(language, {"code": code, "minutes": minutes})
    return f"{SIGNATURE}{text}" if language != "en" else f"[Linli] {text}"


def send_sign_in_code(phone: str, code: str, *, language: str, minutes: int) -> None:
    """Put a sign-in code in the development inbox (until the outbox carries it)."""
    from models import DevInboxMessage, db

    db.session.add(DevInboxMessage(phone=phone, body=render(language, code=code, minutes=minutes)))
    db.session.flush()
