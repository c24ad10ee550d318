"""Which channels reach a recipient, best first: Telegram if linked, else SMS; and for a
resident without a phone, the household's contact."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from models import Household, Person, Resident, TelegramLink, db


@dataclass(frozen=True)
class Sender:
    """Whoever wrote to us, answered on the channel and at the address they wrote from.

    A reply goes back where the text came from (an SMS to the phone, a Telegram answer to the
    chat, even one that stopped notices), in the language it was written in; a known person
    also finds it in their inbox.
    """

    channel: str  # "sms" or "telegram"
    address: str  # the phone (E.164) or the chat id
    person: Person | None = None
    language: str = "zh"


@dataclass(frozen=True)
class GridGroup:
    """A grid's work group (网格工作群), reached through its WeCom group robot."""

    grid_id: int


Recipient = Person | Resident | Sender | GridGroup | str  # a bare str is an E.164 phone


@dataclass(frozen=True)
class Route:
    recipient_key: str
    person_id: int | None
    resident_id: int | None
    language: str
    # "channel:address" in order of preference, e.g. ["telegram:123", "sms:+86138..."].
    channels: list[str]
    # A resident who died or whose household moved out: nothing is sent to them.
    gone: bool = False
    # Set when the SMS goes to someone who passes it on ("转告王奶奶").
    relay_for: str | None = None


# Rows fetched per query when routing many recipients at once.
PREFETCH_CHUNK = 500
Links = Mapping[int, TelegramLink]


def prefetch(recipients: Sequence[Recipient]) -> Links:
    """Load what routing these recipients needs in a few queries, not a few per recipient.

    Returns the Telegram links by person id; the residents' persons and households are loaded
    into the session, where their many-to-one attributes then find them without a query.
    """
    residents = [r for r in recipients if isinstance(r, Resident)]
    for model, wanted in (
        (Person, {r.person_id for r in residents if r.person_id is not None}),
        # Every resident's household: whether it moved out decides whether anything is sent.
        (Household, {r.household_id for r in residents}),
    ):
        ids = sorted(wanted)
        for start in range(0, len(ids), PREFETCH_CHUNK):
            chunk = ids[start : start + PREFETCH_CHUNK]
            list(db.session.scalars(select(model).where(model.id.in_(chunk))))
    person_ids = sorted(
        {r.id for r in recipients if isinstance(r, Person)}
        | {r.person_id for r in residents if r.person_id is not None}
    )
    links: dict[int, TelegramLink] = {}
    for start in range(0, len(person_ids), PREFETCH_CHUNK):
        chunk = person_ids[start : start + PREFETCH_CHUNK]
        for link in db.session.scalars(
            select(TelegramLink).where(TelegramLink.person_id.in_(chunk))
        ):
            links[link.person_id] = link
    return links


def _person_channels(
    person: Person, allowed: tuple[str, ...] | None, links: Links | None = None
) -> list[str]:
    channels = []
    if links is not None:
        link = links.get(person.id)
    else:
        link = db.session.scalar(select(TelegramLink).where(TelegramLink.person_id == person.id))
    if link is not None and link.usable:
        channels.append(f"telegram:{link.chat_id}")
    channels.append(f"sms:{person.phone}")
    return [c for c in channels if allowed is None or c.split(":", 1)[0] in allowed]


def route(
    recipient: Recipient, allowed: tuple[str, ...] | None = None, links: Links | None = None
) -> Route:
    """Return how to reach one recipient; `allowed` limits the channels (e.g. SMS only).

    `links` are the Telegram links from prefetch(), when routing many recipients at once.
    """
    if isinstance(recipient, Person):
        return Route(
            f"p{recipient.id}",
            recipient.id,
            None,
            recipient.language,
            _person_channels(recipient, allowed, links),
        )
    if isinstance(recipient, Sender):
        person_id = recipient.person.id if recipient.person is not None else None
        key = f"p{person_id}" if person_id is not None else f"a{recipient.address}"
        ok = allowed is None or recipient.channel in allowed
        return Route(
            key,
            person_id,
            None,
            recipient.language,
            [f"{recipient.channel}:{recipient.address}"] if ok else [],
        )
    if isinstance(recipient, GridGroup):
        ok = allowed is None or "wecom" in allowed
        key = f"g{recipient.grid_id}"
        return Route(key, None, None, "zh", [f"wecom:{key}"] if ok else [])
    if isinstance(recipient, Resident):
        if recipient.gone:
            return Route(f"r{recipient.id}", None, recipient.id, "zh", [], gone=True)
        if recipient.person is not None:
            r = route(recipient.person, allowed, links)
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
