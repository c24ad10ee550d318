"""Cards of links kept per process (pwa/link_cards.py): one rendering per language, URL prefix
and set of links shown, never another's."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from pwa import link_cards
from pwa.link_cards import link_card
from tests.support import sign_in

GRID_WORK = "head/_grid_work_links.html"


@pytest.fixture
def fresh(app: Flask) -> None:
    app.extensions[link_cards.EXTENSION].clear()


@pytest.mark.usefixtures("fresh")
def test_a_card_is_kept_per_language_prefix_and_links_shown(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        plain = link_card(GRID_WORK, mediation=False)
        assert link_card(GRID_WORK, mediation=False) is plain  # kept, not rendered again
        assert "任务" in plain and "矛盾调解" not in plain
        with_mediation = link_card(GRID_WORK, mediation=True)
        assert "矛盾调解" in with_mediation
        assert f'href="{url_for("mediation.case_list")}"' in with_mediation
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = link_card(GRID_WORK, mediation=False)
        assert "Work orders" in english and "任务" not in english
    with app.test_request_context("/", base_url="http://localhost/linli/"):
        orders = url_for("work_orders.order_list")
        assert orders.startswith("/linli/")
        assert f'href="{orders}"' in link_card(GRID_WORK, mediation=False)

    # A full cache starts over instead of growing.
    monkeypatch.setattr(link_cards, "LIMIT", 2)
    kept = app.extensions[link_cards.EXTENSION]
    assert len(kept) == 4
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert "Mediation" in link_card(GRID_WORK, mediation=True)
    assert len(kept) == 1


@pytest.mark.usefixtures("fresh")
def test_each_secretary_gets_the_links_of_their_own_community_in_their_language(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    first, second = make.community(name="幸福社区"), make.community(name="和平社区")
    secretaries = []
    for community in (first, second):
        make.grid(community)
        secretary = make.person()
        make.post(secretary, "secretary", community=community)
        secretaries.append(secretary)
    with app.test_request_context():
        settings = [
            url_for("administration.community_settings", code=c.code) for c in (first, second)
        ]

    sign_in(client, secretaries[0].phone)
    page = client.get("/area").get_data(as_text=True)
    assert "岗位与职责" in page and f"community={first.id}" in page
    assert settings[0] in page and settings[1] not in page  # the secretary's own settings
    client.set_cookie("linli_lang", "en")
    page = client.get("/area").get_data(as_text=True)
    assert "Posts and duties" in page and "岗位与职责" not in page

    client.delete_cookie("linli_lang")
    client.post("/sign-out")
    sign_in(client, secretaries[1].phone)
    page = client.get("/area").get_data(as_text=True)
    assert f"community={second.id}" in page and f"community={first.id}" not in page
    assert settings[1] in page and settings[0] not in page
