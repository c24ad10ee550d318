"""`flask --app pwa demo`: the demo community loads exactly, once, and every demo phone signs in."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import phonenumbers
from flask import Flask
from sqlalchemy import func, select

from models import (
    Building,
    Community,
    Grid,
    Household,
    PartnerUnit,
    Person,
    Post,
    Resident,
    clock,
    db,
)
from models.roles import N_MEMBER_ROLES, Role
from pwa.demo import DEMO_PHONES, demo_phones
from tests.support import load_demo, sign_in


def run_demo(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def table_counts() -> dict[str, int]:
    return {table.name: count(table) for table in db.metadata.sorted_tables}


def test_demo_loads_a_realistic_community_exactly_once(app: Flask) -> None:
    result = run_demo(app)
    assert "1200 households" in result.output
    for phone in DEMO_PHONES.values():
        assert phone in result.output

    with app.app_context():
        community = db.session.scalar(select(Community))
        assert community is not None
        assert (community.code, community.name, community.sms_signature) == (
            "xinfeng",
            "新丰路社区",
            "【新丰路社区】",
        )
        assert count(Community) == 1
        assert [g.name for g in community.grids] == [
            "第一网格",
            "第二网格",
            "第三网格",
            "第四网格",
            "第五网格",
        ]
        assert count(Building) == 30
        assert len(set(db.session.scalars(select(Building.compound)))) == 3
        assert count(Household) == 1200
        assert count(Resident) == 3000
        assert count(PartnerUnit) == 4  # three partner units and the property company

        # Every grid has buildings, every building households; rooms carry their floor.
        per_grid = Counter(db.session.scalars(select(Building.grid_id)))
        assert len(per_grid) == 5 and min(per_grid.values()) >= 5
        households = db.session.scalars(select(Household)).all()
        assert len({h.building_id for h in households}) == 30
        for h in households:
            assert h.unit in {"1", "2", "3"}
            assert h.floor is not None and h.room == f"{h.floor}{h.room[-2:]}"

        residents = db.session.scalars(select(Resident)).all()
        year = clock.today().year
        aged_70 = sum(1 for r in residents if r.birth_year and year - r.birth_year >= 70)
        assert 0.22 <= aged_70 / 3000 <= 0.28
        no_phone = [r for r in residents if r.phone is None]
        assert 0.07 <= len(no_phone) / 3000 <= 0.13
        assert all(not r.has_smartphone for r in no_phone)
        no_smartphone = sum(1 for r in residents if not r.has_smartphone)
        assert 0.15 <= no_smartphone / 3000 <= 0.25
        assert any(r.lives_alone for r in residents)
        assert all(year - (r.birth_year or year) >= 60 for r in residents if r.lives_alone)
        assert any("chronic_illness" in r.care_flags for r in residents)
        assert any("disabled" in r.care_flags for r in residents)
        assert sum(r.sms_consent for r in residents) > 0.7 * 3000
        assert all(1 <= len(r.name) <= 4 and "\u4e00" <= r.name[0] <= "\u9fff" for r in residents)

        # A household nobody in it can be phoned has a contact (a son or daughter) to call.
        by_household: dict[int, list[Resident]] = {}
        for r in residents:
            by_household.setdefault(r.household_id, []).append(r)
        unreachable = [h for h in households if all(r.phone is None for r in by_household[h.id])]
        assert unreachable
        assert all(h.contact_phone and h.contact_name for h in unreachable)

        # Phones: valid mainland mobiles; one number per human being across the whole demo.
        people = db.session.scalars(select(Person)).all()
        resident_phones = [r.phone for r in residents if r.phone]
        contact_phones = [h.contact_phone for h in households if h.contact_phone]
        assert len(set(resident_phones)) == len(resident_phones)
        linked = {r.person_id: r.phone for r in residents if r.person_id is not None}
        for person in people:
            assert person.id not in linked or linked[person.id] == person.phone
        humans = resident_phones + contact_phones + [p.phone for p in people if p.id not in linked]
        assert len(set(humans)) == len(humans)
        for phone in humans:
            number = phonenumbers.parse(phone)
            assert phone.startswith("+861") and len(phone) == 14
            assert phonenumbers.is_valid_number(number), phone
            assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE

        # Posts: the two heads, the N members, the partner units' in-service members.
        posts = db.session.scalars(select(Post)).all()
        roles = Counter(p.role for p in posts)
        assert roles[Role.SECRETARY] == 1 and roles[Role.STAFF] == 2
        assert roles[Role.GRID_LEADER] == 5
        assert len({p.grid_id for p in posts if p.role == Role.GRID_LEADER}) == 5
        heads = [p for p in posts if p.role == Role.BUILDING_HEAD]
        assert len({p.building_id for p in heads}) == len(heads) == 30
        for head in heads:
            lives_there = db.session.scalar(
                select(Resident.id)
                .join(Household)
                .where(
                    Resident.person_id == head.person_id, Household.building_id == head.building_id
                )
            )
            assert lives_there is not None
            assert head.building is not None and head.grid_id == head.building.grid_id
        n_posts = [p for p in posts if Role(p.role) in N_MEMBER_ROLES]
        assert len(n_posts) == 60
        assert {p.role for p in n_posts} == {r.value for r in N_MEMBER_ROLES}
        assert all(p.grid_id is not None and p.building_id is None for p in n_posts)
        assert len({p.grid_id for p in n_posts}) == 5
        in_service = [p for p in n_posts if p.person.partner_unit_id is not None]
        assert len({p.person.partner_unit_id for p in in_service}) == 3
        assert len(in_service) >= 6
        assert all(p.starts_on == date(year, 1, 1) and p.ends_on is None for p in posts)
        assert all(p.duties for p in posts if p.role not in (Role.SECRETARY, Role.STAFF))
        assert len({p.person_id for p in posts}) == len(posts)

        before = table_counts()

    again = run_demo(app)
    assert "already loaded" in again.output
    empty_only = run_demo(app, "--if-empty")
    assert "already loaded" in empty_only.output
    with app.app_context():
        assert table_counts() == before


def test_each_demo_phone_signs_in_and_lands_on_its_home(app: Flask) -> None:
    load_demo(app)
    expected = {
        "secretary": "/area",
        "staff": "/area",
        "grid leader (grid 1)": "/area",
        "building head": "/area",
        "N member": "/my/work",
        "resident": "/me",
    }
    assert demo_phones() == DEMO_PHONES and set(DEMO_PHONES) == set(expected)
    with app.app_context():
        # sign_in reads the code from the development inbox, through this context's session.
        for label, phone in DEMO_PHONES.items():
            assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
            client = app.test_client()
            sign_in(client, phone)
            response = client.get("/home")
            assert response.status_code == 302, label
            assert response.headers["Location"] == expected[label], label
            assert client.get(expected[label]).status_code == 200, label
        db.session.remove()

    with app.app_context():
        grid_one = db.session.scalar(select(Grid).where(Grid.number == 1))
        assert grid_one is not None

        def post_of(label: str) -> Post:
            person = db.session.scalar(select(Person).where(Person.phone == DEMO_PHONES[label]))
            assert person is not None
            assert len(person.posts) == 1
            return person.posts[0]

        assert post_of("grid leader (grid 1)").grid_id == grid_one.id
        assert post_of("building head").building is not None
        assert post_of("N member").grid_id == grid_one.id
        # The resident has a household in grid 1 and no post.
        resident = db.session.scalar(
            select(Resident).where(Resident.phone == DEMO_PHONES["resident"])
        )
        assert resident is not None and resident.household.building.grid_id == grid_one.id
        assert resident.person is not None and resident.person.posts == []


def test_if_empty_leaves_a_database_with_any_community_alone(app: Flask) -> None:
    with app.app_context():
        db.session.add(Community(code="other", name="别的社区"))
        db.session.commit()
    result = run_demo(app, "--if-empty")
    assert "not loaded" in result.output
    with app.app_context():
        assert count(Community) == 1 and count(Household) == 0 and count(Person) == 0
