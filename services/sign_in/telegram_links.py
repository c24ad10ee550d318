"""Linking a person's Telegram chat through a one-time deep-link token, and unlinking it."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from models import Person, TelegramLink, db
from services.errors import DomainError

TOKEN_MINUTES = 30
# Telegram's limit for a deep-link payload: up to 64 of A-Za-z0-9_-.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class LinkError(DomainError):
    """A token that cannot link a chat; `kind` names the bot's answer (a message kind)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _hash(token: str) -> str:
    # The token is random and short-lived; an unkeyed hash keeps a leaked table from using it.
    return hashlib.sha256(token.encode()).hexdigest()


def link_of(person: Person) -> TelegramLink | None:
    return db.session.scalar(select(TelegramLink).where(TelegramLink.person_id == person.id))


def link_of_chat(chat_id: int) -> TelegramLink | None:
    return db.session.scalar(select(TelegramLink).where(TelegramLink.chat_id == chat_id))


def create_token(person: Person, *, now: datetime) -> str:
    """Return a fresh one-time token for the person's deep link; an older one stops working."""
    token = secrets.token_urlsafe(32)  # 43 characters of A-Za-z0-9_-
    link = link_of(person)
    if link is None:
        link = TelegramLink(person_id=person.id)
        db.session.add(link)
    link.token_hash = _hash(token)
    link.token_expires_at = now + timedelta(minutes=TOKEN_MINUTES)
    db.session.flush()
    return token


def link(token: str, chat_id: int, *, now: datetime) -> Person:
    """Link the chat to the person the token was made for; the token is used up."""
    found = (
        db.session.scalar(select(TelegramLink).where(TelegramLink.token_hash == _hash(token)))
        if TOKEN_RE.match(token or "")
        else None
    )
    if found is None:
        raise LinkError(
            _("This link is not valid or was already used. Create a new one."),
            "telegram_link_invalid",
        )
    if found.token_expires_at is None or found.token_expires_at < now:
        raise LinkError(_("This link has expired. Create a new one."), "telegram_link_expired")
    # One Telegram account speaks for one person: a chat linked to someone else moves here.
    other = link_of_chat(chat_id)
    if other is not None and other.id != found.id:
        other.chat_id = None
        other.linked_at = None
        db.session.flush()
    found.chat_id = chat_id
    found.linked_at = now
    found.blocked_at = None
    found.token_hash = None
    found.token_expires_at = None
    db.session.flush()
    return found.person


def unlink(person: Person) -> bool:
    """Forget the person's Telegram chat; return whether there was one."""
    found = link_of(person)
    if found is None:
        return False
    had_chat = found.chat_id is not None
    db.session.delete(found)
    db.session.flush()
    return had_chat


def block(chat_id: int, *, now: datetime) -> TelegramLink | None:
    """Note that the chat no longer takes our messages (blocked or /stop): SMS takes over."""
    found = link_of_chat(chat_id)
    if found is not None and found.blocked_at is None:
        found.blocked_at = now
        db.session.flush()
    return found


def unblock(chat_id: int) -> TelegramLink | None:
    """Note that the chat takes our messages again."""
    found = link_of_chat(chat_id)
    if found is not None and found.blocked_at is not None:
        found.blocked_at = None
        db.session.flush()
    return found
