"""Telegram: the bot's webhook, and the page where a person links their Telegram account."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from models import db, utcnow
from notify.channels.telegram import webhook as telegram_webhook
from notify.channels.telegram.sending import TelegramApiError, TelegramChannel
from pwa import auth, telegram_bot
from pwa.extensions import csrf
from pwa.forms.sign_in import TelegramForm
from pwa.steps import run_step
from services.sign_in import telegram_links

log = logging.getLogger(__name__)

bp = Blueprint("telegram", __name__)

_channel_lock = threading.Lock()


def channel() -> TelegramChannel:
    """Return the app's Telegram client (one connection pool, rebuilt if the settings change)."""
    config = current_app.config
    key = tuple(
        config.get(name)
        for name in (
            "TELEGRAM_BOT_TOKEN",
            "TELEGRAM_API_BASE_URL",
            "TELEGRAM_PROXY_URL",
            "TELEGRAM_CA_FILE",
        )
    )
    with _channel_lock:
        cached = current_app.extensions.get("linli_telegram")
        if cached is None or cached[0] != key:
            if cached is not None:
                cached[1].close()
            cached = (key, TelegramChannel.from_config(config))
            current_app.extensions["linli_telegram"] = cached
        found: TelegramChannel = cached[1]
        return found


def _acknowledge(answer: telegram_bot.Answer) -> None:
    """Stop the spinner on a pressed button; called after the commit. The reply itself is a
    delivery in the outbox, which the worker sends."""
    if not answer.callback_query_id:
        return
    try:
        channel().answer_callback(answer.callback_query_id, answer.callback_text)
    except TelegramApiError as error:
        log.warning("answerCallbackQuery failed: %s", error)


@bp.post("/webhooks/telegram")
def webhook() -> Any:
    expected = current_app.config.get("TELEGRAM_WEBHOOK_SECRET")
    if not telegram_webhook.secret_ok(
        expected, request.headers.get(telegram_webhook.SECRET_HEADER)
    ):
        return Response("forbidden", status=403, mimetype="text/plain")
    try:
        update, update_id = telegram_webhook.parse_update(request.get_json(force=True, silent=True))
    except ValueError as error:
        return Response(f"bad update: {error}", status=400, mimetype="text/plain")
    answer = telegram_bot.handle(update, update_id, now=utcnow())
    db.session.commit()
    if answer is not None:
        _acknowledge(answer)
    return Response(status=200)


csrf.exempt(webhook)


def _page(**context: Any) -> str:
    person = auth.person_required()
    config = current_app.config
    return render_template(
        "telegram/link.html",
        person=person,
        link=telegram_links.link_of(person),
        available=bool(config.get("TELEGRAM_BOT_NAME") and config.get("TELEGRAM_BOT_TOKEN")),
        minutes=telegram_links.TOKEN_MINUTES,
        **context,
    )


@bp.get("/me/telegram")
def profile() -> Any:
    stranger = auth.require_signed_in()
    if stranger is not None:
        return stranger
    return _page()


@bp.post("/me/telegram")
def change() -> Any:
    stranger = auth.require_signed_in()
    if stranger is not None:
        return stranger
    person = auth.person_required()
    form = TelegramForm()

    def refused(message: str) -> Any:
        return _page(error=message), 400

    if form.action.data == "link":
        config = current_app.config
        bot_name = str(config.get("TELEGRAM_BOT_NAME") or "")
        if not bot_name or not config.get("TELEGRAM_BOT_TOKEN"):
            return refused(_("Telegram is not set up on this server."))
        return run_step(
            lambda: telegram_links.create_token(person, now=utcnow()),
            form=form,
            refused=refused,
            # The token is shown once, in this answer only (never in a URL of ours or a log).
            done=lambda token: _page(deep_link=f"https://t.me/{bot_name}?start={token}"),
        )
    # The form refuses any other action before anything is unlinked.
    return run_step(
        lambda: telegram_links.unlink(person),
        form=form,
        refused=refused,
        done=lambda _had_chat: redirect(url_for("telegram.profile"), code=303),
    )
