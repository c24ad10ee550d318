"""A fake of WeCom's group robot webhook (企业微信群机器人), for any number of robots.

Requests go to `<base_url>/cgi-bin/webhook/send?key=<key>` as to qyapi.weixin.qq.com. Like the
real one it answers HTTP 200 with `{"errcode": N, "errmsg": "..."}`: 0 ok, 93000 for a key it
does not know, 45009 when a robot has sent `per_minute` messages in the last
`window_seconds`, 47001 for a body that is not JSON, 40008 for a message type it does not
take, 44004 for empty content, 40058 for content over WeCom's UTF-8 byte limits (text 2,048,
markdown 4,096). Accepted messages are recorded in `messages`; refusals in `rejections`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from tests.fakes import FakeServer, Request, Response, wait_for_items

PATH = "/cgi-bin/webhook/send"
LIMITS = {"text": 2048, "markdown": 4096}


def answer(errcode: int, errmsg: str) -> Response:
    return Response.json(200, {"errcode": errcode, "errmsg": errmsg})


class FakeWeCom(FakeServer):
    """Group robots on 127.0.0.1; `new_robot()` makes one and returns its webhook address."""

    def __init__(self, *, per_minute: int = 20, window_seconds: float = 60.0) -> None:
        super().__init__()
        self.per_minute = per_minute
        self.window_seconds = window_seconds
        self.keys: set[str] = set()
        self.messages: list[dict[str, Any]] = []  # key, msgtype, content, mentioned_*
        self.rejections: list[dict[str, Any]] = []  # key, errcode, errmsg
        self._sent: dict[str, deque[float]] = {}

    @property
    def webhook_base(self) -> str:
        return f"{self.base_url}{PATH}"

    def url(self, key: str) -> str:
        return f"{self.webhook_base}?key={key}"

    def new_robot(self) -> str:
        """Add a robot; return its webhook address."""
        key = str(uuid.uuid4())
        with self.lock:
            self.keys.add(key)
        return self.url(key)

    def wait_for(
        self, count: int, timeout: float = 5.0, key: str | None = None
    ) -> list[dict[str, Any]]:
        """Wait until `count` messages were accepted (by one robot, if given); return them."""

        def items() -> list[dict[str, Any]]:
            return [m for m in self.messages if key is None or m["key"] == key]

        return wait_for_items(self, items, count, timeout, "robot messages")

    def of(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["key"] == key]

    def failure(self, request: Request, status: int) -> Response:
        # WeCom's front end answers a gateway failure with an HTML page, not JSON.
        return Response(status, b"<html><body>Bad Gateway</body></html>", "text/html")

    def _refuse(self, key: str, errcode: int, errmsg: str) -> Response:
        self.rejections.append({"key": key, "errcode": errcode, "errmsg": errmsg})
        return answer(errcode, errmsg)

    def handle(self, request: Request) -> Response:
        if request.path != PATH:
            return Response(404, b"not found", "text/plain")
        if request.method != "POST":
            return Response(405, b"method not allowed", "text/plain")
        key = (parse_qs(request.query).get("key") or [""])[0]
        if key not in self.keys:
            return self._refuse(key, 93000, "invalid webhook url, hint: [fake]")
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self._refuse(key, 47001, "data format error, hint: [fake]")
        if not isinstance(body, dict):
            return self._refuse(key, 47001, "data format error, hint: [fake]")
        msgtype = body.get("msgtype")
        if msgtype not in LIMITS:
            return self._refuse(key, 40008, "invalid message type, hint: [fake]")
        part = body.get(msgtype)
        content = part.get("content") if isinstance(part, dict) else None
        if not isinstance(content, str) or not content:
            return self._refuse(key, 44004, "empty content, hint: [fake]")
        size = len(content.encode("utf-8"))
        if size > LIMITS[msgtype]:
            return self._refuse(
                key,
                40058,
                f"{msgtype}.content exceed max length {LIMITS[msgtype]}. "
                f"invalid Request Parameter, hint: [fake]",
            )
        for field in ("mentioned_list", "mentioned_mobile_list"):
            value = part.get(field)
            if value is not None and (
                msgtype != "text"
                or not isinstance(value, list)
                or not all(isinstance(v, str) for v in value)
            ):
                return self._refuse(key, 40058, f"invalid {field}, hint: [fake]")
        now = time.monotonic()
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - self.window_seconds:
            sent.popleft()
        if len(sent) >= self.per_minute:
            return self._refuse(key, 45009, "api freq out of limit, hint: [fake]")
        sent.append(now)
        self.messages.append(
            {
                "key": key,
                "msgtype": msgtype,
                "content": content,
                "bytes": size,
                "mentioned_mobile_list": part.get("mentioned_mobile_list"),
            }
        )
        return answer(0, "ok")
