"""The offline round: the pages of the visitor's own households, in one audited answer."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEntry, RolePermissions, db
from models.roles import DEFAULT_PERMISSIONS, Permission, Role
from pwa.views import visits as visit_views
from tests.support import sign_in
from tests.visits.test_visits import Place, build_place


def _round(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/visits/round", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = response.get_json()
    return body


def test_a_head_gets_the_pages_of_their_own_households_only(client: FlaskClient, make: Any) -> None:
    place: Place = build_place(make)
    sign_in(client, place.head.phone)
    body = _round(client)
    pages = body["pages"]
    mine = (place.h501.id, place.h601.id)
    expected = {"/visits", "/visits/log"}
    for household_id in mine:
        expected |= {f"/visits/log?household={household_id}", f"/visits/households/{household_id}"}
    assert set(pages) == expected
    # Each is the page itself, as it would be opened: the form with its household and residents.
    form = pages[f"/visits/log?household={place.h501.id}"]
    assert 'id="visit-form"' in form and "孙大爷" in form
    assert f'value="{place.h501.id}"' in form
    assert pages["/visits"].count('class="household') == 2
    # The round is named for this person and month, as every page of theirs names it.
    home = client.get("/visits").get_data(as_text=True)
    assert f'data-round="{body["round"]}"' in home
    assert body["round"].startswith(visit_views.auth.today().strftime("%Y-%m-"))

    db.session.rollback()
    read = db.session.scalar(select(AuditEntry).where(AuditEntry.subject_type == "offline round"))
    assert read is not None and read.actor_id == place.head.id
    for household_id in mine:
        assert f" household:{household_id} " in read.records
    for other in (place.h_neighbour.id, place.h_far.id):
        assert f" household:{other} " not in read.records


def test_the_round_is_bounded_unvisited_first(
    client: FlaskClient, make: Any, monkeypatch: Any
) -> None:
    place: Place = build_place(make)
    monkeypatch.setattr(visit_views, "ROUND_LIMIT", 1)
    sign_in(client, place.head.phone)
    kept = [p for p in _round(client)["pages"] if p.startswith("/visits/log?household=")]
    assert len(kept) == 1


def test_without_visit_notes_the_history_pages_stay_on_the_server(
    client: FlaskClient, make: Any
) -> None:
    place: Place = build_place(make)
    granted = sorted(p.value for p in DEFAULT_PERMISSIONS[Role.BUILDING_HEAD])
    db.session.add(
        RolePermissions(
            community_id=place.community.id,
            role=Role.BUILDING_HEAD.value,
            permissions=[p for p in granted if p != Permission.SEE_VISIT_NOTES.value],
        )
    )
    db.session.commit()
    sign_in(client, place.head.phone)
    pages = _round(client)["pages"]
    assert f"/visits/log?household={place.h501.id}" in pages
    assert not any(p.startswith("/visits/households/") for p in pages)


def test_a_different_person_or_nobody_names_another_round(client: FlaskClient, make: Any) -> None:
    place: Place = build_place(make)
    assert 'data-round=""' in client.get("/").get_data(as_text=True)
    # The cached offline page names none: the page script then leaves the round alone.
    assert "data-round" not in client.get("/offline").get_data(as_text=True)
    sign_in(client, place.head.phone)
    head_round = _round(client)["round"]
    client.post("/sign-out")
    sign_in(client, place.leader.phone)
    assert _round(client)["round"] != head_round
