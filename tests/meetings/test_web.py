"""Meetings in the app: calling one through the confirmation (the count first), bad input that
keeps what was typed, the door page's one-tap marks and walk-ins, minutes and a suggestion made
a need in one tap, an invitee answering in /my/meetings, the "会议" command and HELP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEntry, Meeting, MeetingInvitee, Need, db
from models.clock import local, utcnow
from models.meetings import Reply
from services.meetings.operations import Invitees
from services.work_orders.audiences import Audience
from tests.meetings.test_meetings import World
from tests.support import sign_in
from tests.work_orders.test_work_orders import sms

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def _later(hours: int = 48) -> str:
    return local(utcnow() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _form(world: World, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "regular",
        "title": "一网格例会",
        "starts_at": _later(),
        "place": "社区二楼会议室",
        "agenda": "冬季防火",
        "grids": [str(world.grid1.id)],
        "partner_units": [str(world.unit.id)],
        "residents": [str(world.resident.id)],
    }
    data.update(kw)
    return data


def test_calling_shows_the_count_then_sends(client: FlaskClient, world: World) -> None:
    sign_in(client, world.secretary.phone)
    page = client.get("/meetings/new").get_data(as_text=True)
    assert 'hx-get="/meetings/reach"' in page and "Quarterly grid leaders" in page
    reach = client.get(
        "/meetings/reach",
        query_string={"grids": str(world.grid1.id), "residents": str(world.resident.id)},
    )
    assert "Invitees: 3." in reach.get_data(as_text=True)
    found = client.get("/meetings/residents", query_string={"q": "王奶"})
    assert "王奶奶" in found.get_data(as_text=True) and "李大爷" not in found.get_data(as_text=True)
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.subject_type == "meeting_residents")
    )
    first = client.post("/meetings/new", data=_form(world))
    text = first.get_data(as_text=True)
    assert first.status_code == 200 and "Invitees: 4." in text and 'value="4"' in text
    assert db.session.scalar(select(Meeting)) is None  # nothing yet: only the confirmation
    done = client.post("/meetings/new", data={**_form(world), "confirmed": "4"})
    assert done.status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert meeting is not None and len(meeting.invitees) == 4
    assert meeting.duration_minutes == 90  # the length offered first, sent by no field here
    detail = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "invitations sent: 4" in detail and "王奶奶" in detail and "区供电局（李工）" in detail


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Enter a title"),
        ({"place": ""}, "Enter the place"),
        ({"starts_at": "tomorrow"}, "is not a date and time"),
        ({"starts_at": _later(-2)}, "later than now"),
        ({"kind": "party"}, "kind of meeting"),
        ({"grids": [], "partner_units": [], "residents": []}, "Choose whom to invite"),
        ({"residents": ["abc"]}, "unknown choice"),
        ({"duration_minutes": "45"}, "how long the meeting lasts"),
        ({"duration_minutes": "一小时"}, "how long the meeting lasts"),
    ],
)
def test_bad_input_keeps_what_was_typed(
    client: FlaskClient, world: World, change: dict[str, Any], message: str
) -> None:
    sign_in(client, world.secretary.phone)
    response = client.post("/meetings/new", data=_form(world, agenda="议程保留", **change))
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and message in text
    assert "议程保留" in text
    assert db.session.scalar(select(Meeting)) is None


def test_a_grid_leader_cannot_invite_another_grids_resident(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, world.leader1.phone)
    page = client.get("/meetings/new").get_data(as_text=True)
    assert "Quarterly grid leaders" not in page
    response = client.post(
        "/meetings/new", data=_form(world, grids=[], residents=[str(world.far_resident.id)])
    )
    assert response.status_code == 422 and "not in your area" in response.get_data(as_text=True)
    assert (
        client.get("/meetings/residents", query_string={"q": "李大"})
        .get_data(as_text=True)
        .count("李大爷")
        == 0
    )


def _called(world: World, hours: float) -> Meeting:
    now = utcnow()
    return world.call(
        starts_at=now + timedelta(hours=hours),
        now=now - timedelta(days=1) if hours < 0 else now,
        today=local(now).date(),
    )


def test_the_door_marks_in_one_tap_and_adds_walk_ins(client: FlaskClient, world: World) -> None:
    meeting = _called(world, -0.5)  # began half an hour ago
    sign_in(client, world.secretary.phone)
    page = client.get(f"/meetings/{meeting.id}/door").get_data(as_text=True)
    assert "Present 0 · absent 0 · not yet 4" in page
    row = next(i for i in meeting.invitees if i.person_id == world.patroller.id)
    tapped = client.post(
        f"/meetings/{meeting.id}/invitees/{row.id}/present", headers={"HX-Request": "true"}
    )
    fragment = tapped.get_data(as_text=True)
    assert tapped.status_code == 200 and "<html" not in fragment
    assert "Present 1 · absent 0 · not yet 3" in fragment
    found = client.get(f"/meetings/{meeting.id}/door", query_string={"q": "李大爷"})
    assert "Came: mark present" in found.get_data(as_text=True)
    client.post(f"/meetings/{meeting.id}/walk-in", data={"resident": str(world.far_resident.id)})
    empty = client.post(f"/meetings/{meeting.id}/walk-in", data={"name": " "})
    assert empty.status_code == 422 and "Enter the name" in empty.get_data(as_text=True)
    client.post(f"/meetings/{meeting.id}/walk-in", data={"name": "张阿姨"})
    db.session.expire_all()
    rows = db.session.scalars(
        select(MeetingInvitee).where(MeetingInvitee.meeting_id == meeting.id)
    ).all()
    assert sorted(r.name for r in rows if r.walk_in) == ["张阿姨", "李大爷"]
    assert sum(r.present is True for r in rows) == 3


def test_minutes_and_a_suggestion_made_a_need(client: FlaskClient, world: World) -> None:
    meeting = _called(world, -1)
    sign_in(client, world.secretary.phone)
    bad = client.post(f"/meetings/{meeting.id}/minutes", data={"decisions": "决定保留"})
    assert bad.status_code == 422 and "决定保留" in bad.get_data(as_text=True)
    client.post(
        f"/meetings/{meeting.id}/minutes", data={"minutes": "通报走访", "decisions": "清理楼道"}
    )
    client.post(
        f"/meetings/{meeting.id}/suggestions",
        data={"text": "3号楼楼道灯坏了", "resident": str(world.resident.id)},
    )
    db.session.expire_all()
    suggestion = db.session.get(Meeting, meeting.id).suggestions[0]  # type: ignore[union-attr]
    done = client.post(
        f"/meetings/{meeting.id}/suggestions/{suggestion.id}/need", data={"category": "repairs"}
    )
    assert done.status_code == 302
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    need = db.session.scalar(select(Need))
    assert need is not None and need.category == "repairs" and need.source == "meeting"
    assert f"On the needs list: N{need.id}" in page and "通报走访" in page
    again = client.post(f"/meetings/{meeting.id}/suggestions/{suggestion.id}/need", data={})
    assert again.status_code == 422 and "already on the needs list" in again.get_data(as_text=True)


def test_an_invitee_answers_in_the_app(client: FlaskClient, world: World) -> None:
    meeting = _called(world, 48)
    sign_in(client, world.patroller.phone)
    page = client.get("/my/meetings").get_data(as_text=True)
    assert meeting.title in page and "No answer" in page
    row = next(i for i in meeting.invitees if i.person_id == world.patroller.id)
    response = client.post(f"/my/meetings/{row.id}/excused")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(MeetingInvitee, row.id).reply == Reply.EXCUSED  # type: ignore[union-attr]
    # Someone else's invitation is not theirs to answer.
    other = next(i for i in meeting.invitees if i.person_id == world.leader1.id)
    assert client.post(f"/my/meetings/{other.id}/attend").status_code == 404


def test_the_meetings_command_and_help(world: World) -> None:
    world.call(title="季度网格长例会", invitees=Invitees(audience=Audience(roles=("grid_leader",))))
    sms(world.leader1.phone, "1")
    assert sms(world.leader1.phone, "会议") == "您的会议：11-28 14:30 季度网格长例会（参加）"
    assert sms(world.patroller.phone, "HY") == "您近期没有要参加的会议。有新会议时会短信通知您。"
    assert "“会议”看会议" in sms(world.patroller.phone, "帮助")


def test_the_length_chosen_is_kept_through_the_confirmation(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, world.secretary.phone)
    page = client.get("/meetings/new").get_data(as_text=True)
    assert 'name="duration_minutes"' in page and 'value="90" selected' in page
    first = client.post("/meetings/new", data=_form(world, duration_minutes="120"))
    assert "2 hours" in first.get_data(as_text=True)
    done = client.post(
        "/meetings/new", data={**_form(world, duration_minutes="120"), "confirmed": "4"}
    )
    assert done.status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert meeting is not None and meeting.duration_minutes == 120
    assert "2 hours" in client.get(done.headers["Location"]).get_data(as_text=True)
