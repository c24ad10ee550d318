"""A household that moved out and a resident who died: on record, off every list and message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AuditEntry, Building, Delivery, DeliveryState, Visit, Wish, db, utcnow
from models.clock import month_start
from notify import Message, send_later
from notify.commands import Inbound
from notify.dispatch import Dispatcher
from pwa import auth
from services.broadcasts.queries import Criteria, count_matching
from services.errors import DomainError, InvalidInput
from services.messages import outbox as outbox_page
from services.roster import areas
from services.roster import operations as roster
from services.visits import coverage, queries
from services.visits import operations as visits
from services.visits import reminders as visit_reminders
from services.wishes.commands import residents_of_sender
from tests.support import sign_in


@dataclass
class Place:
    community: Any
    grid: Any
    building: Any
    stays: Any  # a household that stays
    leaves: Any  # the household that moves out
    gran: Any  # a resident who dies, in the household that stays
    grandpa: Any  # her husband, alive
    mover: Any  # the resident of the household that moves out
    secretary: Any
    head: Any


@pytest.fixture
def place(make: Any) -> Place:
    c = make.community()
    grid = make.grid(c)
    building = make.building(grid, name="3号楼")
    stays = make.household(building, room="501", contact_phone="+8613900000001")
    leaves = make.household(building, room="502")
    gran = make.resident(
        stays,
        name="王奶奶",
        birth_year=1935,
        phone="+8613800000001",
        sms_consent=True,
        lives_alone=True,
    )
    grandpa = make.resident(stays, name="王爷爷", birth_year=1933, sms_consent=True)
    mover = make.resident(
        leaves, name="李先生", birth_year=1940, phone="+8613800000002", sms_consent=True
    )
    secretary = make.person(name="书记")
    make.post(secretary, "secretary", community=c)
    head = make.person(name="楼栋长")
    make.post(head, "building_head", community=c, building=building)
    return Place(c, grid, building, stays, leaves, gran, grandpa, mover, secretary, head)


def _visit(person: Any, household: Any) -> None:
    today = auth.today()
    data = visits.VisitInput(key=uuid.uuid4().hex, household_id=household.id, visited_on=today)
    visits.log_visit(
        data, by=person, area=queries.visit_area(person, today), today=today, now=utcnow()
    )
    db.session.commit()


def _mark(place: Place) -> None:
    today = auth.today()
    roster.mark_moved_out(place.leaves, on=today, today=today, by=place.secretary)
    roster.mark_deceased(place.gran, on=today, today=today, by=place.secretary)
    db.session.commit()


def test_coverage_counts_only_households_still_here(place: Place) -> None:
    _visit(place.head, place.leaves)  # visited this month, then moved out
    area = areas.Area(community_ids=frozenset({place.community.id}))
    month = month_start(auth.today())
    before = coverage.by(Building.id, area, month)[place.building.id]
    assert (before.visited, before.total) == (1, 2)
    _mark(place)
    after = coverage.by(Building.id, area, month)[place.building.id]
    assert (after.visited, after.total) == (0, 1)
    assert [h.id for h in coverage.to_visit(area, month)] == [place.stays.id]
    # The visit itself stays on record for the ledgers.
    assert db.session.scalar(select(func.count(Visit.id))) == 1


def test_broadcast_audience_leaves_out_the_dead_and_the_moved_out(place: Place) -> None:
    today = auth.today()
    criteria = Criteria(min_age=80)
    assert count_matching(place.community, criteria, today) == (3, 3)
    _mark(place)
    assert count_matching(place.community, criteria, today) == (1, 1)
    assert count_matching(place.community, Criteria(lives_alone=True), today) == (0, 0)


def test_the_heads_lists_and_search_forget_them_but_the_record_opens(
    client: FlaskClient, place: Place
) -> None:
    _mark(place)
    sign_in(client, place.head.phone)
    page = client.get(f"/buildings/{place.building.id}").get_data(as_text=True)
    assert "501" in page and "502" not in page
    assert "王奶奶" not in page and "王爷爷" in page
    found = client.get("/search?q=王").get_data(as_text=True)
    assert "王爷爷" in found and "王奶奶" not in found
    assert "李先生" not in client.get("/search?q=502").get_data(as_text=True)
    # Opened directly, the records are still there, marked.
    household = client.get(f"/households/{place.leaves.id}")
    assert household.status_code == 200 and "迁出" in household.get_data(as_text=True)
    resident = client.get(f"/residents/{place.gran.id}")
    assert resident.status_code == 200 and "去世" in resident.get_data(as_text=True)
    area = areas.area_of(place.head, auth.today())
    names = {r.name for r in db.session.scalars(areas.visible_residents(area))}
    assert names == {"王爷爷"}


def test_no_message_goes_to_them(app: Flask, place: Place) -> None:
    _mark(place)
    ids = send_later(
        Message(
            "notice", {"text": "周六义诊"}, batch_key="gone:1", community_id=place.community.id
        ),
        to=[place.gran, place.mover, place.grandpa],
    )
    db.session.commit()
    assert len(ids) == 1
    [delivery] = db.session.scalars(select(Delivery)).all()
    assert delivery.resident_id == place.grandpa.id


def test_a_message_queued_before_is_not_sent(app: Flask, place: Place) -> None:
    [delivery_id] = send_later(
        Message("notice", {"text": "周六义诊"}, batch_key="gone:2", urgent=True),
        to=[place.gran],
    )
    db.session.commit()
    _mark(place)
    Dispatcher({}, None).deliver([delivery_id], now=utcnow())
    db.session.expire_all()
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery.state == DeliveryState.SUPPRESSED and delivery.error_code == "gone"
    # And the outbox page refuses to send it again.
    delivery.state = DeliveryState.FAILED
    db.session.commit()
    with pytest.raises(DomainError, match="迁出或已故"):
        outbox_page.retry(delivery, by=place.secretary, now=utcnow())


def test_reminders_do_not_chase_a_moved_out_household(place: Place) -> None:
    _visit(place.head, place.stays)
    today = auth.today()
    at = datetime(today.year, today.month, 20, 9, 30, tzinfo=UTC) - timedelta(hours=8)
    _mark(place)
    sent = visit_reminders.send_reminders(at, visit_reminders.Schedule(20, 9, 25, 9))
    db.session.commit()
    assert sent.reminders == 0  # 501 visited; 502 moved out: nothing left to chase


def test_texts_from_them_no_longer_speak_for_the_household(place: Place) -> None:
    message = Inbound(
        channel="sms",
        address="+8613800000001",
        phone="+8613800000001",
        person=None,
        text="",
        normalized="",
        now=utcnow(),
    )
    assert [r.name for r in residents_of_sender(message)] == ["王奶奶"]
    _mark(place)
    assert residents_of_sender(message) == []


def test_a_deceased_residents_person_stops_volunteering(make: Any, place: Place) -> None:
    person = make.person(name="王奶奶", phone="+8613800000001")
    post = make.post(person, "observer", community=place.community, grid=place.grid)
    place.gran.person_id = person.id
    db.session.commit()
    _mark(place)
    db.session.expire_all()
    assert person.active is False and post.ends_on == auth.today()


def test_marks_refuse_the_future_and_twice_and_can_be_undone(place: Place) -> None:
    today = auth.today()
    with pytest.raises(InvalidInput, match="晚于今天"):
        roster.mark_moved_out(
            place.leaves, on=today + timedelta(days=1), today=today, by=place.secretary
        )
    _mark(place)
    with pytest.raises(InvalidInput):
        roster.mark_deceased(place.gran, on=today, today=today, by=place.secretary)
    roster.undo_moved_out(place.leaves, by=place.secretary)
    roster.undo_deceased(place.gran, by=place.secretary)
    db.session.commit()
    assert count_matching(place.community, Criteria(), today) == (3, 3)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"household.moved_out", "resident.deceased", "household.moved_back"} <= actions


def test_the_secretary_marks_them_after_a_confirmation(client: FlaskClient, place: Place) -> None:
    sign_in(client, place.secretary.phone)
    page = client.get(f"/households/{place.leaves.id}").get_data(as_text=True)
    assert '<details class="confirm">' in page and "确认标记为迁出" in page
    # An empty date is refused, and nothing changes.
    refused = client.post(f"/households/{place.leaves.id}/moved-out", data={"on": ""})
    assert refused.status_code == 302
    db.session.expire_all()
    assert place.leaves.moved_out_on is None
    done = client.post(
        f"/households/{place.leaves.id}/moved-out",
        data={"on": auth.today().isoformat()},
        follow_redirects=True,
    )
    assert "已标记为迁出" in done.get_data(as_text=True)
    db.session.expire_all()
    assert place.leaves.moved_out_on == auth.today()
    done = client.post(
        f"/residents/{place.gran.id}/deceased",
        data={"on": auth.today().isoformat()},
        follow_redirects=True,
    )
    assert "已标记为已故" in done.get_data(as_text=True)
    # A building head sees the records but may not mark them.
    client.post("/sign-out")
    sign_in(client, place.head.phone)
    assert (
        client.post(
            f"/residents/{place.grandpa.id}/deceased", data={"on": "2026-01-01"}
        ).status_code
        == 404
    )
    assert "确认标记为已故" not in client.get(f"/residents/{place.grandpa.id}").get_data(
        as_text=True
    )


def test_wishes_stay_with_a_moved_out_household(place: Place) -> None:
    wish = Wish(
        community_id=place.community.id,
        grid_id=place.grid.id,
        building_id=place.building.id,
        resident_id=place.mover.id,
        category="other",
        text="修水龙头",
        via="head",
    )
    db.session.add(wish)
    db.session.commit()
    _mark(place)
    assert db.session.get(Wish, wish.id) is not None
