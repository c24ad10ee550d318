"""Everyone sees only their area: each role against each kind of record answers 200 or 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import sign_in


@dataclass
class World:
    ids: dict[str, int]
    phones: dict[str, str]


@pytest.fixture
def world(make: Any) -> World:
    a = make.community(code="a")
    b = make.community(code="b")
    grid_a1, grid_a2, grid_b1 = make.grid(a), make.grid(a), make.grid(b)
    bld_a1a, bld_a1b = make.building(grid_a1), make.building(grid_a1)
    bld_a2a, bld_b1a = make.building(grid_a2), make.building(grid_b1)
    records: dict[str, Any] = {}
    for key, building in [("a1a", bld_a1a), ("a1b", bld_a1b), ("a2a", bld_a2a), ("b1a", bld_b1a)]:
        household = make.household(building)
        records[f"household_{key}"] = household
        records[f"resident_{key}"] = make.resident(household, phone=make.phone())
    people = {
        "secretary_a": ("secretary", dict(community=a)),
        "staff_a": ("staff", dict(community=a)),
        "grid_leader_a1": ("grid_leader", dict(community=a, grid=grid_a1)),
        "building_head_a1a": ("building_head", dict(community=a, building=bld_a1a)),
        "patroller_a1": ("patroller", dict(community=a, grid=grid_a1)),
        "secretary_b": ("secretary", dict(community=b)),
    }
    phones = {}
    posts = {}
    for name, (role, scope) in people.items():
        person = make.person()
        posts[name] = make.post(person, role, **scope)
        phones[name] = person.phone
    phones["resident_a1a"] = records["resident_a1a"].phone
    ids = {
        "community_a": a.id,
        "community_b": b.id,
        "grid_a1": grid_a1.id,
        "grid_a2": grid_a2.id,
        "grid_b1": grid_b1.id,
        "building_a1a": bld_a1a.id,
        "building_a1b": bld_a1b.id,
        "building_a2a": bld_a2a.id,
        "building_b1a": bld_b1a.id,
        "post_a": posts["patroller_a1"].id,
        "post_b": posts["secretary_b"].id,
        **{k: v.id for k, v in records.items()},
    }
    return World(ids=ids, phones=phones)


# What each role may see, by record key; everything else must answer 404.
VISIBLE = {
    "secretary_a": {
        "grid_a1",
        "grid_a2",
        "building_a1a",
        "building_a1b",
        "building_a2a",
        "a1a",
        "a1b",
        "a2a",
        "post_a",
    },
    "staff_a": {
        "grid_a1",
        "grid_a2",
        "building_a1a",
        "building_a1b",
        "building_a2a",
        "a1a",
        "a1b",
        "a2a",
        "post_a",
    },
    "grid_leader_a1": {"grid_a1", "building_a1a", "building_a1b", "a1a", "a1b"},
    "building_head_a1a": {"building_a1a", "a1a"},
    "patroller_a1": set(),
    "resident_a1a": set(),
    "secretary_b": {"grid_b1", "building_b1a", "b1a", "post_b"},
}

RECORD_URLS = [
    ("building_a1a", "/buildings/{building_a1a}/households/new"),
    ("building_b1a", "/buildings/{building_b1a}/households/new"),
    ("grid_a1", "/grids/{grid_a1}"),
    ("grid_a2", "/grids/{grid_a2}"),
    ("grid_b1", "/grids/{grid_b1}"),
    ("building_a1a", "/buildings/{building_a1a}"),
    ("building_a1b", "/buildings/{building_a1b}"),
    ("building_a2a", "/buildings/{building_a2a}"),
    ("building_b1a", "/buildings/{building_b1a}"),
]
for key in ("a1a", "a1b", "a2a", "b1a"):
    RECORD_URLS += [
        (key, f"/households/{{household_{key}}}"),
        (key, f"/households/{{household_{key}}}/residents/new"),
        (key, f"/households/{{household_{key}}}/contact"),
        (key, f"/residents/{{resident_{key}}}"),
        (key, f"/residents/{{resident_{key}}}/edit"),
    ]


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_each_role_sees_only_its_area(
    role: str, world: World, client: FlaskClient, app: Flask
) -> None:
    sign_in(client, world.phones[role])
    for key, pattern in RECORD_URLS:
        url = pattern.format(**world.ids)
        expected = 200 if key in VISIBLE[role] else 404
        assert client.get(url).status_code == expected, (role, url)
    # Ids that do not exist answer the same as ids outside the area.
    assert client.get("/residents/999999").status_code == 404
    assert client.get("/households/999999").status_code == 404


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_posts_and_staff_pages_are_the_community_staffs(
    role: str, world: World, client: FlaskClient
) -> None:
    sign_in(client, world.phones[role])
    staff = role in ("secretary_a", "staff_a", "secretary_b")
    for url in (
        "/secretary/posts",
        "/secretary/audit",
        "/secretary/roles",
        "/secretary/partners",
        "/secretary/buildings",
        "/secretary/posts/new",
    ):
        assert client.get(url).status_code == (200 if staff else 404), (role, url)
    # Ending a post elsewhere is refused and changes nothing.
    for key in ("post_a", "post_b"):
        response = client.post(f"/secretary/posts/{world.ids[key]}/end")
        expected = 302 if key in VISIBLE[role] else 404
        assert response.status_code == expected, (role, key)
    # Asking for another community's pages by id is answered 404.
    if staff:
        other = world.ids["community_a" if role == "secretary_b" else "community_b"]
        assert client.get(f"/secretary/posts?community={other}").status_code == 404


def test_editing_outside_the_area_changes_nothing(
    world: World, client: FlaskClient, app: Flask
) -> None:
    from models import Resident, db

    sign_in(client, world.phones["building_head_a1a"])
    rid = world.ids["resident_a1b"]
    response = client.post(f"/residents/{rid}/edit", data={"name": "改名"})
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(Resident, rid).name != "改名"


def test_resident_sees_own_household_only(world: World, client: FlaskClient, app: Flask) -> None:
    from models import Resident, db

    sign_in(client, world.phones["resident_a1a"])
    page = client.get("/me").get_data(as_text=True)
    mine = db.session.get(Resident, world.ids["resident_a1a"])
    other = db.session.get(Resident, world.ids["resident_a1b"])
    assert mine.name in page
    assert other.name not in page
    assert client.get("/area").status_code == 404
    assert client.get("/home").headers["Location"].endswith("/me")


def test_area_home_shows_the_whole_community_to_the_secretary(
    world: World, client: FlaskClient
) -> None:
    sign_in(client, world.phones["secretary_a"])
    page = client.get("/area").get_data(as_text=True)
    assert "/grids/{}".format(world.ids["grid_a1"]) in page
    assert "/grids/{}".format(world.ids["grid_a2"]) in page
    assert "/grids/{}".format(world.ids["grid_b1"]) not in page
