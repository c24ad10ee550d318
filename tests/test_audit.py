"""Every read of personal data is audited by one mechanism, and no read fails because of it."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from models import AuditEntry, Need, Wish, WorkOrder, db, utcnow
from pwa import auth, features
from pwa.views.secretary import audit as secretary_audit
from services import audit
from services.sign_in import sessions
from tasks import audit as audit_jobs


def _signed_in(app: Flask, person: Any) -> FlaskClient:
    """A fresh client with its own server-side session for the person (no SMS round trip)."""
    token = sessions.start(person, now=utcnow())
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie[auth.SESSION_KEY] = token
        cookie.permanent = True
    return client


@pytest.fixture
def area(make: Any) -> dict[str, Any]:
    c = make.community()
    grid = make.grid(c)
    building = make.building(grid)
    household = make.household(building, contact_name="李阿姨", contact_phone="+8613900000001")
    resident = make.resident(household, name="王奶奶", phone="+8613900000002")
    leader = make.person(name="张组长")
    post = make.post(leader, "grid_leader", community=c, grid=grid)
    secretary = make.person(name="陈书记")
    secretary_post = make.post(secretary, "secretary", community=c)
    need = Need(
        community_id=c.id,
        grid_id=grid.id,
        building_id=building.id,
        household_id=household.id,
        resident_id=resident.id,
        source="visit",
        category="other",
        text="需要帮忙",
    )
    wish = Wish(
        community_id=c.id,
        grid_id=grid.id,
        building_id=building.id,
        resident_id=resident.id,
        category="other",
        text="想要一把椅子",
        via="head",
    )
    db.session.add_all([need, wish])
    db.session.commit()
    return dict(
        c=c,
        grid=grid,
        building=building,
        household=household,
        resident=resident,
        leader=leader,
        post=post,
        secretary=secretary,
        secretary_post=secretary_post,
        need=need,
        wish=wish,
    )


def _entries() -> list[AuditEntry]:
    db.session.rollback()  # a fresh snapshot: the reads were written by their own transaction
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


# (page, what the entry names: "household", "resident", or a filter text in its detail)
GRID_LEADER_PAGES = [
    ("/households/{household}", "household", None),
    ("/residents/{resident}", "resident", None),
    ("/residents/{resident}/edit", "resident", "edit form"),
    ("/households/{household}/contact", "household", "contact form"),
    ("/households/{household}/residents/new", "household", "new resident form"),
    ("/buildings/{building}", "household", "building"),
    ("/buildings/{building}?q=1", "household", "q=1"),
    ("/search?q=王", "resident", "search q=王"),
    ("/visits", "household", "visits"),
    ("/visits/log?household={household}", "household", "visit form"),
    ("/visits/households/{household}", "household", "visit history"),
    ("/coverage", "household", "coverage"),
    ("/coverage?building={building}", "household", "building="),
    ("/coverage.csv", "household", "coverage.csv"),
    ("/coverage.xlsx", "household", "coverage.xlsx"),
    ("/needs", "household", "needs status=open"),
    ("/area/wishes", "resident", "area wishes"),
    ("/wall/{wish}", "resident", "wish details"),
    ("/area/residents/{resident}/wish", "resident", "new wish form"),
    ("/needs/new", "household", "need form"),
]


@pytest.mark.parametrize(("page", "names", "detail"), GRID_LEADER_PAGES)
def test_every_page_with_personal_data_is_audited(
    app: Flask, area: dict[str, Any], page: str, names: str, detail: str | None
) -> None:
    client = _signed_in(app, area["leader"])
    url = page.format(
        household=area["household"].id,
        resident=area["resident"].id,
        building=area["building"].id,
        wish=area["wish"].id,
    )
    response = client.get(url)
    assert response.status_code == 200, url
    reads = [e for e in _entries() if e.action == "view"]
    assert len(reads) == 1, [(e.subject_type, e.detail) for e in reads]
    entry = reads[0]
    assert entry.actor_id == area["leader"].id
    assert entry.post_id == area["post"].id and entry.role == "grid_leader"
    assert entry.community_id == area["c"].id
    wanted = area[names].id
    assert f" {names}:{wanted} " in entry.records, entry.records
    if detail:
        assert detail in entry.detail, entry.detail


@pytest.mark.parametrize(
    ("page", "detail"), [("/secretary/outbox", "outbox"), ("/secretary/outbox/inbound", "inbound")]
)
def test_the_secretary_s_message_pages_are_audited(
    app: Flask, area: dict[str, Any], page: str, detail: str
) -> None:
    client = _signed_in(app, area["secretary"])
    assert client.get(page).status_code == 200
    [entry] = [e for e in _entries() if e.action == "view"]
    assert entry.actor_id == area["secretary"].id
    assert entry.post_id == area["secretary_post"].id and entry.role == "secretary"
    assert entry.detail.startswith(detail)


def test_a_work_order_from_a_need_is_audited_with_the_household(
    app: Flask, area: dict[str, Any]
) -> None:
    """A work order names its volunteers and, made from a need, the household's trouble."""
    start = utcnow()
    order = WorkOrder(
        community_id=area["c"].id,
        grid_id=area["grid"].id,
        title="修楼道灯",
        location="3号楼",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        places_needed=1,
        need_id=area["need"].id,
        created_by_id=area["secretary"].id,
    )
    db.session.add(order)
    db.session.commit()
    client = _signed_in(app, area["leader"])
    assert client.get(f"/work-orders/{order.id}").status_code == 200
    [entry] = [e for e in _entries() if e.action == "view"]
    assert entry.subject_type == "work_order" and entry.subject_id == order.id
    assert entry.actor_id == area["leader"].id and entry.role == "grid_leader"
    assert f" household:{area['household'].id} " in entry.records
    assert entry.detail.startswith("work order ")


def test_the_resident_s_own_home_is_audited(app: Flask, area: dict[str, Any], make: Any) -> None:
    me = make.person(phone="+8613900000002", name="王奶奶")
    area["resident"].person_id = me.id
    db.session.commit()
    client = _signed_in(app, me)
    assert client.get("/me").status_code == 200
    [entry] = [e for e in _entries() if e.action == "view"]
    assert entry.actor_id == me.id and entry.post_id is None and entry.role == "resident"
    assert f" household:{area['household'].id} " in entry.records
    assert entry.detail == "own household"


def test_a_read_whose_audit_cannot_be_written_still_answers_and_is_kept(
    app: Flask, area: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Path(app.config["AUDIT_SPOOL"])
    spool.unlink(missing_ok=True)
    monkeypatch.setattr(audit, "RETRY_PAUSE_SECONDS", 0)
    tries: list[int] = []

    def locked(session: Any) -> None:
        tries.append(1)
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    monkeypatch.setattr(audit, "_commit", locked)
    leader, post, resident = area["leader"].id, area["post"].id, area["resident"].id
    client = _signed_in(app, area["leader"])
    response = client.get(f"/residents/{area['resident'].id}")
    assert response.status_code == 200
    assert "王奶奶" in response.get_data(as_text=True)
    assert len(tries) == 1  # a page does not wait for a busy database: kept at once
    assert [e for e in _entries() if e.action == "view"] == []
    [kept] = [json.loads(line) for line in spool.read_text(encoding="utf-8").splitlines()]
    assert kept["actor_id"] == leader and kept["post_id"] == post
    assert kept["subject_type"] == "resident" and kept["subject_id"] == resident

    # The job cannot write either while the database refuses: the spool waits.
    db.session.rollback()  # the test's own transaction holds no lock meanwhile
    assert audit_jobs.flush_spool() == 0
    assert [e for e in _entries() if e.action == "view"] == []

    monkeypatch.undo()
    db.session.rollback()
    assert audit_jobs.flush_spool() == 1
    [entry] = [e for e in _entries() if e.action == "view"]
    assert entry.actor_id == leader and entry.post_id == post
    assert f" resident:{resident} " in entry.records
    assert not spool.exists()
    db.session.rollback()
    assert audit_jobs.flush_spool() == 0  # nothing twice


def test_the_spool_job_is_scheduled() -> None:
    assert "audit-spool" in {job.name for job in features.periodic_jobs()}


def test_sixteen_residents_at_home_at_once_get_no_5xx(app: Flask, make: Any) -> None:
    c = make.community()
    building = make.building(make.grid(c))
    clients = []
    for _ in range(16):
        household = make.household(building)
        person = make.person()
        make.resident(household, person_id=person.id)
        clients.append(_signed_in(app, person))
    db.session.remove()
    statuses: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def visit(client: FlaskClient) -> None:
        try:
            for _ in range(5):
                status = client.get("/me").status_code
                with lock:
                    statuses.append(status)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=visit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    assert len(statuses) == 80 and set(statuses) == {200}, statuses
    # Written at once, or (the database busy with the others' writes) spooled and written by
    # the job: every read is recorded, once.
    db.session.rollback()
    audit_jobs.flush_spool()
    views = [e for e in _entries() if e.action == "view"]
    assert len(views) == 80


SECRETARY_PAGES = [
    "/area",
    "/secretary/outbox",
    "/secretary/outbox/inbound",
    "/secretary/audit",
    "/work-orders",
    "/broadcasts",
    "/needs",
    "/coverage",
    "/search?q=王",
]


def test_every_audited_page_under_sixteen_clients_answers_without_5xx(
    app: Flask, area: dict[str, Any]
) -> None:
    """Sixteen clients, grid leaders and secretaries, each through every audited page at
    once: every read answers (no "database is locked") and every audited read is recorded."""
    pages = [
        page.format(
            household=area["household"].id,
            resident=area["resident"].id,
            building=area["building"].id,
            wish=area["wish"].id,
        )
        for page, _names, _detail in GRID_LEADER_PAGES
    ]
    clients = [
        (_signed_in(app, area["leader"]), pages)
        if n % 2
        else (_signed_in(app, area["secretary"]), SECRETARY_PAGES)
        for n in range(16)
    ]
    leader_id = area["leader"].id
    db.session.remove()
    answers: list[tuple[str, int]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def browse(client: FlaskClient, urls: list[str]) -> None:
        try:
            for url in urls:
                status = client.get(url).status_code
                with lock:
                    answers.append((url, status))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=browse, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not failures
    assert len(answers) == 8 * len(pages) + 8 * len(SECRETARY_PAGES)
    assert not [a for a in answers if a[1] >= 500], [a for a in answers if a[1] >= 500][:5]
    assert not [a for a in answers if a[1] != 200], [a for a in answers if a[1] != 200][:5]
    # Written at once, or (the database busy with the others' writes) spooled and written by
    # the job: either way every read is there.
    audit_jobs.flush_spool()
    by_leader = [e for e in _entries() if e.action == "view" and e.actor_id == leader_id]
    assert len(by_leader) == 8 * len(pages)


# ----------------------------------------------------------------------- the audit page


@pytest.fixture
def trail(app: Flask, area: dict[str, Any], make: Any) -> dict[str, Any]:
    other = make.resident(area["household"], name='=HYPERLINK("http://x","点我")')
    second_household = make.household(area["building"])
    third = make.resident(second_household, name="赵爷爷")
    leader = _signed_in(app, area["leader"])
    assert leader.get(f"/residents/{area['resident'].id}").status_code == 200
    assert leader.get(f"/households/{second_household.id}").status_code == 200
    db.session.rollback()
    return dict(area, other=other, third=third, second_household=second_household)


def test_the_audit_page_filters_by_person_resident_and_date(
    app: Flask, trail: dict[str, Any]
) -> None:
    client = _signed_in(app, trail["secretary"])
    page = client.get("/secretary/audit").get_data(as_text=True)
    # Roles and records by their Chinese names (网格党小组长, 住户 #3), never their codes.
    assert "张组长" in page and "网格党小组长" in page and "grid_leader" not in page

    by_resident = client.get(f"/secretary/audit?resident={trail['third'].id}")
    text = by_resident.get_data(as_text=True)
    assert by_resident.status_code == 200
    assert f"住户 #{trail['second_household'].id}" in text
    assert f"居民 #{trail['resident'].id}" not in text

    by_name = client.get("/secretary/audit?resident=王奶奶").get_data(as_text=True)
    assert f"居民 #{trail['resident'].id}" in by_name
    assert f"住户 #{trail['second_household'].id}" not in by_name

    nobody = client.get("/secretary/audit?person=没有这个人").get_data(as_text=True)
    assert "张组长" not in nobody
    assert "张组长" in client.get("/secretary/audit?person=张").get_data(as_text=True)

    dated = client.get("/secretary/audit?since=2020-01-01&until=2999-01-01")
    assert "张组长" in dated.get_data(as_text=True)
    assert "张组长" not in client.get("/secretary/audit?until=2020-01-01").get_data(as_text=True)


@pytest.mark.usefixtures("english")
def test_bad_dates_get_a_clear_message(app: Flask, trail: dict[str, Any]) -> None:
    client = _signed_in(app, trail["secretary"])
    response = client.get("/secretary/audit?since=2026-13-01")
    assert response.status_code == 422
    assert "is not a date (YYYY-MM-DD)" in response.get_data(as_text=True)
    response = client.get("/secretary/audit?since=2026-05-02&until=2026-05-01")
    assert response.status_code == 422
    assert "The first date is after the last." in response.get_data(as_text=True)
    assert client.get("/secretary/audit.csv?since=nonsense").status_code == 422


def test_the_audit_page_pages(
    app: Flask, trail: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setattr(secretary_audit, "AUDIT_PAGE_SIZE", 1)
    client = _signed_in(app, trail["secretary"])
    first = client.get("/secretary/audit?person=张").get_data(as_text=True)
    assert f"住户 #{trail['second_household'].id}" in first  # newest first
    assert "page=2" in first and "person=" in first
    second = client.get("/secretary/audit?person=张&page=2").get_data(as_text=True)
    assert f"居民 #{trail['resident'].id}" in second


def test_the_audit_exports_cannot_carry_formulas(
    app: Flask, trail: dict[str, Any], make: Any
) -> None:
    # A name is the payload: the grid leader's, shown as the one who read.
    trail["leader"].name = '=HYPERLINK("http://x","点我")'
    db.session.commit()
    client = _signed_in(app, trail["secretary"])
    csv_response = client.get(f"/secretary/audit.csv?resident={trail['resident'].id}")
    assert csv_response.status_code == 200
    text = csv_response.data.decode("utf-8-sig")
    assert "'=HYPERLINK(" in text
    assert f"resident:{trail['resident'].id}" in text

    xlsx_response = client.get("/secretary/audit.xlsx?person=HYPERLINK")
    assert xlsx_response.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_response.data)).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value]
    names = [cell for cell in cells if str(cell.value).startswith("=HYPERLINK")]
    assert names and all(cell.data_type == "s" for cell in names)
    assert sheet.max_row == 3  # the header and the leader's two reads
