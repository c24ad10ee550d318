"""A fake of the Telegram Bot API (10.1) for one bot, and of the updates Telegram pushes.

Requests go to `<base_url>/bot<token>/<method>` exactly as to api.telegram.org, with the
parameters in the query string, a form body or a JSON body. Method and type shapes follow
tests/fakes/specs/telegram-bot-api-10.1.json; tests/test_fakes.py checks them against it.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from html.parser import HTMLParser
from typing import Any

from tests.fakes import (
    AppClient,
    FakeServer,
    Request,
    Response,
    WebhookResponse,
    post_to_app,
    wait_for_items,
)

DEFAULT_TOKEN = "123456789:AAFakeTelegramTokenForLinliTests_x"
MAX_TEXT = 4096

# Parameters the fake reads, with how a form value is decoded ("json": a JSON-serialized
# object, as the Bot API expects in forms and query strings). Required ones per method are
# below; the contract test holds both to the spec.
PARAMS: dict[str, dict[str, str]] = {
    "getMe": {},
    "sendMessage": {
        "chat_id": "chat",
        "text": "str",
        "parse_mode": "str",
        "reply_markup": "json",
        "disable_notification": "bool",
        "protect_content": "bool",
        "entities": "json",
        "link_preview_options": "json",
        "reply_parameters": "json",
        "message_thread_id": "int",
    },
    "editMessageText": {
        "chat_id": "chat",
        "message_id": "int",
        "inline_message_id": "str",
        "text": "str",
        "parse_mode": "str",
        "entities": "json",
        "link_preview_options": "json",
        "reply_markup": "json",
    },
    "editMessageReplyMarkup": {
        "chat_id": "chat",
        "message_id": "int",
        "inline_message_id": "str",
        "reply_markup": "json",
    },
    "answerCallbackQuery": {
        "callback_query_id": "str",
        "text": "str",
        "show_alert": "bool",
        "url": "str",
        "cache_time": "int",
    },
    "setWebhook": {
        "url": "str",
        "max_connections": "int",
        "allowed_updates": "json",
        "drop_pending_updates": "bool",
        "secret_token": "str",
        "ip_address": "str",
    },
    "deleteWebhook": {"drop_pending_updates": "bool"},
    "getWebhookInfo": {},
    "setMyCommands": {"commands": "json", "scope": "json", "language_code": "str"},
    "getMyCommands": {"scope": "json", "language_code": "str"},
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "sendMessage": ("chat_id", "text"),
    "answerCallbackQuery": ("callback_query_id",),
    "setWebhook": ("url",),
    "setMyCommands": ("commands",),
}
# The Bot API's own words for some missing parameters; the rest get its generic message.
_MISSING = {"chat_id": "chat_id is empty", "text": "message text is empty"}

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")


class BotApiError(Exception):
    """A failed call, carrying the Bot API's error_code and description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def bad_request(message: str) -> BotApiError:
    """Return a 400 error worded as the Bot API words it."""
    return BotApiError(400, f"Bad Request: {message}")


def error_body(code: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    """Build the Bot API's error envelope."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # entity offsets and lengths are UTF-16 units


# -- formatting: only the plain text and the errors matter to the fake ----------------------

_HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
    "tg-time",
}


class _HtmlText(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.text: list[str] = []
        self.stack: list[str] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        before = "".join(self.source.splitlines(keepends=True)[: line - 1]) + "\0" * col
        return len(before.encode("utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "{tag}" at byte '
                f"offset {self._offset()}"
            )
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            expected = f'"</{self.stack[-1]}>"' if self.stack else "no end tag"
            raise bad_request(
                f"can't parse entities: Unmatched end tag at byte offset "
                f'{self._offset()}, expected {expected}, found "</{tag}>"'
            )
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _plain_html(source: str) -> str:
    parser = _HtmlText(source)
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{parser.stack[-1]}"'
        )
    return "".join(parser.text)


_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}


def _plain_markdown_v2(source: str) -> str:
    """Strip MarkdownV2 markup, refusing unescaped reserved characters as Telegram does."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # open markers with their byte offsets
    i, n = 0, len(source)

    def offset(at: int) -> int:
        return len(source[:at].encode("utf-8"))

    def toggle(marker: str, at: int) -> None:
        if stack and stack[-1][0] == marker:
            stack.pop()
        else:
            stack.append((marker, offset(at)))

    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n:
            out.append(source[i + 1])
            i += 2
        elif c == "`":
            fence = "```" if source.startswith("```", i) else "`"
            end = source.find(fence, i + len(fence))
            while end > 0 and source[end - 1] == "\\":
                end = source.find(fence, end + 1)
            if end < 0:
                raise bad_request(
                    "can't parse entities: Can't find end of "
                    f"{'Pre' if len(fence) == 3 else 'Code'} entity at byte "
                    f"offset {offset(i)}"
                )
            body = source[i + len(fence) : end]
            if len(fence) == 3 and "\n" in body:  # ```language\ncode```
                body = body.split("\n", 1)[1]
            out.append(body.replace("\\`", "`").replace("\\\\", "\\"))
            i = end + len(fence)
        elif c in "*~":
            toggle(c, i)
            i += 1
        elif c == "_":
            marker = "__" if source.startswith("__", i) else "_"
            toggle(marker, i)
            i += len(marker)
        elif c == "|" and source.startswith("||", i):
            toggle("||", i)
            i += 2
        elif c == "[":
            stack.append(("[", offset(i)))
            i += 1
        elif c == "]" and stack and stack[-1][0] == "[" and source.startswith("](", i):
            end = source.find(")", i)
            if end < 0:
                raise bad_request(
                    f"can't parse entities: Can't find end of a URL at byte offset {offset(i)}"
                )
            stack.pop()
            i = end + 1
        elif c == ">" and (i == 0 or source[i - 1] == "\n"):
            i += 1  # a blockquote line
        elif c in _MD2_RESERVED:
            raise bad_request(
                f"can't parse entities: Character '{c}' is reserved and must be "
                "escaped with the preceding '\\'"
            )
        else:
            out.append(c)
            i += 1
    if stack:
        marker, at = stack[-1]
        raise bad_request(
            f"can't parse entities: Can't find end of {_MD2_NAMES[marker]} "
            f"entity at byte offset {at}"
        )
    return "".join(out)


def _plain_markdown(source: str) -> str:
    """Strip legacy Markdown (*bold*, _italic_, `code`, [text](url))."""
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c in "*_`":
            fence = "```" if source.startswith("```", i) else c
            end = source.find(fence, i + len(fence))
            if end < 0:
                at = len(source[:i].encode("utf-8"))
                raise bad_request(
                    "can't parse entities: Can't find end of the entity starting "
                    f"at byte offset {at}"
                )
            out.append(source[i + len(fence) : end])
            i = end + len(fence)
        elif c == "[" and (close := source.find("](", i)) > 0 and source.find(")", close) > 0:
            out.append(source[i + 1 : close])
            i = source.find(")", close) + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def plain_text(text: str, parse_mode: str | None) -> str:
    """Return the text a user sees once Telegram has parsed the markup, or raise BotApiError."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _plain_html(text)
    if mode == "markdownv2":
        return _plain_markdown_v2(text)
    if mode == "markdown":
        return _plain_markdown(text)
    if mode:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    return text


def check_inline_keyboard(markup: Any) -> dict[str, Any] | None:
    """Validate a reply_markup; return it when it is an inline keyboard (kept on the message)."""
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if not {"keyboard", "remove_keyboard", "force_reply"} & set(markup):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return None  # reply keyboards are not part of the returned Message
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "inline_keyboard" of the '
            "InlineKeyboardMarkup must be an Array of Arrays"
        )
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request(
                'can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        actions = [a for a in _BUTTON_ACTIONS if a in button]
        if not actions:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed "
                "in the inline keyboard"
            )
        data = button.get("callback_data")
        if data is not None and not (isinstance(data, str) and 1 <= len(data.encode()) <= 64):
            raise bad_request("BUTTON_DATA_INVALID")
    return {"inline_keyboard": rows}


class FakeTelegram(FakeServer):
    """One bot's Bot API on 127.0.0.1, with knobs for the failures real traffic sees."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = "linli_test_bot",
        first_name: str = "Linli Test Bot",
    ) -> None:
        super().__init__()
        self.token = token
        self.bot: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.blocked_chats: set[int] = set()
        self.retry_after = 3  # seconds named in an injected 429
        # Real Telegram only takes https webhooks; local tests serve the app over http.
        self.require_https_webhook = False
        self.app_client: AppClient | None = None  # post updates via a Flask test client
        self.chats: dict[int, list[dict[str, Any]]] = {}  # chat id -> bot messages, current
        self.sent: list[dict[str, Any]] = []  # every sendMessage result, in order
        self.edits: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []  # updates posted to the webhook
        self.webhook: dict[str, Any] = {"url": ""}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._update_ids = itertools.count(700_000_001)
        self._query_ids = itertools.count(4_382_000_000_000_000_001)
        self._open_queries: set[str] = set()
        self._last_error: tuple[int, str] | None = None

    # -- what tests read ---------------------------------------------------------------------

    def wait_for(
        self, count: int, timeout: float = 5.0, chat_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Wait until `count` messages were sent (to one chat, if given); return them."""

        def items() -> list[dict[str, Any]]:
            return self.sent if chat_id is None else self.chats.get(chat_id, [])

        return wait_for_items(self, items, count, timeout, "sent messages")

    def fail_next(self, n: int = 1, status: int = 500, retry_after: int | None = None) -> None:
        """Answer the next n calls with an error (429 names `retry_after` seconds)."""
        with self.lock:
            if retry_after is not None:
                self.retry_after = retry_after
        super().fail_next(n, status)

    # -- HTTP --------------------------------------------------------------------------------

    def failure(self, request: Request, status: int) -> Response:
        """Answer an injected failure as Telegram does."""
        if status == 429:
            description = f"Too Many Requests: retry after {self.retry_after}"
            return Response.json(429, error_body(429, description, self.retry_after))
        if status == 502:
            # Telegram's front end answers a gateway failure with an HTML page, not JSON.
            page = b"<html><head><title>502 Bad Gateway</title></head></html>\r\n"
            return Response(502, page, "text/html")
        phrase = {500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
        return Response.json(status, error_body(status, phrase))

    def handle(self, request: Request) -> Response:
        """Check the token, decode the parameters and call the method."""
        match = _PATH.match(request.path)
        if match is None:
            return Response.json(404, error_body(404, "Not Found"))
        if match["token"] != self.token:
            return Response.json(401, error_body(401, "Unauthorized"))
        method = next((m for m in PARAMS if m.lower() == match["method"].lower()), None)
        if method is None:
            return Response.json(404, error_body(404, "Not Found"))
        try:
            params = self._params(method, request)
            for name in REQUIRED.get(method, ()):
                if params.get(name) in (None, ""):
                    raise bad_request(_MISSING.get(name, f'parameter "{name}" is required'))
            result = getattr(self, f"_{method}")(params)
        except BotApiError as e:
            return Response.json(e.code, error_body(e.code, e.description, e.retry_after))
        if isinstance(result, tuple):  # (result, description)
            return Response.json(200, {"ok": True, "result": result[0], "description": result[1]})
        return Response.json(200, {"ok": True, "result": result})

    @staticmethod
    def _params(method: str, request: Request) -> dict[str, Any]:
        raw: dict[str, Any] = request.form()
        if request.headers.get("content-type", "").startswith("application/json") and request.body:
            try:
                body = json.loads(request.body)
            except ValueError as e:
                raise bad_request("can't parse JSON object") from e
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            raw |= body
        params: dict[str, Any] = {}
        for name, kind in PARAMS[method].items():
            if name not in raw:
                continue
            value = raw[name]
            if isinstance(value, str) and kind != "str":
                # Forms and query strings carry everything as text.
                if kind == "json":
                    try:
                        value = json.loads(value)
                    except ValueError as e:
                        raise bad_request(f"can't parse {name} JSON object") from e
                elif kind == "bool":
                    value = value.lower() in ("true", "1")
                elif kind == "int" or (kind == "chat" and re.fullmatch(r"-?\d+", value)):
                    try:
                        value = int(value)
                    except ValueError as e:
                        raise bad_request(f"{name} is invalid") from e
            params[name] = value
        return params

    # -- methods -----------------------------------------------------------------------------

    def _getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot)

    def _bot_user(self) -> dict[str, Any]:
        # Messages carry the short User; the can_* flags appear only in getMe.
        return {k: self.bot[k] for k in ("id", "is_bot", "first_name", "username")}

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str):
            if not chat_id.startswith("@"):
                raise bad_request("chat not found")
            # A public channel, named by username; give it a stable negative id.
            number = -1_000_000_000_000 - sum(map(ord, chat_id))
            return {"id": number, "title": chat_id[1:], "username": chat_id[1:], "type": "channel"}
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise bad_request("chat not found")
        if chat_id in self.blocked_chats:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id > 0:
            user = self._users.get(chat_id, {"first_name": "User"})
            chat = {"id": chat_id, "first_name": user["first_name"], "type": "private"}
            if "username" in user:
                chat["username"] = user["username"]
            return chat
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "title": "Group", "type": kind}

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _text(self, params: dict[str, Any]) -> str:
        text = plain_text(str(params.get("text") or ""), params.get("parse_mode")).strip()
        if not text:
            raise bad_request("message text is empty")
        # Counted in characters after the markup is parsed, as the Bot API documents it.
        if len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        return text

    def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        text = self._text(params)
        markup = params.get("reply_markup")
        inline = check_inline_keyboard(markup) if markup is not None else None
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "from": self._bot_user(),
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if inline is not None:
            message["reply_markup"] = inline
        self.chats.setdefault(chat["id"], []).append(message)
        self.sent.append(message)
        return json.loads(json.dumps(message))  # the caller gets a copy, as over the wire

    def _find(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("chat_id") in (None, ""):
            raise bad_request("chat_id is empty")
        if "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat = self._chat(params["chat_id"])
        for message in self.chats.get(chat["id"], []):
            if message["message_id"] == params["message_id"]:
                return message
        raise bad_request("message to edit not found")

    def _edit(self, params: dict[str, Any], text: str | None) -> dict[str, Any] | bool:
        markup = params.get("reply_markup")
        inline = check_inline_keyboard(markup) if markup is not None else None
        if params.get("inline_message_id"):
            self.edits.append(
                {
                    "inline_message_id": params["inline_message_id"],
                    "text": text,
                    "reply_markup": inline,
                }
            )
            return True
        message = self._find(params)
        new_text = message["text"] if text is None else text
        # Editing without reply_markup removes the inline keyboard, as on Telegram.
        if new_text == message["text"] and inline == message.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and "
                "reply markup of the message"
            )
        message["text"] = new_text
        message.pop("reply_markup", None)
        if inline is not None:
            message["reply_markup"] = inline
        message["edit_date"] = int(time.time())
        self.edits.append(
            {
                "chat_id": message["chat"]["id"],
                "message_id": message["message_id"],
                "text": new_text,
                "reply_markup": inline,
            }
        )
        return json.loads(json.dumps(message))

    def _editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit(params, self._text(params))

    def _editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit(params, None)

    def _answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id not in self._open_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_queries.discard(query_id)
        self.callback_answers.append({"callback_query_id": query_id, **params})
        return True

    def _setWebhook(self, params: dict[str, Any]) -> tuple[bool, str]:
        url = str(params["url"])
        if not url:
            return self._deleteWebhook(params)
        if self.require_https_webhook and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if allowed is not None and not (
            isinstance(allowed, list) and all(isinstance(a, str) for a in allowed)
        ):
            raise bad_request("can't parse allowed_updates JSON object")
        connections = params.get("max_connections", 40)
        if not 1 <= connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": connections,
            "allowed_updates": allowed,
            "drop_pending_updates": bool(params.get("drop_pending_updates")),
        }
        already = self.webhook.get("url") == url
        self.webhook = webhook
        return True, "Webhook is already set" if already else "Webhook was set"

    def _deleteWebhook(self, params: dict[str, Any]) -> tuple[bool, str]:
        had = bool(self.webhook.get("url"))
        self.webhook = {"url": ""}
        return True, "Webhook was deleted" if had else "Webhook is already deleted"

    def _getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }
        if self.webhook["url"]:
            info["max_connections"] = self.webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if self.webhook["allowed_updates"] is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        if self._last_error is not None:
            info["last_error_date"], info["last_error_message"] = self._last_error
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command"))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "")) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return list(self.commands.get(self._commands_key(params), []))

    # -- updates to the app ------------------------------------------------------------------

    def _user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def text_update(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> dict[str, Any]:
        """Build the update Telegram sends when a user writes `text` to the bot."""
        with self.lock:
            user = self._user(user_id, first_name, last_name, username, language_code)
            chat = self._chat_for_update(chat_id, user)
            message: dict[str, Any] = {
                "message_id": self._next_message_id(chat_id),
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                "text": text,
            }
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [
                    {"offset": 0, "length": _utf16_len(command), "type": "bot_command"}
                ]
            return {"update_id": next(self._update_ids), "message": message}

    def start_update(
        self, chat_id: int, user_id: int, payload: str | None = None, **user: Any
    ) -> dict[str, Any]:
        """Build the update for a deep link t.me/<bot>?start=<payload>: "/start <payload>"."""
        return self.text_update(
            chat_id, user_id, f"/start {payload}" if payload else "/start", **user
        )

    def callback_update(
        self,
        chat_id: int,
        user_id: int,
        data: str,
        message_id: int,
        first_name: str = "Test",
        *,
        language_code: str | None = "zh-hans",
    ) -> dict[str, Any]:
        """Build the update for a press on an inline button of the bot's message."""
        with self.lock:
            user = self._user(user_id, first_name, None, None, language_code)
            message = next(
                (m for m in self.chats.get(chat_id, []) if m["message_id"] == message_id), None
            )
            if message is None:  # a message the fake never sent: make a plausible one
                message = {
                    "message_id": message_id,
                    "from": self._bot_user(),
                    "chat": self._chat_for_update(chat_id, user),
                    "date": int(time.time()),
                    "text": "…",
                }
            query_id = str(next(self._query_ids))
            self._open_queries.add(query_id)
            return {
                "update_id": next(self._update_ids),
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": json.loads(json.dumps(message)),
                    "chat_instance": str(-(abs(hash((self.token, chat_id))) % 10**19)),
                    "data": data,
                },
            }

    def _chat_for_update(self, chat_id: int, user: dict[str, Any]) -> dict[str, Any]:
        if chat_id > 0:
            chat = {"id": chat_id, "first_name": user["first_name"], "type": "private"}
            if "username" in user:
                chat["username"] = user["username"]
            return chat
        return {
            "id": chat_id,
            "title": "Group",
            "type": "supergroup" if str(chat_id).startswith("-100") else "group",
        }

    def send_update(
        self, update: dict[str, Any], *, client: AppClient | None = None
    ) -> WebhookResponse | None:
        """POST an update to the registered webhook as Telegram does; return the app's answer.

        Returns None when the webhook's allowed_updates exclude this kind of update, since
        Telegram would never deliver it.
        """
        with self.lock:
            url, secret = self.webhook["url"], self.webhook.get("secret_token")
            allowed = self.webhook.get("allowed_updates")
        if not url:
            raise RuntimeError("no webhook is set: the app must call setWebhook first")
        kind = next(k for k in update if k != "update_id")
        if allowed and kind not in allowed:
            return None
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        response = post_to_app(url, body, headers, client=client or self.app_client)
        with self.changed:
            self.deliveries.append(
                {"update": update, "status": response.status, "response": response}
            )
            if response.status is None or not 200 <= response.status < 300:
                # Telegram shows the last failure in getWebhookInfo (and would retry).
                reason = (
                    f"Wrong response from the webhook: {response.status}"
                    if response.status
                    else f"Connection failed: {response.text}"
                )
                self._last_error = (int(time.time()), reason)
            self.changed.notify_all()
        return response

    def resend(
        self, update: dict[str, Any], *, client: AppClient | None = None
    ) -> WebhookResponse | None:
        """Deliver the same update again (same update_id), as Telegram does after a failure."""
        return self.send_update(update, client=client)
