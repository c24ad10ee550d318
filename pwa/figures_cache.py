"""Figures kept for a moment and never stale: a data version that every change moves.

The heads' and secretaries' pages count households, residents, visits, needs and posts over
their whole area on every request: under a crowd those counts were most of each page's time,
though they change only when someone records something. Here a page keeps what it counted,
in its own process, under the data version it was counted at. The version is one Redis
counter: a commit that added, changed or removed a row of any table the figures read moves it
(web and worker processes alike: both build the app through `create_app`), so the next page
counts again. Only the tables that change with every request or message (sessions, the audit
trail, deliveries, inbound texts, ...) leave it alone.

When Redis cannot be asked, nothing is kept or served: figures are counted as before. If a
commit's move of the version fails while Redis is reachable again a moment later, the figures
kept before it are served for at most `KEEP_SECONDS`; this process itself stops trusting what
it kept at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, g, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from pwa.redis_conn import web_redis

T = TypeVar("T")

VERSION_KEY = "linli:data-version"
KEEP_SECONDS = 30.0
KEEP_LIMIT = 2_000

# Tables written by reading, signing in and sending: none of the kept figures counts them.
UNWATCHED_TABLES = frozenset(
    {
        "audit_entry",
        "daily_sends",
        "delivery",
        "dev_inbox_message",
        "inbound_message",
        "inbox_item",
        "sign_in_code",
        "sms_provider_hold",
        "telegram_update",
        "user_session",
        "broadcast_recipient",
        "visit_reminder",
        "work_order_reminder",
    }
)
_CHANGED = "linli_figures_changed"


class Kept:
    """What this process counted, by name and key, with the version it was counted at."""

    def __init__(self, limit: int = KEEP_LIMIT) -> None:
        self._items: OrderedDict[Hashable, tuple[int, float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit
        self.distrust_until = 0.0  # a change this process made may not have moved the version

    def get(self, key: Hashable, version: int, now: float) -> tuple[bool, Any]:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != version or item[1] < now or now < self.distrust_until:
                return False, None
            self._items.move_to_end(key)
            return True, item[2]

    def put(self, key: Hashable, version: int, now: float, value: Any) -> None:
        with self._lock:
            self._items[key] = (version, now + KEEP_SECONDS, value)
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.distrust_until = 0.0


KEPT = Kept()


def _new_epoch() -> int:
    # A counter that starts again at 1 after Redis lost it (a restart without persistence, a
    # flush) would meet versions kept before: it starts at a random point instead.
    return secrets.randbits(62)


def data_version() -> int | None:
    """The version figures are counted at, asked once a request; None: Redis did not answer."""
    if "linli_data_version" in g:
        found: int | None = g.linli_data_version
        return found
    version: int | None
    try:
        redis = web_redis()
        raw = redis.get(VERSION_KEY)
        if raw is None:
            redis.set(VERSION_KEY, _new_epoch(), nx=True)
            raw = redis.get(VERSION_KEY)
        version = int(raw) if raw is not None else None
    except (RedisError, ValueError):
        version = None
    g.linli_data_version = version
    return version


def kept(name: str, key: Hashable, count: Callable[[], T]) -> T:
    """Return `count()`, or what it returned at the current data version a moment ago.

    What `count` returns is shared by the requests of this process: plain values, never rows
    bound to a database session, and never changed by whoever reads them.
    """
    version = data_version()
    if version is None:
        return count()
    now = time.monotonic()
    found, value = KEPT.get((name, key), version, now)
    if found:
        return value
    value = count()
    KEPT.put((name, key), version, now, value)
    return value


def _note_changes(session: Session, _flush: UOWTransaction) -> None:
    if session.info.get(_CHANGED):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table is not None and table not in UNWATCHED_TABLES:
            session.info[_CHANGED] = True
            return


def _note_statement(state: ORMExecuteState) -> None:
    # Updates and deletes by statement change rows the session never holds as objects.
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in UNWATCHED_TABLES:
        state.session.info[_CHANGED] = True


def _move_version(session: Session) -> None:
    if not session.info.pop(_CHANGED, False) or not has_app_context():
        return
    try:
        pipe = web_redis().pipeline(transaction=False)
        pipe.set(VERSION_KEY, _new_epoch(), nx=True)
        pipe.incr(VERSION_KEY)
        pipe.execute()
    except RedisError:
        # Nobody may have heard of this change: this process keeps nothing it counted
        # before for as long as anything kept may live.
        KEPT.distrust_until = time.monotonic() + KEEP_SECONDS
    if "linli_data_version" in g:
        del g.linli_data_version  # this request's own later pages count again


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_flush", _note_changes):
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_commit", _move_version)
