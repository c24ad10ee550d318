"""The Telegram bot: the updates it receives, and `flask --app pwa telegram setup`.

Each update is handled once (its update_id is recorded in the caller's transaction). Text and
button presses go through the same grammar as SMS (notify.inbound), so every command works on
both channels. Every answer is queued in the outbox (an urgent delivery to the chat), sent by
the worker once the caller commits; `handle` returns it, and the button press to acknowledge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from models import Person, TelegramUpdate, db
from models.clock import today_of
from notify import inbound
from notify.channels.telegram.sending import TelegramApiError, TelegramChannel
from notify.channels.telegram.webhook import (
    SECRET_RE,
    ButtonPress,
    Membership,
    TextMessage,
    event,
)
from notify.commands import Reply
from notify.routing import Sender
from services.messages import help as sms_help
from services.sign_in import telegram_links
from services.sign_in.telegram_links import LinkError

WEBHOOK_PATH = "/webhooks/telegram"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
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
    text: str | None  # the message queued for the chat, if any
    callback_query_id: str | None = None  # a pressed button to acknowledge
    callback_text: str = ""
    actions: tuple[tuple[str, str], ...] = ()  # buttons under the text


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


def _language(person: Person | None, code: str | None) -> str:
    if person is not None:
        return person.language
    return "en" if code is not None and code.lower().startswith("en") else "zh"


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


def _start(chat_id: int, payload: str, language: str, now: datetime) -> tuple[Reply, Sender]:
    """Link the chat (with a token) or resume notices; return the answer and whom it is to."""
    chat = str(chat_id)
    if payload:
        try:
            person = telegram_links.link(payload, chat_id, now=now)
        except LinkError as error:
            params = {"minutes": telegram_links.TOKEN_MINUTES}
            return Reply(error.kind, params), Sender("telegram", chat, None, language)
        to = Sender("telegram", chat, person, person.language)
        return Reply("telegram_linked", {"name": person.name}), to
    found = telegram_links.link_of_chat(chat_id)
    if found is None:
        return Reply("telegram_start_help"), Sender("telegram", chat, None, language)
    to = Sender("telegram", chat, found.person, found.person.language)
    name = {"name": found.person.name}
    if found.blocked_at is not None:
        telegram_links.unblock(chat_id)
        return Reply("telegram_resumed", name), to
    return Reply("telegram_already_linked", name), to


def _bot_answer(update_id: int, message: TextMessage, now: datetime) -> Answer | None:
    """Answer /start, /help and /stop; None for any other text."""
    command = _bot_command(message.text.strip())
    if command is None or command[0] not in ("start", "help", "stop"):
        return None
    chat_id = message.chat_id
    person, _phone = _sender(chat_id)
    language = _language(person, message.language_code)
    to = Sender("telegram", str(chat_id), person, language)
    if command[0] == "start":
        reply, to = _start(chat_id, command[1], language, now)
    elif command[0] == "help":
        lines = sms_help.commands_for(person, today_of(now), language)
        reply = Reply("telegram_help", {"commands": lines})
    elif telegram_links.block(chat_id, now=now) is None:
        reply = Reply("telegram_start_help")
    else:
        reply = Reply("telegram_stopped")
    # Bot commands are answered, not kept as inbound texts (a token is a secret).
    text = inbound.send_reply(reply, to=to, key=f"tg{update_id}", now=now)
    return Answer(chat_id, text)


def _message(update_id: int, message: TextMessage, now: datetime) -> Answer | None:
    answered = _bot_answer(update_id, message, now)
    if answered is not None:
        return answered
    person, phone = _sender(message.chat_id)
    handled = inbound.handle(
        channel="telegram",
        provider_id=str(update_id),
        address=str(message.chat_id),
        person=person,
        phone=phone,
        text=message.text,
        now=now,
    )
    return Answer(message.chat_id, handled.reply, actions=handled.actions)


def _callback(update_id: int, press: ButtonPress, now: datetime) -> Answer:
    if not press.data:
        return Answer(press.chat_id, None, callback_query_id=press.query_id)
    person, phone = _sender(press.chat_id)
    handled = inbound.handle(
        channel="telegram",
        provider_id=str(update_id),
        address=str(press.chat_id),
        person=person,
        phone=phone,
        text=press.data,
        now=now,
    )
    return Answer(
        press.chat_id,
        handled.reply,
        callback_query_id=press.query_id,
        callback_text=handled.reply or "",
        actions=handled.actions,
    )


def _membership(change: Membership, now: datetime) -> None:
    if change.status == "kicked":  # the person blocked the bot
        telegram_links.block(change.chat_id, now=now)
    elif change.status == "member":  # and unblocked it
        telegram_links.unblock(change.chat_id)


def handle(update: Mapping[str, Any], update_id: int, *, now: datetime) -> Answer | None:
    """Handle one update once, queueing any answer; return it, and a button to acknowledge."""
    if not first_time(update_id, now):
        return None
    found = event(update)
    if isinstance(found, TextMessage):
        return _message(update_id, found, now)
    if isinstance(found, ButtonPress):
        return _callback(update_id, found, now)
    if isinstance(found, Membership):
        _membership(found, now)
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
