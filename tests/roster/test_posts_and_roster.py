"""Assigning and ending posts, community-defined posts, editing residents, the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AuditEntry, Building, CustomRole, Person, Post, Resident, db
from tests.support import sign_in


@pytest.fixture
def setup(make: Any, client: FlaskClient) -> dict[str, Any]:
    c = make.community()
    grid = make.grid(c)
    building = make.building(grid)
    household = make.household(building)
    secretary = make.person()
    make.post(secretary, "secretary", community=c)
    sign_in(client, secretary.phone)
    return dict(c=c, grid=grid, building=building, household=household, secretary=secretary)


def _count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_assign_a_post_to_a_new_person(client: FlaskClient, setup: dict[str, Any]) -> None:
    response = client.post(
        "/secretary/posts/new",
        data={
            "phone": "139 1111 2222",
            "name": "王师傅",
            "role": "patroller",
            "grid_id": str(setup["grid"].id),
            "duties": "每晚21:00-22:00巡逻学校周边",
        },
    )
    assert response.status_code == 302
    person = db.session.scalar(select(Person).where(Person.phone == "+8613911112222"))
    post = db.session.scalar(select(Post).where(Post.person_id == person.id))
    assert post.role == "patroller" and post.grid_id == setup["grid"].id
    assert "巡逻" in post.duties
    assert "王师傅" in client.get(f"/c/{setup['c'].code}/board").get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.assign"))
    assert entry.actor_id == setup["secretary"].id


def test_default_duties_fill_an_empty_field(client: FlaskClient, setup: dict[str, Any]) -> None:
    client.post(
        "/secretary/posts/new",
        data={
            "phone": "13911112223",
            "name": "李",
            "role": "mediator",
            "grid_id": str(setup["grid"].id),
        },
    )
    post = db.session.scalar(select(Post).where(Post.role == "mediator"))
    assert post.duties


@pytest.mark.parametrize(
    "data",
    [
        {"phone": "123", "name": "x", "role": "patroller"},
        {"phone": "13911112224", "name": "", "role": "patroller"},
        {"phone": "13911112224", "name": "x", "role": "astronaut"},
        {"phone": "13911112224", "name": "x", "role": "grid_leader"},
        {"phone": "13911112224", "name": "x", "role": "building_head"},
        {"phone": "13911112224", "name": "x", "role": "patroller", "starts_on": "2025-13-45"},
        {"phone": "13911112224", "name": "x", "role": "patroller", "duties": "长" * 2001},
        {"phone": "13911112224", "name": "名" * 51, "role": "patroller"},
        {"phone": "13911112224", "name": "x", "role": "patroller", "grid_id": "999999"},
    ],
)
def test_bad_posts_are_refused_and_nothing_saved(
    client: FlaskClient, setup: dict[str, Any], data: dict[str, str]
) -> None:
    people, posts = _count(Person), _count(Post)
    response = client.post("/secretary/posts/new", data=data)
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    assert (_count(Person), _count(Post)) == (people, posts)


def test_secretary_with_a_grid_is_refused(client: FlaskClient, setup: dict[str, Any]) -> None:
    response = client.post(
        "/secretary/posts/new",
        data={
            "phone": "13911112225",
            "name": "x",
            "role": "secretary",
            "grid_id": str(setup["grid"].id),
        },
    )
    assert response.status_code == 422


def test_building_head_post_and_the_same_post_twice(
    client: FlaskClient, setup: dict[str, Any]
) -> None:
    data = {
        "phone": "13911112226",
        "name": "赵",
        "role": "building_head",
        "building_id": str(setup["building"].id),
    }
    assert client.post("/secretary/posts/new", data=data).status_code == 302
    post = db.session.scalar(select(Post).where(Post.role == "building_head"))
    assert post.grid_id == setup["grid"].id  # the grid is filled in from the building
    again = client.post("/secretary/posts/new", data=data)
    assert again.status_code == 422


def test_end_a_post(client: FlaskClient, setup: dict[str, Any], make: Any) -> None:
    person = make.person()
    post = make.post(person, "observer", community=setup["c"], grid=setup["grid"])
    ended = client.post(f"/secretary/posts/{post.id}/end", follow_redirects=True)
    assert ended.status_code == 200
    # The next page says what happened.
    assert "记录保留在历史中" in ended.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Post, post.id).ends_on is not None
    # Ending it twice is a clear refusal, on the page it was asked from.
    response = client.post(f"/secretary/posts/{post.id}/end")
    assert response.status_code == 422
    assert "这个岗位已经结束" in response.get_data(as_text=True)
    # The ended post leaves the board but stays in the records.
    board = client.get(f"/c/{setup['c'].code}/board").get_data(as_text=True)
    assert person.name not in board
    listing = client.get("/secretary/posts?ended=1").get_data(as_text=True)
    assert person.name in listing


def test_community_defines_its_own_post(client: FlaskClient, setup: dict[str, Any]) -> None:
    response = client.post(
        "/secretary/roles",
        data={"code": "elder_care", "name": "助老员", "duties": "每周探望独居老人"},
    )
    assert response.status_code == 302
    assert "已添加岗位“助老员”" in client.get("/secretary/roles").get_data(as_text=True)
    response = client.post(
        "/secretary/posts/new",
        data={
            "phone": "13911112227",
            "name": "孙",
            "role": "elder_care",
            "grid_id": str(setup["grid"].id),
        },
    )
    assert response.status_code == 302
    assert "孙 现任“助老员”" in client.get("/secretary/posts").get_data(as_text=True)
    post = db.session.scalar(select(Post).where(Post.role == "elder_care"))
    assert post.duties == "每周探望独居老人"
    assert "助老员" in client.get(f"/c/{setup['c'].code}/board").get_data(as_text=True)
    for bad in (
        {"code": "Elder Care", "name": "x"},
        {"code": "patroller", "name": "x"},
        {"code": "elder_care", "name": "again"},
        {"code": "ok_code", "name": ""},
    ):
        assert client.post("/secretary/roles", data=bad).status_code == 422
    assert _count(CustomRole) == 1


def test_edit_a_resident_is_audited(client: FlaskClient, setup: dict[str, Any], make: Any) -> None:
    resident = make.resident(setup["household"], name="刘奶奶", birth_year=1940)
    response = client.post(
        f"/residents/{resident.id}/edit",
        data={
            "name": "刘奶奶",
            "birth_year": "1941",
            "phone": "13922223333",
            "lives_alone": "1",
            "sms_consent": "1",
            "care_flags": "chronic_illness, 行动不便",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    resident = db.session.get(Resident, resident.id)
    assert resident.birth_year == 1941 and resident.phone == "+8613922223333"
    assert resident.lives_alone and not resident.has_smartphone
    assert resident.care_flags == ["chronic_illness", "行动不便"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "update"))
    assert "birth_year" in entry.detail and "phone" in entry.detail
    client.get(f"/residents/{resident.id}")
    views = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "view")).all()
    assert [(v.subject_type, v.subject_id) for v in views] == [("resident", resident.id)]
    audit_page = client.get("/secretary/audit").get_data(as_text=True)
    # In Chinese, as the page is read: the action and the changed fields by their labels.
    assert "修改" in audit_page and "出生年份" in audit_page and "birth_year" not in audit_page


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "birth_year": "1950"},
        {"name": "x", "birth_year": "19x0"},
        {"name": "x", "birth_year": "1850"},
        {"name": "x", "phone": "12345"},
        {"name": "名" * 51},
        {"name": "x", "lives_alone": "maybe"},
    ],
)
def test_bad_resident_edits_change_nothing(
    client: FlaskClient, setup: dict[str, Any], make: Any, data: dict[str, str]
) -> None:
    resident = make.resident(setup["household"], name="原名", birth_year=1950)
    response = client.post(f"/residents/{resident.id}/edit", data=data)
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(Resident, resident.id)
    assert (again.name, again.birth_year, again.phone) == ("原名", 1950, None)


def test_add_resident_and_duplicate_name(client: FlaskClient, setup: dict[str, Any]) -> None:
    url = f"/households/{setup['household'].id}/residents/new"
    assert client.post(url, data={"name": "周大爷", "birth_year": "1938"}).status_code == 302
    assert client.post(url, data={"name": "周大爷"}).status_code == 422
    assert _count(Resident) == 1


def test_add_building(client: FlaskClient, setup: dict[str, Any]) -> None:
    data = {"grid_id": str(setup["grid"].id), "compound": "锦绣花园", "name": "8号楼"}
    assert client.post("/secretary/buildings", data=data).status_code == 302
    assert client.post("/secretary/buildings", data=data).status_code == 422
    assert client.post("/secretary/buildings", data={**data, "grid_id": "0"}).status_code == 422
    assert client.post("/secretary/buildings", data={**data, "name": ""}).status_code == 422
    assert _count(Building) == 2


def test_room_search_narrows_the_building(
    client: FlaskClient, setup: dict[str, Any], make: Any
) -> None:
    make.household(setup["building"], room="501")
    make.household(setup["building"], room="1502")
    page = client.get(f"/buildings/{setup['building'].id}?q=15", headers={"HX-Request": "true"})
    body = page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]
    assert "1502" in body and "501<" not in body and "<html" not in body


def test_add_household_and_contact(client: FlaskClient, setup: dict[str, Any]) -> None:
    from models import Household

    url = f"/buildings/{setup['building'].id}/households/new"
    response = client.post(url, data={"unit": "2", "room": "1502"})
    assert response.status_code == 302
    household = db.session.scalar(select(Household).where(Household.room == "1502"))
    assert household.floor == 15 and household.unit == "2"
    assert client.post(url, data={"unit": "2", "room": "1502"}).status_code == 422
    assert client.post(url, data={"unit": "2", "room": ""}).status_code == 422
    assert client.post(url, data={"room": "301", "floor": "abc"}).status_code == 422
    assert client.post(url, data={"room": "301", "contact_phone": "555"}).status_code == 422
    contact = f"/households/{household.id}/contact"
    data = {"contact_name": "儿子 李明", "contact_phone": "13933334444"}
    assert client.post(contact, data=data).status_code == 302
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.contact_phone == "+8613933334444"
    bad = client.post(contact, data={"contact_name": "x", "contact_phone": "not a phone"})
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.get(Household, household.id).contact_phone == "+8613933334444"


def test_partner_units_and_in_service_members(client: FlaskClient, setup: dict[str, Any]) -> None:
    from models import PartnerUnit

    data = {
        "name": "区人民医院",
        "kind": "医院",
        "contact_name": "陈主任",
        "contact_phone": "13944445555",
    }
    assert client.post("/secretary/partners", data=data).status_code == 302
    assert client.post("/secretary/partners", data=data).status_code == 422
    assert client.post("/secretary/partners", data={"name": ""}).status_code == 422
    unit = db.session.scalar(select(PartnerUnit))
    response = client.post(
        "/secretary/partners",
        data={"unit_id": str(unit.id), "name": "吴医生", "phone": "13955556666"},
    )
    assert response.status_code == 302
    member = db.session.scalar(select(Person).where(Person.phone == "+8613955556666"))
    assert member.partner_unit_id == unit.id
    page = client.get("/secretary/partners").get_data(as_text=True)
    assert "吴医生" in page and "139****6666" in page
    bad = client.post("/secretary/partners", data={"unit_id": str(unit.id), "phone": "12"})
    assert bad.status_code == 422
    assert (
        client.post(
            "/secretary/partners", data={"unit_id": "99999", "phone": "13955556667", "name": "x"}
        ).status_code
        == 404
    )
