"""A need from the needs list turned into a micro-wish (the needs list's "wish" decision).

The needs list does not import wishes: the caller hands `needs.operations.decide` this
conversion. The wish answers the need through `needs.operations.settle_from` when fulfilled.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _

from models import Need, Person
from services.errors import DomainError
from services.wishes import operations as wishes

# The wish category a need's category becomes; any other is "other".
WISH_CATEGORY = {"repairs": "repair", "health": "care", "elderly": "care", "paperwork": "paperwork"}


def to_wish(need: Need, by: Person, today: date, now: datetime) -> str:
    """Post a micro-wish for the need's resident (or the household's first) and return its ref."""
    resident = need.resident
    if resident is None and need.household is not None and need.household.residents:
        resident = need.household.residents[0]
    if resident is None:
        raise DomainError(_("A micro-wish is made for a resident: this need names none."))
    wish = wishes.post_wish(
        resident=resident,
        category=WISH_CATEGORY.get(need.category, "other"),
        text=need.text,
        by=by,
        via="app",
        now=now,
        need_id=need.id,
        tell_resident=False,  # the need's own answer tells them
    )
    return str(wish.ref)
