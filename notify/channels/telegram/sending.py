"""Sending to Telegram through the Bot API over HTTPS: a thin sync client, any base URL.

python-telegram-bot is async-only and other libraries put the text in the URL, so this is a
small httpx client: one connection pool per channel object, shared by the sender threads
(httpx.Client is thread-safe). TELEGRAM_API_BASE_URL points it at another host (the tests'
fake Bot API); requests go to <base>/bot<token>/<method> with a JSON body.

Where api.telegram.org is not reachable directly, TELEGRAM_PROXY_URL names an HTTP proxy
(http://proxy:3128, with user:password@ if it asks): HTTPS goes through it in a CONNECT
tunnel, so the proxy sees only the host, never the token or the messages.
TELEGRAM_CA_FILE adds a CA to trust (a proxy that inspects TLS presents its own certificate).
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from notify.channels.base import Outgoing, PermanentFailure, Sent, TransientFailure
from notify.channels.telegram import status as telegram_status
from notify.segments import cut

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.telegram.org"
MAX_TEXT = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
BUTTONS_PER_ROW = 3
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class TelegramApiError(Exception):
    """A Bot API call that failed: an HTTP status (None when no answer came) and its reason."""

    def __init__(self, status: int | None, description: str, retry_after: float | None = None):
        super().__init__(f"{status}: {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def as_failure(self) -> TransientFailure | PermanentFailure:
        """Return the outbox's kind of failure: retry later, or try the next channel."""
        return telegram_status.failure(self.status, self.description, self.retry_after)


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    api_base_url: str = DEFAULT_API_BASE_URL
    proxy_url: str = ""  # e.g. http://proxy:3128; "" to connect directly
    ca_file: str = ""  # a PEM file of CAs to trust instead of the system's


def keyboard(actions: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    """Build an inline keyboard whose buttons send their command text back when pressed."""
    buttons = []
    for label, command in actions:
        if not label or not command:
            continue
        if len(command.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            # Telegram refuses the whole message for one long callback_data: drop the button.
            log.warning("button %r dropped: its command is over 64 bytes", label)
            continue
        buttons.append({"text": label, "callback_data": command})
    if not buttons:
        return None
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return {"inline_keyboard": rows}


def parts(text: str) -> list[str]:
    """Cut text into messages Telegram accepts (4,096 characters, counted in UTF-16 units)."""
    limit = MAX_TEXT
    while True:
        pieces = cut(text, limit)
        if all(len(p.encode("utf-16-le")) // 2 <= MAX_TEXT for p in pieces):
            return pieces
        limit //= 2  # only text full of emoji gets here


class TelegramChannel:
    """The Telegram channel: one bot, one pooled HTTP client for every sending thread."""

    name = "telegram"
    provider = "telegram"
    single_part_chars = MAX_TEXT
    multi_part_chars = MAX_TEXT

    def __init__(self, settings: TelegramSettings, *, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.settings = settings
        base = settings.api_base_url.rstrip("/") or DEFAULT_API_BASE_URL
        verify: ssl.SSLContext | bool = True
        if settings.ca_file:
            verify = ssl.create_default_context(cafile=settings.ca_file)
        self.client = httpx.Client(
            base_url=f"{base}/bot{settings.token}/",
            timeout=timeout,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            headers={"User-Agent": "linli-telegram"},
            # The proxy is named, never taken from the environment (HTTPS_PROXY and the like).
            trust_env=False,
            proxy=settings.proxy_url or None,
            verify=verify,
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TelegramChannel:
        return cls(
            TelegramSettings(
                token=str(config.get("TELEGRAM_BOT_TOKEN") or ""),
                api_base_url=str(config.get("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL),
                proxy_url=str(config.get("TELEGRAM_PROXY_URL") or ""),
                ca_file=str(config.get("TELEGRAM_CA_FILE") or ""),
            )
        )

    @property
    def configured(self) -> bool:
        return bool(self.settings.token)

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, params: Mapping[str, Any]) -> Any:
        """Call a Bot API method; return its result or raise TelegramApiError."""
        if not self.configured:
            raise TelegramApiError(401, "TELEGRAM_BOT_TOKEN is not set")
        try:
            response = self.client.post(method, json=dict(params))
        except httpx.TimeoutException as error:
            raise TelegramApiError(None, f"timed out ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise TelegramApiError(None, f"no connection ({type(error).__name__})") from None
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None  # a front end's HTML error page, e.g. on 502
        if not isinstance(body, dict):
            raise TelegramApiError(response.status_code, f"HTTP {response.status_code}")
        if response.status_code == 200 and body.get("ok"):
            return body.get("result")
        parameters = body.get("parameters") or {}
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        raise TelegramApiError(
            int(body.get("error_code") or response.status_code),
            str(body.get("description") or f"HTTP {response.status_code}"),
            float(retry_after) if isinstance(retry_after, int | float) else None,
        )

    def send(self, outgoing: Outgoing) -> Sent:
        """Send the text to the chat (in parts if long), with the buttons on the last part."""
        try:
            chat_id = int(outgoing.address)
        except ValueError:
            raise PermanentFailure("telegram_400", "not a chat id") from None
        pieces = parts(outgoing.text)
        markup = keyboard(outgoing.actions)
        first_id: str | None = None
        for number, piece in enumerate(pieces, start=1):
            params: dict[str, Any] = {"chat_id": chat_id, "text": piece}
            if markup is not None and number == len(pieces):
                params["reply_markup"] = markup
            try:
                result = self.call("sendMessage", params)
            except TelegramApiError as error:
                if number > 1:
                    # The earlier parts went out: a retry sends them again. Say so in the log.
                    log.warning("delivery %s failed at part %d", outgoing.delivery_id, number)
                raise error.as_failure() from None
            if first_id is None and isinstance(result, dict):
                first_id = f"{chat_id}:{result.get('message_id')}"
        return Sent(provider_id=first_id or str(chat_id), state="sent", segments=len(pieces))

    def answer_callback(self, query_id: str, text: str = "") -> None:
        """Stop the spinner on a pressed button, showing a short note when there is one."""
        params: dict[str, Any] = {"callback_query_id": query_id}
        if text:
            params["text"] = text if len(text) <= MAX_CALLBACK_ANSWER else text[:199] + "…"
        self.call("answerCallbackQuery", params)
