"""Texts that arrive by SMS or Telegram: kept, understood, answered once, never in a loop.

The answer leaves like every other message: an urgent delivery in the outbox, to the sender,
on the channel the text came by (notify.send_later, queued once the caller commits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models import (
    Building,
    Community,
    Household,
    InboundMessage,
    Person,
    Post,
    Resident,
    SmsOptOut,
    db,
)
from notify import commands, templates
from notify.commands import Command, Inbound, Reply
from notify.message import Message
from notify.outbox import send_later
from notify.routing import Sender

# At most this many automatic replies an hour to a number on no roster; unknown text gets one.
REPLIES_PER_HOUR = 5
# Everyone on the roster works by SMS (claiming, posting, rating, withdrawing): an account
# holder and a resident who has none (her own phone, or the household contact's) alike. The
# cap is there to stop loops with auto-responders, not to ration their work.
KNOWN_REPLIES_PER_HOUR = 30
UNKNOWN_REPLIES_PER_HOUR = 1
MAX_TEXT = 2000


@dataclass(frozen=True)
class Handled:
    inbound_id: int
    reply: str | None  # the text to send back, already rendered (no signature)
    duplicate: bool = False
    actions: tuple[tuple[str, str], ...] = ()  # Telegram buttons under the reply


def _stop(message: Inbound) -> Reply:
    phone = message.phone
    if phone and db.session.get(SmsOptOut, phone) is None:
        db.session.add(SmsOptOut(phone=phone, since=message.now, via=message.channel))
    return Reply("sms_opted_out")


def _start(message: Inbound) -> Reply:
    if message.phone:
        found = db.session.get(SmsOptOut, message.phone)
        if found is not None:
            db.session.delete(found)
    return Reply("sms_opted_in")


# What Linli made of a text received, as the secretary's page says it. A reply held back by
# the hourly cap adds ":reply_limited" to the outcome.
OUTCOMES: dict[str, Any] = {
    "handled": _l("Understood and answered"),
    "unknown": _l("Not understood"),
}
REPLY_LIMITED = "reply_limited"
REPLY_LIMITED_LABEL = _l("no reply sent: too many replies this hour")


def outcome_label(outcome: str) -> str:
    """Return how an inbound text's outcome reads, e.g. "Not understood (no reply sent: …)"."""
    base, _sep, limited = outcome.partition(":")
    label = str(OUTCOMES.get(base, base))
    if limited == REPLY_LIMITED:
        return gettext("%(outcome)s (%(why)s)", outcome=label, why=str(REPLY_LIMITED_LABEL))
    return label


# The commands every sender has, whatever their role; pwa.features installs them first, then
# 帮助 (services/messages/help.py: its answer depends on who asks).
COMMANDS = (
    Command(
        "stop",
        ("退订", "TD", "T", "STOP", "UNSUBSCRIBE", "STOPALL", "CANCEL", "END", "QUIT", "取消订阅"),
        _stop,
    ),
    Command("start", ("订阅", "START", "UNSTOP", "恢复", "DY"), _start),
)


def community_of_phone(phone: str) -> int | None:
    """Return the community a phone belongs to (a person's post or a resident's home)."""
    person = db.session.scalar(select(Person).where(Person.phone == phone))
    if person is not None:
        post = db.session.scalar(select(Post).where(Post.person_id == person.id).limit(1))
        if post is not None:
            return post.community_id
    return db.session.scalar(
        select(Building.community_id)
        .join(Household, Household.building_id == Building.id)
        .join(Resident, Resident.household_id == Household.id)
        .where((Resident.phone == phone) | (Household.contact_phone == phone))
        .limit(1)
    )


def on_roster(phone: str) -> bool:
    """Whether the phone is a resident's own or a household contact's on any roster."""
    resident = select(Resident.id).where(Resident.phone == phone).limit(1)
    contact = select(Household.id).where(Household.contact_phone == phone).limit(1)
    return db.session.scalar(resident) is not None or db.session.scalar(contact) is not None


def strangers(rows: list[InboundMessage]) -> set[int]:
    """Return the ids of the texts whose sender nobody knows: no person, and an address that
    is no one's phone on any roster (a person's, a resident's, a household contact's)."""
    addresses = {r.from_address for r in rows if r.person_id is None}
    if not addresses:
        return set()
    known = set(db.session.scalars(select(Person.phone).where(Person.phone.in_(addresses))))
    known |= set(db.session.scalars(select(Resident.phone).where(Resident.phone.in_(addresses))))
    known |= set(
        db.session.scalars(
            select(Household.contact_phone).where(Household.contact_phone.in_(addresses))
        )
    )
    return {r.id for r in rows if r.person_id is None and r.from_address not in known}


def community_of_number(number: str) -> int | None:
    """Return the community whose own SMS number this is (Community.sms_number)."""
    return db.session.scalar(select(Community.id).where(Community.sms_number == number))


def community_of_text(to: str | None, phone: str | None) -> int | None:
    """Return the community an inbound text belongs to, or None.

    The community whose number it was sent to; else the sender's (a post or a home on its
    roster); else none: a stranger's text to no community's number is kept but shown to no
    community's staff.
    """
    if to:
        found = community_of_number(to)
        if found is not None:
            return found
    return community_of_phone(phone) if phone else None


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the parameters as the outbox keeps them (JSON): dates and the like as the text
    a template shows for them."""
    return {
        name: value if value is None or isinstance(value, str | int | float | bool) else str(value)
        for name, value in params.items()
    }


def send_reply(
    reply: Reply, *, to: Sender, key: str, now: datetime, community_id: int | None = None
) -> str:
    """Queue an answer to `to` as an urgent delivery; return its text (without signature).

    `key` names what it answers ("in42" for inbound text 42): one answer per key, however
    often the same text arrives.
    """
    params = _plain(reply.params)
    message = Message(
        reply.kind,
        params,
        batch_key=f"reply:{key}",
        urgent=True,
        community_id=community_id,
        actions=reply.actions,
    )
    send_later(message, to=[to], now=now)
    return templates.render(reply.kind, to.language, params)


def _replies_in_last_hour(address: str, now: datetime, *, unknown_only: bool) -> int:
    query = select(func.count(InboundMessage.id)).where(
        InboundMessage.from_address == address,
        InboundMessage.received_at > now - timedelta(hours=1),
        InboundMessage.reply != "",
    )
    if unknown_only:
        query = query.where(InboundMessage.outcome == "unknown")
    return int(db.session.scalar(query) or 0)


def handle(
    *,
    channel: str,
    provider_id: str,
    address: str,
    text: str,
    now: datetime,
    person: Person | None = None,
    phone: str | None = None,
    to: str | None = None,
) -> Handled:
    """Record an inbound text, run the command it names, queue the reply and return it.

    `to` is the number the text was sent to, when the provider says: it decides the community
    the text belongs to (`community_of_text`).

    The same provider_id (Twilio MessageSid, Telegram update) is handled once: a repeat
    returns the first answer and changes nothing.
    """
    earlier = db.session.scalar(
        select(InboundMessage).where(
            InboundMessage.channel == channel, InboundMessage.provider_id == provider_id
        )
    )
    if earlier is not None:
        return Handled(earlier.id, earlier.reply or None, duplicate=True)
    if person is None and phone:
        person = db.session.scalar(select(Person).where(Person.phone == phone))
    text = (text or "")[:MAX_TEXT]
    row = InboundMessage(
        channel=channel,
        provider_id=provider_id,
        from_address=address,
        person_id=person.id if person else None,
        community_id=community_of_text(to, phone),
        text=text,
        received_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        # The same message, arriving twice at once: the other request answers it.
        db.session.expire_all()
        earlier = db.session.scalar(
            select(InboundMessage).where(
                InboundMessage.channel == channel, InboundMessage.provider_id == provider_id
            )
        )
        return Handled(earlier.id if earlier else 0, None, duplicate=True)

    message = Inbound(
        channel=channel,
        address=address,
        phone=phone,
        person=person,
        text=text,
        normalized=commands.normalize(text),
        now=now,
        community_id=row.community_id,
    )
    reply: Reply | None = None
    for command, ref, rest in commands.parse(message):
        message.command, message.ref, message.rest = command.name, ref, rest
        reply = command.handler(message)
        if reply is not None:
            # A handler may learn the community from the text itself (报到 <unit>).
            row.community_id = message.community_id
            row.command = command.name
            row.outcome = "handled"
            break
    language = person.language if person else "zh"
    if reply is None:
        row.outcome = "unknown"
        if _replies_in_last_hour(address, now, unknown_only=True) >= UNKNOWN_REPLIES_PER_HOUR:
            db.session.flush()
            return Handled(row.id, None)
        reply = Reply("unknown_reply")
    known = person is not None or (phone is not None and on_roster(phone))
    cap = KNOWN_REPLIES_PER_HOUR if known else REPLIES_PER_HOUR
    if _replies_in_last_hour(address, now, unknown_only=False) >= cap:
        row.outcome = f"{row.outcome}:{REPLY_LIMITED}"
        db.session.flush()
        return Handled(row.id, None)
    row.reply = send_reply(
        reply,
        to=Sender(channel, address, person, language),
        key=f"in{row.id}",
        now=now,
        community_id=row.community_id,
    )
    db.session.flush()
    return Handled(row.id, row.reply, actions=reply.actions)
