"""What Telegram's webhook carries: the secret token, and updates read into plain values.

Nothing here reads a web request: the view passes the header and the parsed JSON body. An
update the bot has nothing to do with (a group, a sticker, an edit) reads as None.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# What Telegram accepts as a webhook's secret_token.
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def secret_ok(expected: str | None, given: str | None) -> bool:
    """Return True when the update carries our secret; with none configured, refuse all."""
    expected = expected or ""
    return bool(expected) and hmac.compare_digest((given or "").encode(), expected.encode())


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_update(body: Any) -> tuple[dict[str, Any], int]:
    """Return the update and its id, or raise ValueError for a body that is no update."""
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    update_id = _int(body.get("update_id"))
    if update_id is None or update_id < 0:
        raise ValueError("no update_id")
    return body, update_id


def _language(sender: Any) -> str | None:
    code = sender.get("language_code") if isinstance(sender, dict) else None
    return code if isinstance(code, str) else None


@dataclass(frozen=True)
class TextMessage:
    """A text written in a private chat with the bot."""

    chat_id: int
    text: str  # as written (never blank)
    language_code: str | None  # the sender's Telegram app language, e.g. "en"


@dataclass(frozen=True)
class ButtonPress:
    """A button pressed under one of the bot's messages; `data` is the command it sends."""

    query_id: str
    chat_id: int
    data: str  # "" when the button carried nothing


@dataclass(frozen=True)
class Membership:
    """The person blocked the bot ("kicked") or unblocked it ("member")."""

    chat_id: int
    status: str


Event = TextMessage | ButtonPress | Membership


def _message(message: Mapping[str, Any]) -> TextMessage | None:
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return None  # the bot serves people one to one, never in groups
    chat_id = _int(chat.get("id"))
    text = message.get("text")
    if chat_id is None or not isinstance(text, str) or not text.strip():
        return None  # stickers, photos, service messages: nothing to answer
    return TextMessage(chat_id, text, _language(message.get("from")))


def _callback(query: Mapping[str, Any]) -> ButtonPress | None:
    query_id = query.get("id")
    sender = query.get("from")
    message = query.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = _int(chat.get("id")) if isinstance(chat, dict) else None
    if chat_id is None and isinstance(sender, dict):
        chat_id = _int(sender.get("id"))
    if not isinstance(query_id, str) or chat_id is None:
        return None
    data = query.get("data")
    return ButtonPress(query_id, chat_id, data if isinstance(data, str) and data.strip() else "")


def _membership(change: Mapping[str, Any]) -> Membership | None:
    chat = change.get("chat")
    new = change.get("new_chat_member")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(new, dict):
        return None
    chat_id = _int(chat.get("id"))
    status = new.get("status")
    if chat_id is None or not isinstance(status, str):
        return None
    return Membership(chat_id, status)


def event(update: Mapping[str, Any]) -> Event | None:
    """Return what an update means to the bot, or None when it means nothing to it."""
    if isinstance(update.get("message"), dict):
        return _message(update["message"])
    if isinstance(update.get("callback_query"), dict):
        return _callback(update["callback_query"])
    if isinstance(update.get("my_chat_member"), dict):
        return _membership(update["my_chat_member"])
    return None
