"""The per-building tallies the street's pages add up are kept by every write that changes
them, and always say what counting the records again says (and what the coverage page says)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from models import Building, BuildingCount, BuildingMonth, db, utcnow
from models.clock import month_start
from pwa import auth
from services.administration import street_figures
from services.roster import importing
from services.roster import operations as roster
from services.roster.areas import Area
from services.tallies import operations as tallies
from services.visits import coverage
from services.visits import operations as visits
from services.visits import queries as visit_queries

pytestmark = pytest.mark.usefixtures("ctx")


def kept() -> tuple[dict[int, int], dict[tuple[int, date], int]]:
    """The tallies as they stand, leaving out zeros (a row at 0 counts nothing)."""
    db.session.expire_all()
    counts = select(BuildingCount.building_id, BuildingCount.households)
    months = select(BuildingMonth.building_id, BuildingMonth.month, BuildingMonth.visited)
    return (
        {b: n for b, n in db.session.execute(counts) if n},
        {(b, m): n for b, m, n in db.session.execute(months) if n},
    )


def counted_again(community: Any, months: list[date]) -> tuple[dict[int, int], dict[Any, int]]:
    """What the coverage page counts per building, straight from households and visits."""
    area = Area(community_ids=frozenset({community.id}))
    counts: dict[int, int] = {}
    visited: dict[tuple[int, date], int] = {}
    for month in months:
        for building_id, c in coverage.by(Building.id, area, month).items():
            if c.total:
                counts[building_id] = c.total
            if c.visited:
                visited[(building_id, month)] = c.visited
    return counts, visited


@pytest.fixture
def place(make: Any) -> dict[str, Any]:
    community = make.community()
    grid = make.grid(community)
    first, second = make.building(grid, name="1号楼"), make.building(grid, name="2号楼")
    secretary = make.person()
    make.post(secretary, "secretary", community=community)
    return {"community": community, "grid": grid, "buildings": [first, second],
            "secretary": secretary}  # fmt: skip


def visit(place: dict[str, Any], household: Any, on: date) -> None:
    person, today = place["secretary"], auth.today()
    data = visits.VisitInput(key=uuid.uuid4().hex, household_id=household.id, visited_on=on)
    area = visit_queries.visit_area(person, today)
    visits.log_visit(data, by=person, area=area, today=today, now=utcnow())
    db.session.commit()


def check(place: dict[str, Any], months: list[date]) -> None:
    assert kept() == counted_again(place["community"], months)
    # ...and the street's page, per grid, says what the coverage page says.
    for month in months:
        row = street_figures.grid_rows(place["community"], month)[0].figures
        c = coverage.by(Building.grid_id, Area(community_ids=frozenset({place["community"].id})),
                        month).get(place["grid"].id, coverage.Coverage())  # fmt: skip
        assert (row.households, row.visited) == (c.total, c.visited)


def test_every_write_keeps_the_tallies(app: Flask, place: dict[str, Any]) -> None:
    today = auth.today()
    this, last = month_start(today), coverage.add_months(month_start(today), -1)
    months = [last, this]
    first = place["buildings"][0]
    by = place["secretary"]
    fields = [
        roster.HouseholdFields(
            unit="1", room=f"10{i}", floor=1, contact_name="", contact_phone=None
        )
        for i in range(1, 4)
    ]
    homes = [roster.add_household(first, f, by=by) for f in fields]
    db.session.commit()
    check(place, months)
    assert kept()[0] == {first.id: 3}

    # A household's first visit of a month counts it; a second visit that month does not.
    visit(place, homes[0], today)
    visit(place, homes[0], today)
    visit(place, homes[1], this - timedelta(days=1))
    visit(place, homes[1], today)
    check(place, months)
    assert kept()[1] == {(first.id, this): 2, (first.id, last): 1}

    # Moving out takes the household out of every month; taking the mark back returns it.
    roster.mark_moved_out(homes[1], on=today, today=today, by=by)
    db.session.commit()
    check(place, months)
    assert kept() == ({first.id: 2}, {(first.id, this): 1})
    # A visit to a household that moved out counts in no tally, as on the coverage page.
    visit(place, homes[1], today)
    check(place, months)
    roster.undo_moved_out(homes[1], by=by)
    db.session.commit()
    check(place, months)
    assert kept() == ({first.id: 3}, {(first.id, this): 2, (first.id, last): 1})

    # A roster import adds households in bulk: counted per building.
    sheet = (
        "小区,楼栋,单元,房号,姓名\r\n"
        "幸福小区,2号楼,1,201,王一\r\n"
        "幸福小区,2号楼,1,202,王二\r\n"
        "幸福小区,9号楼,1,101,王三\r\n"
    ).encode()
    report = importing.import_roster(place["community"], "roster.csv", sheet, by=by, today=today)
    db.session.commit()
    assert report.households_created == 3
    check(place, months)
    counts = kept()[0]
    assert sum(counts.values()) == 6 and counts[first.id] == 3

    # Counting again from the records changes nothing; a broken tally is mended by the command.
    before = kept()
    tallies.rebuild()
    db.session.commit()
    assert kept() == before
    db.session.execute(update(BuildingCount).values(households=99))
    db.session.execute(update(BuildingMonth).values(visited=0))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["tallies", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Counted again" in result.output
    assert kept() == before
    result = app.test_cli_runner().invoke(
        args=["tallies", "rebuild", "--community", place["community"].code]
    )
    assert result.exit_code == 0 and kept() == before
    result = app.test_cli_runner().invoke(args=["tallies", "rebuild", "--community", "nowhere"])
    assert result.exit_code != 0 and "There is no community" in result.output


def test_visits_at_once_in_one_building_both_count(place: dict[str, Any], make: Any) -> None:
    """Two households of a building visited: the building's month counts two (an upsert that
    adds, not a read-then-write that one of them could overwrite)."""
    first = place["buildings"][0]
    a, b = make.household(first), make.household(first)
    today = auth.today()
    visit(place, a, today)
    visit(place, b, today)
    assert kept()[1] == {(first.id, month_start(today)): 2}
    check(place, [month_start(today)])
