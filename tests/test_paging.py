"""Long lists a page at a time (pwa/paging.py): the households to visit and the needs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from models import db, utcnow
from pwa import paging
from services.needs import operations as needs
from tests.visits.test_visits import Place, build_place, sign_in_en

HX = {"HX-Request": "true"}


@pytest.fixture
def crowded(make: Any) -> Place:
    """The usual place, with 3号楼 holding 120 households in all (2 of them from build_place)."""
    place = build_place(make)
    for i in range(118):
        make.household(place.building, unit="7", floor=1 + i // 4, room=f"{1 + i // 4}{i % 4:02d}")
    db.session.commit()
    return place


def _codes(html: str) -> list[str]:
    return re.findall(r"<strong>(\d+-\d+-\d+)</strong>", html)


def test_the_households_list_comes_50_at_a_time(client: FlaskClient, crowded: Place) -> None:
    sign_in_en(client, crowded.head.phone)
    first = client.get("/visits").get_data(as_text=True)
    assert len(_codes(first)) == paging.PAGE_SIZE
    assert "(120)" in first  # the heading counts them all
    assert "More (50 of 120 shown)" in first
    assert 'hx-get="/visits?page=2"' in first

    # htmx asks for the next rows only: no page around them, and the next link.
    second = client.get("/visits?page=2", headers=HX).get_data(as_text=True)
    assert "<html" not in second and "<h2" not in second
    assert len(_codes(second)) == paging.PAGE_SIZE
    assert not set(_codes(second)) & set(_codes(first))
    assert "More (100 of 120 shown)" in second
    third = client.get("/visits?page=3", headers=HX).get_data(as_text=True)
    assert len(_codes(third)) == 20 and "More (" not in third
    everyone = _codes(first) + _codes(second) + _codes(third)
    assert len(set(everyone)) == 120

    # Without htmx the link is a page of its own.
    plain = client.get("/visits?page=2").get_data(as_text=True)
    assert "<html" in plain and _codes(plain) == _codes(second)


def test_the_filter_is_kept_from_page_to_page(client: FlaskClient, crowded: Place) -> None:
    sign_in_en(client, crowded.head.phone)
    # Rooms 1xx..9xx of unit 7 plus 2-501 and 2-601: "7-" matches unit 7 only (118).
    first = client.get("/visits?q=7-").get_data(as_text=True)
    assert len(_codes(first)) == paging.PAGE_SIZE
    assert 'href="/visits?q=7-&amp;page=2"' in first
    second = client.get("/visits?q=7-&page=2", headers=HX).get_data(as_text=True)
    assert all(code.split("-")[1] == "7" for code in _codes(second))


@pytest.mark.parametrize("page", ["0", "-3", "abc", "1.5", "", "%20", "99999999999999999999"])
def test_a_bad_page_number_is_the_first_page_or_says_so(
    client: FlaskClient, crowded: Place, page: str
) -> None:
    sign_in_en(client, crowded.head.phone)
    response = client.get(f"/visits?page={page}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if page == "99999999999999999999":
        assert _codes(html) == []
        assert "There is no page 10000 here: the list has 3." in html
        assert 'href="/visits">Back to the first page' in html
    else:
        assert len(_codes(html)) == paging.PAGE_SIZE


def test_past_the_last_page_says_so(client: FlaskClient, crowded: Place) -> None:
    sign_in_en(client, crowded.head.phone)
    html = client.get("/visits?page=7").get_data(as_text=True)
    assert _codes(html) == []
    assert "There is no page 7 here: the list has 3." in html
    assert "No households in your area." not in html


def test_the_needs_list_comes_50_at_a_time(client: FlaskClient, crowded: Place) -> None:
    for i in range(55):
        needs.raise_need(
            community_id=crowded.community.id,
            household=crowded.h501,
            source="visit",
            by=crowded.head,
            category="repairs",
            text=f"需求{i:02d}",
            resident_id=crowded.h501.residents[0].id,
            now=utcnow(),
        )
    db.session.commit()
    sign_in_en(client, crowded.secretary.phone)
    first = client.get("/needs?status=open").get_data(as_text=True)
    assert len(re.findall(r'id="need-\d+"', first)) == paging.PAGE_SIZE
    assert "More (50 of 55 shown)" in first
    assert 'hx-get="/needs?status=open&amp;page=2"' in first
    rest = client.get("/needs?status=open&page=2", headers=HX).get_data(as_text=True)
    assert len(re.findall(r'id="need-\d+"', rest)) == 5
    assert "<html" not in rest and "More (" not in rest
    shown = re.findall(r"需求\d\d", first + rest)
    assert len(set(shown)) == 55
    bad = client.get("/needs?status=open&page=x")
    assert bad.status_code == 200
    assert len(re.findall(r'id="need-\d+"', bad.get_data(as_text=True))) == 50


def test_the_posts_list_comes_50_at_a_time(client: FlaskClient, crowded: Place, make: Any) -> None:
    for i in range(55):
        make.post(make.person(name=f"志愿者{i:02d}"), "patroller", community=crowded.community)
    db.session.commit()
    sign_in_en(client, crowded.secretary.phone)
    url = f"/secretary/posts?community={crowded.community.id}"
    first = client.get(url).get_data(as_text=True)
    assert first.count("<tr>") == paging.PAGE_SIZE + 1  # and the heading's row
    assert 'hx-target="closest [data-more]"' in first and "<tr data-more>" in first
    rest = client.get(url + "&page=2", headers=HX).get_data(as_text=True)
    assert "<html" not in rest and "<thead" not in rest
    names = set(re.findall(r"志愿者\d\d", first + rest))
    assert len(names) == 55
    assert client.get(url + "&page=-1").status_code == 200
    beyond = client.get(url + "&page=9").get_data(as_text=True)
    assert "There is no page 9 here: the list has 2." in beyond
