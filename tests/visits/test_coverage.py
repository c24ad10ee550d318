"""Coverage per building, grid and community; its 12-month trend, exports, and reminders."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import Building, Delivery, VisitReminder, db, utcnow
from pwa import auth
from services.roster.areas import Area
from services.visits import coverage, queries
from services.visits import operations as visits
from services.visits import reminders as visit_reminders
from tests.support import run_jobs
from tests.test_exports import PAYLOADS, check_csv, check_xlsx
from tests.visits.test_visits import Place, build_place, sign_in_en


@pytest.fixture
def place(make: Any) -> Place:
    return build_place(make)


def _visit(person: Any, household: Any, on: date | None = None) -> None:
    today = auth.today()
    data = visits.VisitInput(
        key=uuid.uuid4().hex, household_id=household.id, visited_on=on or today
    )
    area = queries.visit_area(person, today)
    visits.log_visit(data, by=person, area=area, today=today, now=utcnow())
    db.session.commit()


def test_figures_per_building_grid_and_community(place: Place) -> None:
    today = auth.today()
    _visit(place.head, place.h501)
    _visit(place.head, place.h501)  # twice in a month still counts one household
    _visit(place.leader, place.h_neighbour)
    _visit(place.secretary, place.h_far, today.replace(day=1) - timedelta(days=1))  # last month
    community = Area(community_ids=frozenset({place.community.id}))
    per_building = coverage.by(Building.id, community, today)
    assert (per_building[place.building.id].visited, per_building[place.building.id].total) == (
        1,
        2,
    )
    assert per_building[place.neighbour.id].complete
    assert per_building[place.far.id].visited == 0
    per_grid = coverage.by(Building.grid_id, community, today)
    assert (per_grid[place.grid.id].visited, per_grid[place.grid.id].total) == (2, 3)
    whole = coverage.total(per_building.values())
    assert (whole.visited, whole.total, whole.percent) == (2, 4, 50)
    left = {h.code for h in coverage.to_visit(community, today)}
    assert left == {"3-2-601", "9-1-101"}
    points = coverage.trend(community, today)
    assert len(points) == 12 and points[-1].month == today.replace(day=1)
    assert points[-1].visited == 2 and points[-2].visited == 1 and points[0].total == 4


def test_coverage_page_and_secretary_home(client: FlaskClient, place: Place) -> None:
    _visit(place.head, place.h501)
    sign_in_en(client, place.secretary.phone)
    home = client.get("/area").get_data(as_text=True)
    # Coverage leads the secretary's home.
    assert "1/4" in home and home.index("1/4") < home.index("<h1>")
    page = client.get("/coverage").get_data(as_text=True)
    assert "1/4" in page and "<svg" in page and "3-2-601" in page and "9-1-101" in page
    grid_page = client.get(f"/coverage?grid={place.grid.id}").get_data(as_text=True)
    assert "1/3" in grid_page and "9-1-101" not in grid_page
    building_page = client.get(f"/coverage?building={place.building.id}").get_data(as_text=True)
    assert "1/2" in building_page


def test_a_head_sees_only_their_buildings_coverage(client: FlaskClient, place: Place) -> None:
    _visit(place.head, place.h501)
    sign_in_en(client, place.head.phone)
    page = client.get("/coverage").get_data(as_text=True)
    assert "1/2" in page and "5号楼" not in page
    # Asking for their grid shows only their own building of it.
    grid_page = client.get(f"/coverage?grid={place.grid.id}").get_data(as_text=True)
    assert "1/2" in grid_page and "5-1-101" not in grid_page
    home = client.get("/area").get_data(as_text=True)
    assert "1/2" in home


def test_exports_in_xlsx_and_csv(client: FlaskClient, place: Place) -> None:
    _visit(place.head, place.h501)
    sign_in_en(client, place.leader.phone)
    response = client.get("/coverage.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    buildings = {r[1]: r for r in rows[1:] if len(r) == 6}
    assert buildings["3号楼"][3:5] == ["1", "2"] and buildings["5号楼"][3:5] == ["0", "1"]
    assert "9号楼" not in buildings
    assert any(r[1:4] == ["3号楼", "2", "601"] for r in rows if len(r) == 5)
    xlsx = client.get("/coverage.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.get_data()))
    first, second = book.worksheets
    values = [list(r) for r in first.iter_rows(values_only=True)]
    assert ["第一网格", "3号楼", "幸福小区", 1, 2, 50] in values
    rooms = [r[3] for r in second.iter_rows(min_row=2, values_only=True)]
    assert sorted(rooms) == ["101", "601"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_exports_cannot_carry_formulas(client: FlaskClient, place: Place, payload: str) -> None:
    # Typed names reach the export in the contact, the compound and the building columns.
    place.h601.contact_name = payload
    place.neighbour.compound = payload
    place.neighbour.name = payload + "楼"
    db.session.commit()
    sign_in_en(client, place.leader.phone)
    csv_data = client.get("/coverage.csv").get_data()
    check_csv(csv_data, [payload, payload + "楼"])
    xlsx_data = client.get("/coverage.xlsx").get_data()
    check_xlsx(xlsx_data, [payload, payload + "楼"])
    # The figures stay numbers.
    values = [list(r) for r in load_workbook(io.BytesIO(xlsx_data)).worksheets[0].values]
    assert ["第一网格", "3号楼", "幸福小区", 0, 2, 0] in values


def test_a_contact_typed_by_a_head_is_no_formula_in_the_export(
    client: FlaskClient, place: Place
) -> None:
    """The issue's case: a head sets a contact to a link formula; the grid leader exports."""
    sign_in_en(client, place.head.phone)
    link = '=HYPERLINK("http://x","点我")'
    contact = f"/households/{place.h601.id}/contact"
    assert client.post(contact, data={"contact_name": link, "contact_phone": ""}).status_code == 302
    db.session.expire_all()
    assert place.h601.contact_name == link  # stored as typed: the export is what neutralises it
    assert client.post("/sign-out").status_code == 302
    sign_in_en(client, place.leader.phone)
    check_csv(client.get("/coverage.csv").get_data(), [link])
    check_xlsx(client.get("/coverage.xlsx").get_data(), [link])


def _at(day: int, hour: int) -> datetime:
    """Return a UTC moment that is `day` of this month at `hour` in Shanghai."""
    today = auth.today()
    return datetime(today.year, today.month, day, hour, 30, tzinfo=UTC) - timedelta(hours=8)


def _sent(kind: str) -> list[Delivery]:
    db.session.rollback()
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == kind)))


DEFAULTS = visit_reminders.Schedule(20, 9, 25, 9)


def test_reminders_go_once_to_heads_with_unvisited_households(
    app: Flask, make: Any, place: Place
) -> None:
    other_head = make.person(name="周强")
    make.post(other_head, "building_head", community=place.community, building=place.neighbour)
    _visit(place.leader, place.h_neighbour)  # 5号楼 is fully visited
    _visit(place.head, place.h501)
    assert visit_reminders.send_reminders(_at(19, 23), DEFAULTS).reminders == 0
    assert visit_reminders.send_reminders(_at(20, 8), DEFAULTS).reminders == 0
    sent = visit_reminders.send_reminders(_at(20, 9), DEFAULTS)
    db.session.commit()
    assert sent.reminders == 1 and sent.digests == 0
    # Run again (the hourly job, a retried job): nothing more.
    assert visit_reminders.send_reminders(_at(20, 10), DEFAULTS).reminders == 0
    assert visit_reminders.send_reminders(_at(22, 10), DEFAULTS).reminders == 0
    db.session.commit()
    reminders = _sent("visit_reminder")
    assert len(reminders) == 1 and reminders[0].person_id == place.head.id
    assert reminders[0].params["done"] == 1 and reminders[0].params["total"] == 2
    days_in_month = (coverage.add_months(auth.today(), 1) - auth.today().replace(day=1)).days
    assert reminders[0].params["days"] == days_in_month - 20
    # The message reads as the issue asks, on the head's channel (SMS here).
    run_jobs(app)
    db.session.rollback()
    delivered = db.session.get(Delivery, reminders[0].id)
    assert delivered is not None and "3号楼：本月已走访1/2户，还剩" in delivered.body


def test_the_digest_goes_to_grid_leaders_once(place: Place) -> None:
    _visit(place.head, place.h501)
    assert visit_reminders.send_reminders(_at(24, 12), DEFAULTS).digests == 0
    sent = visit_reminders.send_reminders(_at(25, 9), DEFAULTS)
    db.session.commit()
    assert sent.digests == 1
    assert visit_reminders.send_reminders(_at(26, 9), DEFAULTS).digests == 0
    db.session.commit()
    digests = _sent("visit_digest")
    assert len(digests) == 1 and digests[0].person_id == place.leader.id
    assert digests[0].params["lines"] == "3号楼1/2、5号楼0/1"
    assert db.session.scalar(select(func.count(VisitReminder.id))) == 2  # reminder + digest


def test_a_fully_visited_area_gets_no_reminders(place: Place) -> None:
    for h in (place.h501, place.h601):
        _visit(place.head, h)
    _visit(place.leader, place.h_neighbour)
    sent = visit_reminders.send_reminders(_at(26, 10), DEFAULTS)
    assert (sent.reminders, sent.digests) == (0, 0)


def test_each_community_sets_its_own_days(client: FlaskClient, place: Place) -> None:
    sign_in_en(client, place.secretary.phone)
    bad = client.post(
        "/coverage/settings",
        data={"reminder_day": "31", "reminder_hour": "9", "digest_day": "25", "digest_hour": "9"},
    )
    assert bad.status_code == 302 and "settings_error" in bad.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(visit_reminders.VisitSettings)) == 0
    ok = client.post(
        "/coverage/settings",
        data={"reminder_day": "15", "reminder_hour": "18", "digest_day": "27", "digest_hour": "8"},
    )
    assert ok.status_code == 302
    db.session.rollback()
    assert visit_reminders.send_reminders(_at(15, 17), DEFAULTS).reminders == 0
    assert visit_reminders.send_reminders(_at(15, 18), DEFAULTS).reminders == 1
    assert visit_reminders.send_reminders(_at(26, 18), DEFAULTS).digests == 0
    # A head cannot change them.
    client.post("/sign-out")
    sign_in_en(client, place.head.phone)
    assert client.post("/coverage/settings", data={}).status_code == 404


def test_the_job_runs_through_the_queue(app: Flask, place: Place) -> None:
    from tasks import visits as visit_jobs

    app.config.update(VISIT_REMINDER_DAY=1, VISIT_REMINDER_HOUR=0)
    try:
        first = visit_jobs.remind()
        second = visit_jobs.remind()
    finally:
        app.config.update(VISIT_REMINDER_DAY=20, VISIT_REMINDER_HOUR=9)
    assert first["reminders"] == 1 and second["reminders"] == 0
