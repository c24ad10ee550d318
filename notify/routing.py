"""Which channels reach a recipient, best first: Telegram if linked, else SMS; and for a
resident without a phone, the household's contact."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from models import Person, Resident, TelegramLink, db

Recipient = Person | Resident | str  # a bare str is an E.164 phone


@dataclass(frozen=True)
class Route:
    recipient_key: str
    person_id: int | None
    resident_id: int | None
    language: str
    # "channel:address" in order of preference, e.g. ["telegram:123", "sms:+86138..."].
    channels: list[str]
    # Set when the SMS goes to someone who passes it on ("转告王奶奶").
    relay_for: str | None = None


def _person_channels(person: Person, allowed: tuple[str, ...] | None) -> list[str]:
    channels = []
    link = db.session.scalar(select(TelegramLink).where(TelegramLink.person_id == person.id))
    if link is not None and link.usable:
        channels.append(f"telegram:{link.chat_id}")
    channels.append(f"sms:{person.phone}")
    return [c for c in channels if allowed is None or c.split(":", 1)[0] in allowed]


def route(recipient: Recipient, allowed: tuple[str, ...] | None = None) -> Route:
    """Return how to reach one recipient; `allowed` limits the channels (e.g. SMS only)."""
    if isinstance(recipient, Person):
        return Route(
            f"p{recipient.id}",
            recipient.id,
            None,
            recipient.language,
            _person_channels(recipient, allowed),
        )
    if isinstance(recipient, Resident):
        if recipient.person is not None:
            r = route(recipient.person, allowed)
            return Route(r.recipient_key, r.person_id, recipient.id, r.language, r.channels)
        sms_ok = allowed is None or "sms" in allowed
        if recipient.phone:
            return Route(
                f"r{recipient.id}",
                None,
                recipient.id,
                "zh",
                [f"sms:{recipient.phone}"] if sms_ok else [],
            )
        contact = recipient.household.contact_phone
        if contact:
            return Route(
                f"r{recipient.id}",
                None,
                recipient.id,
                "zh",
                [f"sms:{contact}"] if sms_ok else [],
                relay_for=recipient.name,
            )
        return Route(f"r{recipient.id}", None, recipient.id, "zh", [])
    return Route(
        f"a{recipient}",
        None,
        None,
        "zh",
        [f"sms:{recipient}"] if allowed is None or "sms" in allowed else [],
    )
