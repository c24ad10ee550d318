"""The name of a visitor's offline round: the cache their phone keeps the round's pages in."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from flask import current_app

from models import Person
from models.clock import month_start


def round_id(person: Person, today: date) -> str:
    """Name this person's offline round for this month: "2026-12-" and a keyed hash.

    The phone keeps the round's pages in a cache of this name; a page signed in as someone
    else, or in another month, carries another name and the page script deletes the old cache.
    The hash keeps the person's id out of the name.
    """
    month = f"{month_start(today):%Y-%m}"
    secret = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(secret, f"offline-round:{person.id}:{month}".encode(), hashlib.sha256)
    return f"{month}-{mac.hexdigest()[:16]}"
