"""Monthly home visits: my households, logging once, scoping, bad input, SMS and Telegram."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import (
    DevInboxMessage,
    HouseholdMonth,
    InboundMessage,
    Need,
    Visit,
    VisitConversation,
    db,
    utcnow,
)
from notify import inbound
from pwa import auth
from services.visits import operations as visits
from services.visits import queries
from tests.support import run_jobs, sign_in

_provider = itertools.count(1)


@dataclass
class Place:
    community: Any
    grid: Any
    other_grid: Any
    building: Any
    neighbour: Any
    far: Any
    h501: Any
    h601: Any
    h_neighbour: Any
    h_far: Any
    head: Any
    leader: Any
    secretary: Any
    observer: Any
    wide_member: Any


@pytest.fixture
def place(make: Any) -> Place:
    return build_place(make)


def build_place(make: Any) -> Place:
    """Two grids; a head of 3号楼 (501 elderly and alone, 601), a grid leader, and others."""
    c = make.community(name="幸福社区")
    g = make.grid(c, name="第一网格")
    g2 = make.grid(c, name="第二网格")
    b = make.building(g, name="3号楼")
    nb = make.building(g, name="5号楼")
    far = make.building(g2, name="9号楼")
    h501 = make.household(b, unit="2", floor=5, room="501", contact_phone=make.phone())
    make.resident(h501, name="孙大爷", birth_year=1938, lives_alone=True)
    h601 = make.household(b, unit="2", floor=6, room="601")
    make.resident(h601, name="李阿姨", birth_year=1985)
    hn = make.household(nb, unit="1", room="101")
    hf = make.household(far, unit="1", room="101")
    head = make.person(name="刘芳")
    make.post(head, "building_head", community=c, building=b)
    leader = make.person(name="陈建国")
    make.post(leader, "grid_leader", community=c, grid=g)
    secretary = make.person(name="王红梅")
    make.post(secretary, "secretary", community=c)
    observer = make.person(name="张伟")
    make.post(observer, "observer", community=c, grid=g)
    wide = make.person(name="赵宣")
    make.post(wide, "publicist", community=c)
    return Place(c, g, g2, b, nb, far, h501, h601, hn, hf, head, leader, secretary, observer, wide)


def sign_in_en(client: FlaskClient, phone: str) -> None:
    """Sign in, reading pages in English (the messages asserted are the English msgids)."""
    sign_in(client, phone)
    client.set_cookie("linli_lang", "en")


def _key() -> str:
    return uuid.uuid4().hex


def _count(model: Any) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _form(household: Any, **kw: Any) -> dict[str, Any]:
    data = {
        "key": _key(),
        "household_id": str(household.id),
        "visited_on": auth.today().isoformat(),
        "met": "孙大爷",
        "note": "身体不错",
    }
    data.update(kw)
    return data


def test_head_logs_a_visit_and_sending_twice_saves_once(client: FlaskClient, place: Place) -> None:
    sign_in_en(client, place.head.phone)
    form = _form(place.h501)
    first = client.post("/visits", data=form)
    assert first.status_code == 302
    again = client.post("/visits", data=form)
    assert again.status_code == 302
    assert _count(Visit) == 1
    month = db.session.scalar(select(HouseholdMonth))
    assert month is not None and month.visits == 1 and month.building_id == place.building.id
    # The offline queue sends JSON, with the same key on every re-send.
    payload = {
        **_form(place.h601),
        "via": "offline",
        "needs": [{"category": "repairs", "text": "水管漏水"}],
    }
    created = client.post("/visits", json=payload)
    assert created.status_code == 201 and created.get_json()["new"] is True
    repeat = client.post("/visits", json=payload)
    assert repeat.status_code == 200 and repeat.get_json()["new"] is False
    assert repeat.get_json()["visit_id"] == created.get_json()["visit_id"]
    assert _count(Visit) == 2
    assert _count(Need) == 1


def test_my_households_puts_the_unvisited_first_and_marks_who_needs_care(
    client: FlaskClient, place: Place
) -> None:
    sign_in_en(client, place.head.phone)
    assert client.post("/visits", data=_form(place.h601)).status_code == 302
    page = client.get("/visits").get_data(as_text=True)
    # Only the head's building; 501 (not yet visited, elderly, alone) comes before 601.
    assert "3-2-501" in page and "3-2-601" in page
    assert "5-1-101" not in page and "9-1-101" not in page
    assert page.index("3-2-501") < page.index("3-2-601")
    assert "lives alone" in page or "独居" in page
    assert "1 of 2" in page or "1/2" in page
    # A keystroke or two finds a room; htmx gets just the list.
    found = client.get("/visits?q=6", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "3-2-601" in found and "3-2-501" not in found and "<html" not in found


def test_rows_report_last_visit_and_month(make: Any, place: Place) -> None:
    today = auth.today()
    area = queries.visit_area(place.head, today)
    last_month = today.replace(day=1) - timedelta(days=3)
    data = visits.VisitInput(key=_key(), household_id=place.h501.id, visited_on=last_month)
    visits.log_visit(data, by=place.head, area=area, today=today, now=utcnow())
    db.session.commit()
    rows, total = queries.my_households(area, today)
    assert total == 2
    by_room = {r.room: r for r in rows}
    assert by_room["501"].last_visited_on == last_month
    assert by_room["501"].visited_this_month is False
    assert by_room["501"].elderly and by_room["501"].lives_alone
    assert by_room["601"].last_visited_on is None and not by_room["601"].stands_out


def test_areas_of_each_role(place: Place) -> None:
    today = auth.today()

    def rooms(person: Any) -> set[str]:
        rows, _total = queries.my_households(queries.visit_area(person, today), today)
        return {r.code for r in rows}

    assert rooms(place.head) == {"3-2-501", "3-2-601"}
    assert rooms(place.observer) == {"3-2-501", "3-2-601", "5-1-101"}
    assert rooms(place.leader) == {"3-2-501", "3-2-601", "5-1-101"}
    assert rooms(place.secretary) == {"3-2-501", "3-2-601", "5-1-101", "9-1-101"}
    # A community-wide N member post has no households of its own (documented choice).
    assert queries.visit_area(place.wide_member, today).is_empty


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"visited_on": "FUTURE"}, "future"),
        ({"note": "好" * 10_000}, "10000"),
        ({"need_category": "repairs", "need_text": "   "}, "empty"),
        ({"visited_on": "2020-13-01"}, "YYYY-MM-DD"),
        ({"key": "x"}, "key"),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(
    client: FlaskClient, place: Place, change: dict[str, str], message: str
) -> None:
    sign_in_en(client, place.head.phone)
    if change.get("visited_on") == "FUTURE":
        change = {"visited_on": (auth.today() + timedelta(days=1)).isoformat()}
    response = client.post("/visits", data=_form(place.h501, **change))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(Visit) == 0 and _count(Need) == 0 and _count(HouseholdMonth) == 0
    as_json = client.post("/visits", json=_form(place.h501, **change))
    assert as_json.status_code == 422 and message in as_json.get_json()["error"]
    assert _count(Visit) == 0


def test_a_household_outside_the_area_is_refused_and_its_pages_are_404(
    client: FlaskClient, place: Place
) -> None:
    sign_in_en(client, place.head.phone)
    response = client.post("/visits", data=_form(place.h_neighbour))
    assert response.status_code == 404
    assert "not in your area" in response.get_data(as_text=True)
    as_json = client.post("/visits", json=_form(place.h_far))
    assert as_json.status_code == 404 and "not in your area" in as_json.get_json()["error"]
    assert _count(Visit) == 0
    assert client.get(f"/visits/log?household={place.h_neighbour.id}").status_code == 404
    assert client.get(f"/visits/households/{place.h_far.id}").status_code == 404
    assert client.get(f"/coverage?building={place.neighbour.id}").status_code == 404
    assert client.get(f"/coverage?grid={place.other_grid.id}").status_code == 404


def test_people_with_no_area_get_404(client: FlaskClient, make: Any, place: Place) -> None:
    resident_person = make.person(name="居民甲")
    for person in (resident_person, place.wide_member):
        client.post("/sign-out")
        sign_in_en(client, person.phone)
        for path in ("/visits", "/visits/log", "/needs", "/coverage", "/coverage.csv"):
            assert client.get(path).status_code == 404, path


def test_the_same_key_from_another_person_is_refused(make: Any, place: Place) -> None:
    today = auth.today()
    data = visits.VisitInput(key=_key(), household_id=place.h501.id, visited_on=today)
    visits.log_visit(
        data, by=place.head, area=queries.visit_area(place.head, today), today=today, now=utcnow()
    )
    db.session.commit()
    with pytest.raises(visits.InvalidInput):
        visits.log_visit(
            data,
            by=place.leader,
            area=queries.visit_area(place.leader, today),
            today=today,
            now=utcnow(),
        )


# -- SMS and Telegram ----------------------------------------------------------------------


def _text(person: Any, body: str, channel: str = "sms") -> str:
    handled = inbound.handle(
        channel=channel,
        provider_id=f"P{next(_provider)}",
        address=person.phone if channel == "sms" else "4242",
        person=person if channel == "telegram" else None,
        phone=person.phone,
        text=body,
        now=utcnow(),
    )
    db.session.commit()
    return handled.reply or ""


def test_a_visit_by_sms_is_confirmed_or_corrected(place: Place) -> None:
    reply = _text(place.head, "走访 3-2-501 好")
    assert "3-2-501" in reply and "1/2" in reply
    visit = db.session.scalar(select(Visit))
    assert visit is not None and visit.note == "好" and visit.via == "sms"
    assert visit.household_id == place.h501.id
    # Full-width digits and a need after 需：
    reply = _text(place.head, "走访 ３-２-６０１ 还行 需：楼道灯不亮")
    assert "2/2" in reply
    need = db.session.scalar(select(Need))
    assert need is not None and need.text == "楼道灯不亮" and need.household_id == place.h601.id
    # A room that is not theirs, or not written right: a correction, nothing saved.
    before = _count(Visit)
    assert "3-2-501" in _text(place.head, "走访 9-1-101 好")
    assert "3-2-501" in _text(place.head, "走访 3-2-509 好")
    assert _count(Visit) == before
    # A unit and room alone are enough when unique in the area.
    assert "3-2-501" in _text(place.head, "走访 2-501 又去了一次")
    assert _count(Visit) == before + 1


def test_someone_without_households_is_told_so(make: Any, place: Place) -> None:
    reply = _text(place.wide_member, "走访 3-2-501 好")
    assert "走访" in reply and _count(Visit) == 0


def test_the_guided_flow_on_telegram(place: Place) -> None:
    reply = _text(place.head, "走访", channel="telegram")
    assert "1) 3-2-501" in reply and "2) 3-2-601" in reply
    reply = _text(place.head, "2", channel="telegram")
    assert "3-2-601" in reply
    assert db.session.get(VisitConversation, place.head.id).step == "outcome"  # type: ignore[union-attr]
    reply = _text(place.head, "1", channel="telegram")
    assert "3-2-601" in reply and "1/2" in reply
    visit = db.session.scalar(select(Visit))
    assert visit is not None and visit.via == "telegram" and visit.household_id == place.h601.id
    assert db.session.get(VisitConversation, place.head.id) is None
    # Second round, this time with a need.
    _text(place.head, "走访 3-2-501", channel="telegram")
    reply = _text(place.head, "需求 想申请高龄补贴", channel="telegram")
    assert "2/2" in reply
    need = db.session.scalar(select(Need))
    assert need is not None and need.text == "想申请高龄补贴" and need.household_id == place.h501.id
    assert _count(Visit) == 2
    # A bare number with no open question is not taken as a visit.
    reply = _text(place.head, "1", channel="telegram")
    assert _count(Visit) == 2
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 6


def test_the_home_pages_lead_with_this_months_visits(client: FlaskClient, place: Place) -> None:
    sign_in_en(client, place.observer.phone)
    home = client.get("/home", follow_redirects=True).get_data(as_text=True)
    assert "Visits this month" in home and "0/3" in home and 'href="/visits"' in home
    client.post("/sign-out")
    sign_in_en(client, place.wide_member.phone)
    home = client.get("/home", follow_redirects=True).get_data(as_text=True)
    assert "Visits this month" not in home


def test_a_need_by_sms_without_the_household_is_corrected(place: Place) -> None:
    reply = _text(place.head, "需求 水管漏水")
    assert "3-2-501" in reply and _count(Need) == 0


def test_a_visit_through_the_twilio_webhook_is_answered_through_the_outbox(
    app: Any, client: FlaskClient, place: Place
) -> None:
    from twilio.request_validator import RequestValidator

    token, public = "visit-test-token", "https://linli.example.org"
    app.config.update(TWILIO_AUTH_TOKEN=token, PUBLIC_BASE_URL=public)
    try:
        form = {
            "MessageSid": "SM" + "7" * 32,
            "From": place.head.phone,
            "To": "+15005550006",
            "Body": "走访 3-2-501 好",
        }
        signature = RequestValidator(token).compute_signature(public + "/webhooks/twilio/sms", form)
        for _attempt in range(2):  # Twilio retries a webhook: the same visit is logged once
            response = client.post(
                "/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
            )
            assert response.status_code == 200
            assert response.get_data(as_text=True) == (
                '<?xml version="1.0" encoding="UTF-8"?><Response />'
            )
            run_jobs(app)
    finally:
        app.config.update(TWILIO_AUTH_TOKEN=None, PUBLIC_BASE_URL="http://127.0.0.1:8000")
    assert _count(Visit) == 1
    # The answer went out once, through the outbox, to the head's phone.
    [reply] = db.session.scalars(
        select(DevInboxMessage.body).where(DevInboxMessage.phone == place.head.phone)
    ).all()
    assert "3-2-501" in reply
