"""The street's view: its communities side by side and a community's grids, with the same
figures as the community's own pages; closed (404) to everyone but their administrators."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from models import (
    AuditEntry,
    Decision,
    Need,
    NeedSource,
    NeedStatus,
    Resident,
    Street,
    Wish,
    WishEvent,
    clock,
    db,
    utcnow,
)
from models.clock import at, month_start
from models.wishes import WishStatus
from pwa import auth
from services.administration import operations as administration
from services.administration import street_figures
from services.errors import DomainError
from services.needs import operations as needs_service
from services.needs import queries as need_queries
from services.roster.areas import Area
from services.visits import coverage
from services.visits import operations as visits
from services.visits import queries as visit_queries
from services.wishes import escalation
from services.wishes import operations as wishes
from services.wishes import queries as wish_queries
from tests.support import sign_in

pytestmark = pytest.mark.usefixtures("ctx")


@dataclass
class District:
    street: Street
    a: Any  # 幸福社区: two grids
    b: Any  # 和平社区: one grid
    c: Any  # 西关社区, in another street
    grids: list[Any]
    people: dict[str, Any]
    resident_names: list[str]


def _visit(person: Any, household: Any, on: date) -> None:
    today = auth.today()
    data = visits.VisitInput(key=uuid.uuid4().hex, household_id=household.id, visited_on=on)
    area = visit_queries.visit_area(person, today)
    visits.log_visit(data, by=person, area=area, today=today, now=utcnow())
    db.session.commit()


def _need(community: Any, grid: Any, building: Any, **kw: Any) -> Need:
    need = Need(
        community_id=community.id,
        grid_id=grid.id if grid is not None else None,
        building_id=building.id if building is not None else None,
        source=NeedSource.OBSERVER,
        category="repairs",
        text="楼道灯坏了",
        **kw,
    )
    db.session.add(need)
    return need


def _wish(community: Any, grid: Any, building: Any, resident: Any, **kw: Any) -> Wish:
    wish = Wish(
        community_id=community.id,
        grid_id=grid.id,
        building_id=building.id,
        resident_id=resident.id,
        category="repair",
        text="修水龙头",
        via="head",
        **kw,
    )
    db.session.add(wish)
    return wish


@pytest.fixture
def district(make: Any) -> District:
    today = auth.today()
    now = utcnow()
    last_month_day = month_start(today) - timedelta(days=1)
    before_month = at(month_start(today), time()) - timedelta(hours=1)
    street = Street(name="城关街道", code="chengguan")
    other_street = Street(name="西关街道", code="xiguan")
    db.session.add_all([street, other_street])
    db.session.flush()
    a = make.community(name="幸福社区", street_id=street.id)
    b = make.community(name="和平社区", street_id=street.id)
    c = make.community(name="西关社区", street_id=other_street.id)
    g1, g2 = make.grid(a, name="第一网格"), make.grid(a, name="第二网格")
    gb, gc = make.grid(b, name="和平网格"), make.grid(c, name="西关网格")
    b1, b2 = make.building(g1, name="1号楼"), make.building(g2, name="2号楼")
    bb, bc = make.building(gb, name="8号楼"), make.building(gc, name="9号楼")
    a_households = [make.household(b1), make.household(b1), make.household(b1)]
    a_households += [make.household(b2), make.household(b2)]
    gone = make.household(b2, moved_out_on=today)
    b_households = [make.household(bb), make.household(bb)]
    c_household = make.household(bc)
    residents = [make.resident(h, name=f"住户{i}号") for i, h in enumerate(a_households)]
    b_resident = make.resident(b_households[0], name="和平住户")
    people: dict[str, Any] = {}
    for key, community in (("secretary_a", a), ("secretary_b", b), ("secretary_c", c)):
        people[key] = make.person(name=f"{community.name}书记")
        make.post(people[key], "secretary", community=community)
    for key, name in (
        ("street_admin", "城关管理员"),
        ("community_admin", "幸福管理员"),
        ("other_street_admin", "西关管理员"),
    ):
        people[key] = make.person(name=name)
    administration.grant(people["street_admin"], street=street, by=None, today=today)
    administration.grant(people["community_admin"], community=a, by=None, today=today)
    administration.grant(people["other_street_admin"], street=other_street, by=None, today=today)
    db.session.commit()

    # Visits: A 3 of 5 this month (one twice; the household that moved out counts in neither
    # figure), one last month; B 1 of 2.
    _visit(people["secretary_a"], a_households[0], today)
    _visit(people["secretary_a"], a_households[0], today)
    _visit(people["secretary_a"], a_households[1], today)
    _visit(people["secretary_a"], a_households[3], today)
    _visit(people["secretary_a"], gone, today)
    _visit(people["secretary_a"], a_households[4], last_month_day)
    _visit(people["secretary_b"], b_households[0], today)
    _visit(people["secretary_c"], c_household, today)
    gone.moved_out_on = today
    db.session.commit()

    # Needs of A: open in grid 1; in hand in grid 2; open community-wide (no grid); answered
    # this month within a day and after ten; answered last month. One open need in B.
    _need(a, g1, b1, created_at=now - timedelta(hours=2))
    _need(a, g2, b2, status=NeedStatus.IN_HAND, created_at=now - timedelta(hours=2))
    _need(a, None, None, created_at=now - timedelta(hours=1))
    _need(a, g1, b1, status=NeedStatus.ANSWERED, created_at=now - timedelta(hours=3),
          answered_at=now - timedelta(hours=1))  # fmt: skip
    _need(a, g2, b2, status=NeedStatus.ANSWERED, created_at=now - timedelta(days=10),
          answered_at=now - timedelta(minutes=5))  # fmt: skip
    _need(a, g1, b1, status=NeedStatus.ANSWERED, created_at=before_month - timedelta(days=2),
          answered_at=before_month)  # fmt: skip
    _need(b, gb, bb, created_at=now - timedelta(hours=1))
    # Wishes of A: two open (one escalated twice this month), one fulfilled this month, one
    # posted and fulfilled last month. One open wish in B.
    _wish(a, g1, b1, residents[0], posted_at=now - timedelta(hours=2))
    escalated = _wish(a, g2, b2, residents[3], posted_at=now - timedelta(hours=5))
    _wish(a, g1, b1, residents[1], status=WishStatus.CONFIRMED, posted_at=now - timedelta(hours=4),
          fulfilled_at=now - timedelta(hours=1))  # fmt: skip
    _wish(a, g1, b1, residents[2], status=WishStatus.FULFILLED, posted_at=before_month,
          fulfilled_at=before_month)  # fmt: skip
    _wish(b, gb, bb, b_resident, posted_at=now - timedelta(hours=1))
    db.session.flush()
    for level in (1, 2):
        db.session.add(
            WishEvent(wish_id=escalated.id, community_id=a.id, action="escalated", level=level,
                      once_key=f"escalated:{level}", at=now - timedelta(minutes=level))
        )  # fmt: skip
    db.session.commit()
    return District(
        street, a, b, c, [g1, g2], people, [r.name for r in residents] + [b_resident.name]
    )


def _rows(district: District, month: date | None = None) -> dict[str, street_figures.Figures]:
    month = month or month_start(auth.today())
    return {r.name: r.figures for r in street_figures.street_rows(district.street, month)}


def test_the_streets_figures(district: District) -> None:
    rows = _rows(district)
    assert list(rows) == ["和平社区", "幸福社区"]  # by name; the other street's are not there
    a, b = rows["幸福社区"], rows["和平社区"]
    assert (a.households, a.visited, a.coverage) == (5, 3, 60)
    assert (a.needs_open, a.needs_in_hand, a.needs_raised) == (2, 1, 4)
    assert (a.needs_answered, a.needs_answered_in_time, a.in_time) == (2, 1, 50)
    assert (a.wishes_open, a.wishes_posted, a.wishes_fulfilled, a.wishes_escalated) == (2, 3, 1, 1)
    assert (b.households, b.visited, b.needs_open) == (2, 1, 1)
    assert (b.wishes_open, b.wishes_posted) == (1, 1)
    last = _rows(district, coverage.add_months(month_start(auth.today()), -1))["幸福社区"]
    assert (last.visited, last.needs_answered, last.wishes_posted, last.wishes_fulfilled) == (
        1,
        1,
        1,
        1,
    )
    # Figures of now do not move with the month.
    assert (last.households, last.needs_open, last.wishes_open) == (5, 2, 2)


def test_the_streets_figures_equal_the_community_pages(
    client: FlaskClient, district: District
) -> None:
    today, now = auth.today(), utcnow()
    rows = _rows(district)
    for community in (district.a, district.b):
        shown = rows[community.name]
        area = Area(community_ids=frozenset({community.id}))
        needs = need_queries.figures(area, now)
        assert (shown.needs_open, shown.needs_in_hand, shown.needs_answered) == (
            needs.open,
            needs.in_hand,
            needs.answered_this_month,
        )
        assert shown.wishes_open == wish_queries.stats(community.id, now).by_status.get("open", 0)
    # The secretary's coverage page, whole and per grid, says what the street's pages say.
    sign_in(client, district.people["secretary_a"].phone)
    page = client.get("/coverage").get_data(as_text=True)
    a = rows["幸福社区"]
    assert f"<strong>{a.visited}/{a.households}</strong>" in page
    grids = {r.id: r.figures for r in street_figures.grid_rows(district.a, month_start(today))}
    for grid in district.grids:
        grid_page = client.get(f"/coverage?grid={grid.id}").get_data(as_text=True)
        shown = grids[grid.id]
        assert f"<strong>{shown.visited}/{shown.households}</strong>" in grid_page
    # A community's grids add up to its row (community-wide needs on a row of their own).
    assert grids[None].needs_open == 1
    assert street_figures.total(street_figures.grid_rows(district.a, month_start(today))) == a


@contextmanager
def statements() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block."""
    found: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("SELECT"):
            found.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_a_handful_of_queries_whatever_the_number_of_communities(
    make: Any, district: District
) -> None:
    month = month_start(auth.today())
    with statements() as few:
        street_figures.street_rows(district.street, month)
    for i in range(5):
        community = make.community(name=f"新社区{i}", street_id=district.street.id)
        make.household(make.building(make.grid(community)))
    with statements() as many:
        rows = street_figures.street_rows(district.street, month)
    assert len(rows) == 7 and rows[-1].figures.households == 1
    assert len(many) == len(few) <= 12


def test_the_street_page_on_a_phone_in_chinese(client: FlaskClient, district: District) -> None:
    sign_in(client, district.people["street_admin"].phone)
    home = client.get("/admin").get_data(as_text=True)
    assert "/admin/streets/chengguan" in home
    audited = db.session.scalar(select(func.count(AuditEntry.id)))
    response = client.get("/admin/streets/chengguan")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "幸福社区" in page and "和平社区" in page and "西关社区" not in page
    assert "走访覆盖率" in page and "60%" in page and "3/5" in page
    # Counts only: no one's name, and nothing written to the audit trail.
    assert not any(name in page for name in district.resident_names)
    db.session.rollback()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audited
    for snake in re.findall(r">([^<>]*_[^<>]*)<", page):
        assert not re.search(r"[a-z]+_[a-z]+", snake), snake
    # Sorting by a figure: largest first and smallest first.
    by_households = client.get("/admin/streets/chengguan?sort=households&order=desc")
    text = by_households.get_data(as_text=True)
    assert text.index('data-row="' + district.a.code) < text.index('data-row="' + district.b.code)
    text = client.get("/admin/streets/chengguan?sort=households&order=asc").get_data(as_text=True)
    assert text.index('data-row="' + district.b.code) < text.index('data-row="' + district.a.code)
    # Drill-down to a community: its grids, and community-wide needs.
    drill = client.get(f"/admin/communities/{district.a.code}")
    assert drill.status_code == 200
    drill_page = drill.get_data(as_text=True)
    assert "第一网格" in drill_page and "第二网格" in drill_page and "社区层面" in drill_page
    assert f"/admin/communities/{district.a.code}/settings" in drill_page
    assert not any(name in drill_page for name in district.resident_names)


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026-13", "2026-03"), ("soon", "2026-03"), ("2999-01", "尚未开始"), ("1999-12", "早于")],
)
def test_a_month_that_cannot_be_shown_is_refused_clearly(
    client: FlaskClient, district: District, month: str, message: str
) -> None:
    sign_in(client, district.people["street_admin"].phone)
    for path in ("/admin/streets/chengguan", f"/admin/communities/{district.a.code}"):
        response = client.get(f"{path}?month={month}")
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert message in page and 'role="alert"' in page
        assert f'value="{month}"' in page  # what was typed stays in the picker
        assert "幸福社区" in page  # this month's figures are still shown


def test_parse_month(district: District) -> None:
    today = date(2026, 3, 15)
    assert street_figures.parse_month("", today) == date(2026, 3, 1)
    assert street_figures.parse_month("2025-11", today) == date(2025, 11, 1)
    with pytest.raises(DomainError):
        street_figures.parse_month("2026-04", today)


@pytest.mark.parametrize(
    ("who", "street_page", "a_page", "b_page"),
    [
        ("street_admin", 200, 200, 200),
        ("community_admin", 404, 200, 404),
        ("other_street_admin", 404, 404, 404),
        ("secretary_a", 404, 404, 404),
        ("secretary_c", 404, 404, 404),
    ],
)
def test_only_the_streets_administrators_see_it(
    client: FlaskClient, district: District, who: str, street_page: int, a_page: int, b_page: int
) -> None:
    sign_in(client, district.people[who].phone)
    assert client.get("/admin/streets/chengguan").status_code == street_page
    assert client.get(f"/admin/communities/{district.a.code}").status_code == a_page
    assert client.get(f"/admin/communities/{district.b.code}").status_code == b_page
    assert client.get("/admin/streets/nowhere").status_code == 404


def test_work_done_through_the_services_moves_the_figures_as_on_the_community_pages(
    district: District,
) -> None:
    """A need answered, a wish posted, escalated and another fulfilled, each through its
    service: the street's row moves by each, and still says what the community pages say."""
    today, now = auth.today(), utcnow()
    month = month_start(today)
    before = _rows(district)["幸福社区"]
    secretary = district.people["secretary_a"]
    need = db.session.scalar(
        select(Need).where(
            Need.community_id == district.a.id,
            Need.status == NeedStatus.OPEN,
            Need.grid_id.is_not(None),
        )
    )
    assert need is not None
    needs_service.decide(
        need, by=secretary, decision=Decision.SOLVED, today=today, now=now, answer="已修好"
    )
    resident = db.session.scalar(select(Resident).where(Resident.name == "住户0号"))
    waiting = wishes.post_wish(resident=resident, category="repair", text="换灯泡", by=None,
                               via="sms", now=now - timedelta(hours=25))  # fmt: skip
    done = wishes.post_wish(resident=resident, category="errand", text="取药", by=None,
                            via="sms", now=now)  # fmt: skip
    db.session.commit()
    assert [e.wish_id for e in escalation.escalate_due(now)] == [waiting.id]
    wishes.claim(done, by=secretary, now=now)
    wishes.fulfil(done, by=secretary, note="已送到", now=now)
    db.session.commit()

    after = _rows(district)["幸福社区"]
    assert after.needs_open == before.needs_open - 1
    assert after.needs_answered == before.needs_answered + 1
    assert after.needs_answered_in_time == before.needs_answered_in_time + 1
    posted_here = sum(month_start(w.posted_at.astimezone(clock.ZONE).date()) == month
                      for w in (waiting, done))  # fmt: skip
    assert after.wishes_posted == before.wishes_posted + posted_here
    assert after.wishes_escalated == before.wishes_escalated + 1
    assert after.wishes_fulfilled == before.wishes_fulfilled + 1
    assert after.wishes_open == before.wishes_open + 1
    area = Area(community_ids=frozenset({district.a.id}))
    needs = need_queries.figures(area, now)
    assert (after.needs_open, after.needs_in_hand, after.needs_answered) == (
        needs.open,
        needs.in_hand,
        needs.answered_this_month,
    )
    assert after.wishes_open == wish_queries.stats(district.a.id, now).by_status.get("open", 0)
    # The grids add up to the community, the wishes and needs in their grids.
    assert street_figures.total(street_figures.grid_rows(district.a, month)) == after
