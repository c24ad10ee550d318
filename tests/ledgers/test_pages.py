"""The ledger page, its .xlsx and its A4 page: who opens which ledger, what each shows, and
what bad input is told."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditEntry, HouseholdMonth, Need, Street, Visit, Wish, db
from models.clock import at, today
from services.administration import operations as administration
from services.ledgers import periods
from services.ledgers.categories import CATEGORIES
from tests.support import sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class World:
    people: dict[str, Any]
    ids: dict[str, int]
    period: str  # last month, as the picker names it


def _moment(day: date, hour: int = 10) -> datetime:
    return at(day, time(hour))


@pytest.fixture
def world(make: Any) -> World:
    c = make.community(name="新丰路社区")
    other = make.community(name="东岳社区")
    g1 = make.grid(c, name="第一网格")
    g2 = make.grid(c, name="第二网格")
    b1 = make.building(g1, compound="幸福家园", name="1号楼")
    b2 = make.building(g2, compound="幸福家园", name="9号楼")
    h1 = make.household(b1, unit="2", room="501")
    h2 = make.household(b2, unit="1", room="302")
    r1 = make.resident(h1, name="王奶奶")
    r2 = make.resident(h2, name="李爷爷")
    people: dict[str, Any] = {}
    for role, grid, building in (
        ("secretary", None, None),
        ("staff", None, None),
        ("grid_leader", g1, None),
        ("building_head", None, b1),
        ("patroller", g1, None),
    ):
        person = make.person(name={"secretary": "程敏", "grid_leader": "刘网格"}.get(role, role))
        make.post(person, role, community=c, grid=grid, building=building)
        people[role] = person
    people["other_secretary"] = make.person(name="别的书记")
    make.post(people["other_secretary"], "secretary", community=other)
    people["resident"] = make.person(name="王奶奶")
    street = Street(name="城关街道", code="chengguan")
    db.session.add(street)
    db.session.flush()
    c.street_id = street.id
    people["street_admin"] = make.person(name="街道管理员")
    administration.grant(people["street_admin"], street=street, by=None, today=today())

    last_month = periods.of("month", today()).previous()
    day = last_month.first + timedelta(days=9)
    ids: dict[str, int] = {"community": c.id, "other": other.id, "g1": g1.id, "g2": g2.id}
    for name, household, visitor in (
        ("v1", h1, people["building_head"]),
        ("v2", h2, people["staff"]),
    ):
        visit = Visit(
            key=f"k-{name}",
            household_id=household.id,
            building_id=household.building_id,
            community_id=c.id,
            visitor_id=visitor.id,
            visited_on=day,
            met="本人",
            note="血压偏高，提醒按时吃药" if name == "v1" else "一切都好",
        )
        db.session.add(visit)
        db.session.add(
            HouseholdMonth(
                household_id=household.id,
                month=last_month.first,
                community_id=c.id,
                grid_id=household.building.grid_id,
                building_id=household.building_id,
                last_visited_on=day,
            )
        )
        db.session.flush()
        ids[name] = visit.id
    for name, resident, grid, building, text in (
        ("n1", r1, g1, b1, "厨房水管漏水"),
        ("n2", r2, g2, b2, "楼下路灯不亮"),
    ):
        need = Need(
            community_id=c.id,
            grid_id=grid.id,
            building_id=building.id,
            household_id=resident.household_id,
            resident_id=resident.id,
            source="visit",
            raised_by_id=people["building_head"].id,
            category="repairs",
            text=text,
            created_at=_moment(day),
        )
        db.session.add(need)
        db.session.flush()
        ids[name] = need.id
    wish = Wish(
        community_id=c.id,
        grid_id=g1.id,
        building_id=b1.id,
        resident_id=r1.id,
        category="errand",
        text="帮忙买米送上楼",
        status="confirmed",
        via="sms",
        posted_at=_moment(day, 9),
        waiting_since=_moment(day, 9),
        claimer_id=people["patroller"].id,
        claimed_at=_moment(day, 11),
        fulfilled_at=_moment(day, 15),
        rating=5,
    )
    db.session.add(wish)
    db.session.commit()
    ids["w1"] = wish.id
    return World(people, ids, last_month.code)


def refs(page: str) -> set[str]:
    """The records a ledger page lists (each row's heading cell), not any text that looks so."""
    return set(re.findall(r'<th scope="row">([A-Z]\d+)</th>', page))


def _get(client: FlaskClient, world: World, who: str, path: str) -> Any:
    sign_in(client, world.people[who].phone)
    return client.get(path)


def test_the_secretary_exports_every_category_a_row_per_record(
    client: FlaskClient, world: World
) -> None:
    response = _get(client, world, "secretary", f"/ledgers/ledger.xlsx?period={world.period}")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert book.sheetnames[0] == "汇总"
    assert len(book.sheetnames) == 1 + len(CATEGORIES)
    assert "走访台账" in book.sheetnames and "微心愿台账" in book.sheetnames
    visits = [row for row in book["走访台账"].iter_rows(values_only=True)]
    assert visits[0] == ("记录", "日期", "地点", "人员", "事项", "结果")
    refs = {row[0] for row in visits[1:]}
    assert refs == {f"V{world.ids['v1']}", f"V{world.ids['v2']}"}
    needs = list(book["民情诉求台账"].iter_rows(values_only=True))[1:]
    assert {row[0] for row in needs} == {f"N{world.ids['n1']}", f"N{world.ids['n2']}"}
    # The secretary's duty covers the households: residents' names and rooms are shown.
    assert any("王奶奶" in row[4] for row in needs)
    assert any("2-501" in row[2] for row in needs)
    wishes = list(book["微心愿台账"].iter_rows(values_only=True))[1:]
    assert wishes[0][0] == f"W{world.ids['w1']}" and wishes[0][3] == "patroller"
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert ("走访台账", "走访", 2) in summary
    assert ("走访台账", "已走访户数", 2) in summary
    # Showing residents' names is a read of personal data.
    with client.application.app_context():
        read = db.session.scalar(select(AuditEntry).where(AuditEntry.subject_type == "ledger"))
        assert read is not None and "ledger.xlsx" in read.detail


def test_the_a4_page_is_chinese_with_signature_lines(client: FlaskClient, world: World) -> None:
    response = _get(client, world, "secretary", f"/ledgers/print?period={world.period}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "新丰路社区" in page and "工作台账" in page
    label = f"{world.period[:4]}年{world.period[5:7]}月"
    assert label in page
    for words in ("制表人", "审核人", "日期", "走访台账", "共建单位服务台账"):
        assert words in page
    assert f"V{world.ids['v1']}" in refs(page)
    assert 'class="ledger-print"' in page
    css = client.get("/static/css/app.css").get_data(as_text=True)
    assert "@page ledger" in css and "size: A4" in css and "page: ledger" in css


def test_a_grid_leader_sees_their_grid_only(client: FlaskClient, world: World) -> None:
    response = _get(client, world, "grid_leader", f"/ledgers?period={world.period}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "第一网格" in page
    assert f"N{world.ids['n1']}" in refs(page) and f"N{world.ids['n2']}" not in refs(page)
    assert f"V{world.ids['v1']}" in refs(page) and f"V{world.ids['v2']}" not in refs(page)
    # Another grid, or the whole community: refused, the same for one that does not exist.
    for asked in (world.ids["g2"], 999999):
        refused = client.get(f"/ledgers?grid={asked}&period={world.period}")
        assert refused.status_code == 422
        assert "不在您可查看的台账中" in refused.get_data(as_text=True)
    assert client.get(f"/ledgers?community={world.ids['community']}").status_code == 404
    assert client.get(f"/ledgers/ledger.xlsx?community={world.ids['community']}").status_code == 404


def test_another_community_is_not_found(client: FlaskClient, world: World) -> None:
    sign_in(client, world.people["secretary"].phone)
    assert client.get(f"/ledgers?community={world.ids['other']}").status_code == 404
    assert client.get(f"/ledgers/print?community={world.ids['other']}").status_code == 404
    assert client.get("/ledgers?community=abc").status_code == 404


def test_a_post_holder_sees_their_own_work_without_residents_names(
    client: FlaskClient, world: World
) -> None:
    response = _get(client, world, "patroller", f"/ledgers?period={world.period}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"W{world.ids['w1']}" in refs(page)  # the wish they fulfilled
    assert f"V{world.ids['v1']}" not in refs(page) and f"N{world.ids['n1']}" not in refs(page)
    assert "王奶奶" not in page and "2-501" not in page
    assert client.get(f"/ledgers?grid={world.ids['g1']}").status_code == 422
    with client.application.app_context():
        assert (
            db.session.scalar(select(AuditEntry).where(AuditEntry.subject_type == "ledger")) is None
        )


def test_the_street_administrator_opens_the_ledger_without_residents(
    client: FlaskClient, world: World
) -> None:
    response = _get(
        client,
        world,
        "street_admin",
        f"/ledgers?community={world.ids['community']}&period={world.period}",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"N{world.ids['n1']}" in refs(page) and "王奶奶" not in page and "血压偏高" not in page
    assert client.get(f"/ledgers?community={world.ids['other']}").status_code == 404


def test_a_resident_has_no_ledger(client: FlaskClient, world: World) -> None:
    assert _get(client, world, "resident", "/ledgers").status_code == 404


@pytest.mark.parametrize(
    ("asked", "told"),
    [
        ("2099-Q1", "尚未开始"),
        (f"{today().year + 1}", "尚未开始"),
        ("1999-12", "早于任何记录"),
        ("2026-13", "请按月"),
        ("last quarter", "请按月"),
    ],
)
def test_a_period_out_of_range_is_told_what_to_pick(
    client: FlaskClient, world: World, asked: str, told: str
) -> None:
    response = _get(client, world, "secretary", f"/ledgers?period={asked}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert told in page
    assert 'id="ledger-picker"' in page  # the picker again, to choose another
    assert client.get(f"/ledgers/ledger.xlsx?period={asked}").status_code == 422


def test_an_unknown_grid_or_post_is_refused_with_a_message(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, world.people["secretary"].phone)
    for query in ("grid=999999", "grid=x", "post=999999", "ledger=grid:999999"):
        response = client.get(f"/ledgers?{query}")
        assert response.status_code == 422, query
        assert "不在您可查看的台账中" in response.get_data(as_text=True)


def test_the_picker_opens_a_grid_and_a_post(client: FlaskClient, world: World, app: Flask) -> None:
    sign_in(client, world.people["secretary"].phone)
    page = client.get(f"/ledgers?ledger=grid:{world.ids['g2']}&period={world.period}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"N{world.ids['n2']}" in refs(text) and f"N{world.ids['n1']}" not in refs(text)
    with app.app_context():
        post_id = world.people["patroller"].posts[0].id
    mine = client.get(f"/ledgers?ledger=post:{post_id}&period={world.period}")
    assert mine.status_code == 200
    assert f"W{world.ids['w1']}" in refs(mine.get_data(as_text=True))
