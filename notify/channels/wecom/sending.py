"""Sending to a grid's work group through its WeCom group robot (企业微信群机器人).

A delivery's address is the grid ("g12"); the robot's webhook address is read from the
database when the message goes, so a robot changed or removed after a message was queued is
honoured, and the secret never sits in the outbox. Each robot takes 20 messages a minute: a
window shared by every worker through Redis holds the 21st back (a transient failure naming
when a place frees, so the outbox defers it), and WeCom's own 45009 answer is deferred alike.
Messages are markdown, cut at a UTF-8 character boundary to fit WeCom's byte limits.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from sqlalchemy import select
from sqlalchemy.engine import Engine

from models import GridRobot, db
from notify.channels.base import Outgoing, PermanentFailure, Sent, TransientFailure
from notify.channels.wecom import status as wecom_status

log = logging.getLogger(__name__)

DEFAULT_WEBHOOK_BASE = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
# WeCom's limits: bytes of UTF-8 per message, messages per minute per robot.
TEXT_BYTES = 2048
MARKDOWN_BYTES = 4096
PER_MINUTE = 20
WINDOW_SECONDS = 60.0
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ELLIPSIS = "…"
# A robot's key as WeCom issues it: a UUID.
KEY_RE = re.compile(r"^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$", re.IGNORECASE)
ADDRESS_RE = re.compile(r"^g(\d+)$")


def address_of(grid_id: int) -> str:
    """Return the outbox address of a grid's work group."""
    return f"g{grid_id}"


def key_of(url: str, base: str = DEFAULT_WEBHOOK_BASE) -> str | None:
    """Return the robot's key when `url` is `<base>?key=<uuid>` and nothing else, else None."""
    prefix = base.rstrip("/") + "?key="
    if not url.startswith(prefix):
        return None
    key = url[len(prefix) :]
    return key if KEY_RE.match(key) else None


def fit(text: str, limit: int) -> str:
    """Return text within `limit` UTF-8 bytes, cut at a character boundary with "…" after."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    # errors="ignore" drops the partial character a byte cut leaves at the end.
    return data[:room].decode("utf-8", errors="ignore") + ELLIPSIS


@dataclass(frozen=True)
class Answer:
    """What WeCom answered: errcode 0 is success; None when no answer came."""

    errcode: int | None
    errmsg: str

    @property
    def ok(self) -> bool:
        return self.errcode == wecom_status.OK


# Take a place in a robot's window of the last `window` seconds; return 0 when taken, else
# the seconds until the oldest place frees.
_WINDOW = """
local key = KEYS[1]
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class RobotWindow:
    """At most `limit` sends per robot in any `window` seconds, for every worker together.

    Without Redis (down, or not configured) each process keeps the window alone: with several
    workers WeCom may then answer 45009, which is deferred the same way.
    """

    def __init__(self, redis: Redis | None, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.redis = redis
        self._script = redis.register_script(_WINDOW) if redis is not None else None
        self._lock = threading.Lock()
        self._local: dict[int, deque[float]] = {}

    def take(self, grid_id: int) -> float:
        """Take a place for one message to this grid's robot: 0, or the seconds to wait."""
        if self._script is not None:
            try:
                wait = float(
                    self._script(
                        keys=[f"linli:rate:wecom:{grid_id}"],
                        args=[self.window, self.limit, uuid.uuid4().hex],
                    )
                )
                return max(0.0, wait)
            except (RedisError, ValueError):
                log.warning("WeCom window: Redis failed; this process counts alone")
        with self._lock:
            now = time.monotonic()
            sent = self._local.setdefault(grid_id, deque())
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            if len(sent) < self.limit:
                sent.append(now)
                return 0.0
            return sent[0] + self.window - now


class WeComRobots:
    """The "wecom" channel: each grid's work group through its group robot."""

    name = "wecom"
    provider = "wecom"
    single_part_chars = MARKDOWN_BYTES
    multi_part_chars = MARKDOWN_BYTES

    def __init__(
        self,
        *,
        engine: Engine | None = None,
        redis: Redis | None = None,
        per_minute: int = PER_MINUTE,
        window_seconds: float = WINDOW_SECONDS,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        # Bound at construction (in an app context); send() runs in the sender threads.
        self.engine = engine
        self.window = RobotWindow(redis, per_minute, window_seconds)
        self.client = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
            headers={"User-Agent": "linli-wecom"},
            trust_env=False,
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WeComRobots:
        url = config.get("REDIS_URL")
        redis = (
            Redis.from_url(
                str(url),
                socket_timeout=1.0,
                socket_connect_timeout=1.0,
                retry=Retry(NoBackoff(), 0),
            )
            if url
            else None
        )
        return cls(
            engine=db.engine,
            redis=redis,
            per_minute=int(config.get("WECOM_MESSAGES_PER_MINUTE") or PER_MINUTE),
            window_seconds=float(config.get("WECOM_WINDOW_SECONDS") or WINDOW_SECONDS),
        )

    def close(self) -> None:
        self.client.close()
        if self.window.redis is not None:
            self.window.redis.close()

    def post(self, url: str, payload: Mapping[str, Any]) -> Answer:
        """POST one message to a robot's webhook address; return what WeCom answered."""
        try:
            response = self.client.post(url, json=dict(payload))
        except httpx.TimeoutException as error:
            return Answer(None, f"timed out ({type(error).__name__})")
        except httpx.TransportError as error:
            return Answer(None, f"no connection ({type(error).__name__})")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            code = response.status_code
            # A 5xx or 429 from WeCom's front end is passing; anything else is not WeCom.
            return Answer(-1 if code >= 500 or code == 429 else code, f"HTTP {code}")
        errcode = body.get("errcode")
        return Answer(
            int(errcode) if isinstance(errcode, int) else -1, str(body.get("errmsg") or "")
        )

    def send_text(self, url: str, text: str) -> Answer:
        """Send plain text (the settings page's test message)."""
        return self.post(url, {"msgtype": "text", "text": {"content": fit(text, TEXT_BYTES)}})

    def webhook_of(self, grid_id: int) -> str | None:
        engine = self.engine or db.engine
        with engine.connect() as conn:
            url = conn.execute(
                select(GridRobot.webhook_url).where(GridRobot.grid_id == grid_id)
            ).scalar_one_or_none()
        return str(url) if url else None

    def send(self, outgoing: Outgoing) -> Sent:
        """Send one markdown message to the grid's robot, within its rate and byte limits."""
        match = ADDRESS_RE.match(outgoing.address)
        if match is None:
            raise PermanentFailure("wecom_address", "not a grid's work group")
        grid_id = int(match.group(1))
        url = self.webhook_of(grid_id)
        if url is None:
            raise PermanentFailure(wecom_status.NO_ROBOT, "no robot")
        wait = self.window.take(grid_id)
        if wait > 0:
            raise TransientFailure(wecom_status.PACED, "20 a minute", retry_after=wait)
        content = fit(outgoing.text, MARKDOWN_BYTES)
        answer = self.post(url, {"msgtype": "markdown", "markdown": {"content": content}})
        if not answer.ok:
            raise wecom_status.failure(answer.errcode, answer.errmsg)
        return Sent(provider_id=f"wecom:{outgoing.delivery_id}", state="delivered")
