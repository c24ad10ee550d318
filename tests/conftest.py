"""Fixtures: a real redis-server, a real database (SQLite, or PostgreSQL in CI), factories."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text

from tests.support import RedisServer, env_database_url


@pytest.fixture(autouse=True, scope="session")
def no_outside_network() -> Iterator[None]:
    """Fail any connection that leaves this machine: tests never reach the network."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                ip = ipaddress.ip_address(host)
            except ValueError:
                ip = None
            if host != "localhost" and (ip is None or not ip.is_loopback):
                raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign]
    yield
    socket.socket.connect = real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return env_database_url() or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(
    database_url: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Flask:
    import os

    os.environ["DATABASE_URL"] = database_url
    from pwa import create_app

    app = create_app(
        {
            "TESTING": True,
            "LINLI_ENV": "development",
            "SECRET_KEY": "test-secret",
            "REDIS_URL": redis_server.url,
            "RATELIMIT_STORAGE_URI": redis_server.url,
            "SIGN_IN_IP_LIMIT": "10000/hour",
            # CSRF is on in every real configuration; tests of it switch it back on.
            "WTF_CSRF_ENABLED": False,
            "AUDIT_SPOOL": str(tmp_path_factory.mktemp("audit") / "audit-spool.jsonl"),
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        from models import db

        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    return app


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table and the Redis database after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    with app.app_context():
        from models import db

        db.session.remove()
        # Only the migrated tables: a model whose migration is still being written must not
        # break every other test. (Asked outside the deleting transaction: on SQLite a read
        # first would make its write fail at once, not wait, if a background writer is busy.)
        existing = set(inspect(db.engine).get_table_names())
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table.name in existing:
                    conn.execute(table.delete())
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    from models import db
    from models.base import writing

    # Test code reads and then writes; on SQLite its transactions must begin IMMEDIATE, as a
    # request that writes does, or a background writer (the enqueuer) makes it fail.
    with app.test_request_context(), writing():
        yield
        db.session.remove()


class Factory:
    """Small builders for test data; each returns a committed row."""

    def __init__(self) -> None:
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def _save(self, obj: Any) -> Any:
        from models import db

        db.session.add(obj)
        db.session.commit()
        return obj

    def phone(self) -> str:
        return f"+86139{self._next():08d}"

    def community(self, **kw: Any) -> Any:
        from models import Community

        n = self._next()
        kw.setdefault("code", f"c{n}")
        kw.setdefault("name", f"社区{n}")
        kw.setdefault("sms_signature", "【邻里】")
        return self._save(Community(**kw))

    def grid(self, community: Any, **kw: Any) -> Any:
        from models import Grid

        n = self._next()
        kw.setdefault("number", n)
        kw.setdefault("name", f"第{n}网格")
        return self._save(Grid(community_id=community.id, **kw))

    def building(self, grid: Any, **kw: Any) -> Any:
        from models import Building

        kw.setdefault("compound", "幸福小区")
        kw.setdefault("name", f"{self._next()}号楼")
        return self._save(Building(community_id=grid.community_id, grid_id=grid.id, **kw))

    def household(self, building: Any, **kw: Any) -> Any:
        from models import Household, db
        from services.tallies import operations as tallies

        kw.setdefault("unit", "1")
        kw.setdefault("room", f"{self._next() + 100}")
        household = self._save(Household(building_id=building.id, **kw))
        # Counted in its building's tally, as the roster's add_household does.
        tallies.household_added(household)
        db.session.commit()
        return household

    def resident(self, household: Any, **kw: Any) -> Any:
        from models import Resident

        kw.setdefault("name", f"居民{self._next()}")
        kw.setdefault("birth_year", 1950)
        kw.setdefault("care_flags", [])
        return self._save(Resident(household_id=household.id, **kw))

    def person(self, **kw: Any) -> Any:
        from models import Person

        kw.setdefault("name", f"人员{self._next()}")
        kw.setdefault("phone", self.phone())
        return self._save(Person(**kw))

    def post(
        self,
        person: Any,
        role: str,
        *,
        community: Any,
        grid: Any = None,
        building: Any = None,
        **kw: Any,
    ) -> Any:
        from models import Post

        kw.setdefault("starts_on", date(2020, 1, 1))
        kw.setdefault("duties", "")
        return self._save(
            Post(
                person_id=person.id,
                role=role,
                community_id=community.id,
                grid_id=grid.id if grid else (building.grid_id if building else None),
                building_id=building.id if building else None,
                **kw,
            )
        )


@pytest.fixture
def make(ctx: None) -> Factory:
    return Factory()


@pytest.fixture
def english(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages and messages in English for the whole test, whichever client or context asks.

    For tests that read messages in English (`pytestmark = pytest.mark.usefixtures("english")`);
    the app's default is Chinese.
    """
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")
