"""Figures kept between pages (pwa/figures_cache.py) are never stale: every change is counted."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from models import Household, db
from pwa import figures_cache
from pwa.redis_conn import BREAKER
from services.audit import record
from tests.support import sign_in


def _tile(page: str, label: str) -> int:
    match = re.search(r'<span class="tile-n">(\d+)</span><span class="tile-l">' + label, page)
    assert match, page
    return int(match.group(1))


def _area(client: FlaskClient) -> dict[str, int]:
    page = client.get("/area").get_data(as_text=True)
    return {"households": _tile(page, "户<"), "residents": _tile(page, "位居民")}


def _place(make: Any) -> dict[str, Any]:
    community = make.community()
    grid = make.grid(community)
    building = make.building(grid)
    secretary = make.person(name="王书记")
    make.post(secretary, "secretary", community=community)
    household = make.household(building)
    make.resident(household)
    return {"c": community, "building": building, "secretary": secretary, "household": household}


def test_every_kind_of_change_is_counted_at_the_next_page(
    client: FlaskClient, make: Any, redis_server: Any
) -> None:
    place = _place(make)
    sign_in(client, place["secretary"].phone)
    assert _area(client) == {"households": 1, "residents": 1}
    kept_before = len(figures_cache.KEPT._items)
    assert kept_before > 0  # the figures are kept ...
    assert _area(client) == {"households": 1, "residents": 1}  # ... and served again

    # A row added through the session.
    second = make.household(place["building"])
    make.resident(second)
    make.resident(second)
    assert _area(client) == {"households": 2, "residents": 3}

    # A row changed by a statement, which the session never holds as an object.
    db.session.execute(
        update(Household).where(Household.id == second.id).values(moved_out_on=date(2021, 1, 1))
    )
    db.session.commit()
    assert _area(client) == {"households": 1, "residents": 1}


def test_reads_and_sign_ins_do_not_move_the_version(
    client: FlaskClient, make: Any, app: Flask
) -> None:
    place = _place(make)
    sign_in(client, place["secretary"].phone)
    _area(client)
    version = figures_cache.data_version()
    # Pages write the audit trail and the session's "last seen": tables no figure counts.
    for _ in range(3):
        _area(client)
    record(
        actor=place["secretary"],
        community_id=place["c"].id,
        action="read",
        subject_type="household",
        subject_id=place["household"].id,
    )
    db.session.commit()
    with app.test_request_context():
        assert figures_cache.data_version() == version


def test_a_lost_counter_never_meets_a_kept_version(
    client: FlaskClient, make: Any, app: Flask, redis_server: Any
) -> None:
    place = _place(make)
    sign_in(client, place["secretary"].phone)
    assert _area(client)["households"] == 1
    # Redis loses everything (a restart without persistence), and a change comes after.
    redis.Redis.from_url(redis_server.url).flushdb()
    make.household(place["building"])
    with app.test_request_context():
        assert figures_cache.data_version() not in (None, 0, 1)
    assert _area(client)["households"] == 2


def test_without_redis_figures_are_counted_every_time(
    client: FlaskClient, make: Any, app: Flask, monkeypatch: Any
) -> None:
    place = _place(make)
    sign_in(client, place["secretary"].phone)
    assert _area(client)["households"] == 1
    # Redis stops answering (nothing listens on port 9): nothing kept is served.
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:9/0")
    monkeypatch.delitem(app.extensions, "linli_redis", raising=False)
    try:
        make.household(place["building"])  # its change cannot be told to anyone
        assert _area(client)["households"] == 2
        make.household(place["building"])
        assert _area(client)["households"] == 3
    finally:
        app.extensions.pop("linli_redis", None)
        BREAKER.reset()
        figures_cache.KEPT.clear()
