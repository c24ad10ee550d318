"""Mass and destructive actions take two submits: the first shows how many it reaches.

The first submit checks everything the action would and answers a confirmation page with the
count; its button sends the count back as `confirmed`. The action runs only when the count it
finds then is the one the person confirmed: if the audience changed meanwhile (a post ended,
someone claimed), the page is shown again with the new count. No script is needed (CSP).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from models import db
from pwa.steps import Form, run_step
from services.errors import DomainError

T = TypeVar("T")


def confirmed_count() -> int | None:
    raw = str(request.form.get("confirmed", "")).strip()
    return int(raw) if raw.isdigit() else None


def kept_fields() -> list[tuple[str, str]]:
    """Return the submitted fields a confirmation page carries on, as hidden inputs."""
    return [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", "confirmed", "edit")
    ]


def two_steps(
    *,
    count: Callable[[], int],
    act: Callable[[], T],
    confirm: Callable[[int, bool], Any],
    refused: Callable[[str], Any],
    done: Callable[[T], Any],
    form: Form | None = None,
) -> Any:
    """Check and count; ask to confirm that count; act once the same count is confirmed."""
    if form is not None and not form.validate():
        db.session.rollback()
        return refused(form.first_error())
    try:
        reached = count()
    except DomainError as error:
        db.session.rollback()
        return refused(error.message)
    seen = confirmed_count()
    if seen != reached:
        db.session.rollback()
        return confirm(reached, seen is not None)
    return run_step(act, refused=refused, done=done)
