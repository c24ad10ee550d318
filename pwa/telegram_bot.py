"""The Telegram bot: the updates it receives, and `flask --app pwa telegram setup`.

Each update is handled once (its update_id is recorded in the caller's transaction). Text and
button presses go through the same grammar as SMS (notify.inbound), so every command works on
both channels. The answer is returned, not sent: the webhook sends it after its commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

import notify.telegram_messages  # noqa: F401  (registers the bot's message kinds)
from models import Person, TelegramUpdate, db
from notify import commands, inbound, templates
from notify.channels.telegram import TelegramApiError, TelegramChannel
from services.sign_in import telegram_links
from services.sign_in.telegram_links import LinkError

WEBHOOK_PATH = "/webhooks/telegram"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# The command menu, by the language of the person's Telegram app ("" = everyone else).
BOT_COMMANDS: dict[str, list[tuple[str, str]]] = {
    "": [
        ("start", "绑定邻里账号，或恢复在这里接收通知"),
        ("help", "查看可用的指令"),
        ("stop", "停止在这里接收通知，改发短信"),
    ],
    "en": [
        ("start", "Link your Linli account, or get notices here again"),
        ("help", "Show the commands"),
        ("stop", "Stop notices here and get them by SMS"),
    ],
}


@dataclass(frozen=True)
class Answer:
    chat_id: int
    text: str | None  # a message to send to the chat
    callback_query_id: str | None = None  # a pressed button to acknowledge
    callback_text: str = ""
    actions: tuple[tuple[str, str], ...] = ()  # buttons under the text


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


def first_time(update_id: int, now: datetime) -> bool:
    """Record the update_id; return False when it was handled before."""
    if db.session.get(TelegramUpdate, update_id) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(TelegramUpdate(update_id=update_id, received_at=now))
            db.session.flush()
    except IntegrityError:
        return False  # the same update, arriving twice at once: the other request has it
    return True


def _language(person: Person | None, sender: Any) -> str:
    if person is not None:
        return person.language
    code = sender.get("language_code") if isinstance(sender, dict) else None
    return "en" if isinstance(code, str) and code.lower().startswith("en") else "zh"


def _bot_command(text: str) -> tuple[str, str] | None:
    """Split "/start@linli_bot payload" into ("start", "payload"); None for other text."""
    if not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), rest.strip()


def _sender(chat_id: int) -> tuple[Person | None, str | None]:
    found = telegram_links.link_of_chat(chat_id)
    person = found.person if found is not None else None
    return person, (person.phone if person is not None else None)


def _start(chat_id: int, payload: str, language: str, now: datetime) -> str:
    if payload:
        try:
            person = telegram_links.link(payload, chat_id, now=now)
        except LinkError as error:
            params = {"minutes": telegram_links.TOKEN_MINUTES}
            return templates.render(error.kind, language, params)
        return templates.render("telegram_linked", person.language, {"name": person.name})
    found = telegram_links.link_of_chat(chat_id)
    if found is None:
        return templates.render("telegram_start_help", language, {})
    name = {"name": found.person.name}
    if found.blocked_at is not None:
        telegram_links.unblock(chat_id)
        return templates.render("telegram_resumed", found.person.language, name)
    return templates.render("telegram_already_linked", found.person.language, name)


def _message(update_id: int, message: Mapping[str, Any], now: datetime) -> Answer | None:
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return None  # the bot serves people one to one, never in groups
    chat_id = _int(chat.get("id"))
    text = message.get("text")
    if chat_id is None or not isinstance(text, str) or not text.strip():
        return None  # stickers, photos, service messages: nothing to answer
    person, phone = _sender(chat_id)
    language = _language(person, message.get("from"))
    command = _bot_command(text.strip())
    if command is not None and command[0] == "start":
        return Answer(chat_id, _start(chat_id, command[1], language, now))
    if command is not None and command[0] == "help":
        lines = commands.help_lines(language)
        return Answer(chat_id, templates.render("telegram_help", language, {"commands": lines}))
    if command is not None and command[0] == "stop":
        if telegram_links.block(chat_id, now=now) is None:
            return Answer(chat_id, templates.render("telegram_start_help", language, {}))
        return Answer(chat_id, templates.render("telegram_stopped", language, {}))
    handled = inbound.handle(
        channel="telegram",
        provider_id=str(update_id),
        address=str(chat_id),
        person=person,
        phone=phone,
        text=text,
        now=now,
    )
    return Answer(chat_id, handled.reply, actions=handled.actions)


def _callback(update_id: int, query: Mapping[str, Any], now: datetime) -> Answer | None:
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
    if not isinstance(data, str) or not data.strip():
        return Answer(chat_id, None, callback_query_id=query_id)
    person, phone = _sender(chat_id)
    handled = inbound.handle(
        channel="telegram",
        provider_id=str(update_id),
        address=str(chat_id),
        person=person,
        phone=phone,
        text=data,
        now=now,
    )
    return Answer(
        chat_id,
        handled.reply,
        callback_query_id=query_id,
        callback_text=handled.reply or "",
        actions=handled.actions,
    )


def _membership(change: Mapping[str, Any], now: datetime) -> None:
    chat = change.get("chat")
    new = change.get("new_chat_member")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(new, dict):
        return
    chat_id = _int(chat.get("id"))
    if chat_id is None:
        return
    if new.get("status") == "kicked":  # the person blocked the bot
        telegram_links.block(chat_id, now=now)
    elif new.get("status") == "member":  # and unblocked it
        telegram_links.unblock(chat_id)


def handle(update: Mapping[str, Any], update_id: int, *, now: datetime) -> Answer | None:
    """Handle one update once; return what to send back, if anything."""
    if not first_time(update_id, now):
        return None
    if isinstance(update.get("message"), dict):
        return _message(update_id, update["message"], now)
    if isinstance(update.get("callback_query"), dict):
        return _callback(update_id, update["callback_query"], now)
    if isinstance(update.get("my_chat_member"), dict):
        _membership(update["my_chat_member"], now)
    return None


# -- flask --app pwa telegram setup ----------------------------------------------------------

telegram_cli = AppGroup("telegram", help="The Telegram bot.")


@telegram_cli.command("setup")
def setup_command() -> None:
    """Register the webhook and the command menu with Telegram."""
    config = current_app.config
    token = str(config.get("TELEGRAM_BOT_TOKEN") or "")
    secret = str(config.get("TELEGRAM_WEBHOOK_SECRET") or "")
    public = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    problems = []
    if not token:
        problems.append("TELEGRAM_BOT_TOKEN is not set (ask @BotFather for the bot's token).")
    if not secret:
        problems.append("TELEGRAM_WEBHOOK_SECRET is not set (any 1-256 of A-Z a-z 0-9 _ -).")
    elif not SECRET_RE.match(secret):
        problems.append("TELEGRAM_WEBHOOK_SECRET may hold only A-Z a-z 0-9 _ - (1-256 of them).")
    if not public:
        problems.append("PUBLIC_BASE_URL is not set (the https address Telegram should call).")
    if problems:
        raise click.ClickException(" ".join(problems))
    url = public + WEBHOOK_PATH
    if not url.startswith("https://"):
        click.echo(f"Warning: {url} is not https; the real Telegram only calls https URLs.")
    channel = TelegramChannel.from_config(config)
    method = "getMe"
    try:
        me = channel.call(method, {})
        username = str(me.get("username") or "") if isinstance(me, dict) else ""
        click.echo(f"Bot: @{username}")
        name = str(config.get("TELEGRAM_BOT_NAME") or "")
        if name != username:
            click.echo(
                f"Warning: TELEGRAM_BOT_NAME is {name!r}; deep links need it to be {username!r}."
            )
        method = "setWebhook"
        channel.call(
            method,
            {"url": url, "secret_token": secret, "allowed_updates": ALLOWED_UPDATES},
        )
        click.echo(f"Webhook set: {url} (updates: {', '.join(ALLOWED_UPDATES)})")
        method = "setMyCommands"
        for language, menu in BOT_COMMANDS.items():
            params: dict[str, Any] = {
                "commands": [{"command": c, "description": d} for c, d in menu]
            }
            if language:
                params["language_code"] = language
            channel.call(method, params)
            names = " ".join(f"/{c}" for c, _d in menu)
            click.echo(f"Command menu set ({language or 'default'}): {names}")
    except TelegramApiError as error:
        raise click.ClickException(f"Telegram refused {method}: {error.description}") from None
    finally:
        channel.close()
