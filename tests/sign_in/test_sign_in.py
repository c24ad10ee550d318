"""Signing in with a phone and a one-time code; sessions that end on the server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import DevInboxMessage, SignInCode, UserSession, db
from tests.support import latest_code, sign_in


def _codes(phone: str) -> list[SignInCode]:
    return list(db.session.scalars(select(SignInCode).where(SignInCode.phone == phone)))


def _age_codes(phone: str, seconds: int) -> None:
    for row in _codes(phone):
        row.created_at -= timedelta(seconds=seconds)
        row.expires_at -= timedelta(seconds=seconds)
    db.session.commit()


def test_code_sent_to_known_phone_signs_in(client: FlaskClient, make: Any) -> None:
    c = make.community()
    person = make.person()
    make.post(person, "secretary", community=c)
    # Phones are typed in many ways: spaces, full-width digits, +86.
    response = client.post("/sign-in", data={"phone": "１３９ " + person.phone[6:]})
    assert response.status_code == 302
    code = latest_code(person.phone)
    row = _codes(person.phone)[0]
    assert code not in row.code_hash and len(row.code_hash) == 64  # stored hashed
    response = client.post("/sign-in/code", data={"code": code})
    assert response.status_code == 302
    assert client.get("/home").headers["Location"].endswith("/area")


def test_unknown_phone_gets_the_same_answer_and_no_sms(client: FlaskClient, make: Any) -> None:
    known = make.person()
    unknown = make.phone()
    r_known = client.post("/sign-in", data={"phone": known.phone})
    page_known = client.get(r_known.headers["Location"]).get_data(as_text=True)
    other = client.application.test_client()
    r_unknown = other.post("/sign-in", data={"phone": unknown})
    page_unknown = other.get(r_unknown.headers["Location"]).get_data(as_text=True)
    assert r_known.status_code == r_unknown.status_code == 302
    assert r_known.headers["Location"] == r_unknown.headers["Location"]
    strip = lambda page, phone: page.replace(phone[4:7], "").replace(phone[-4:], "")  # noqa: E731
    assert len(strip(page_known, known.phone)) == len(strip(page_unknown, unknown))
    sent = db.session.scalar(
        select(func.count(DevInboxMessage.id)).where(DevInboxMessage.phone == unknown)
    )
    assert sent == 0
    # Guessing codes for an unknown phone never signs anyone in.
    for guess in ("000000", "123456"):
        assert other.post("/sign-in/code", data={"code": guess}).status_code == 422


def test_resident_with_own_phone_can_sign_in(client: FlaskClient, make: Any) -> None:
    c = make.community()
    household = make.household(make.building(make.grid(c)))
    resident = make.resident(household, phone=make.phone())
    sign_in(client, resident.phone)
    assert client.get("/home").headers["Location"].endswith("/me")
    assert resident.name in client.get("/me").get_data(as_text=True)


def test_malformed_phones_get_a_clear_message(client: FlaskClient, make: Any) -> None:
    for bad in ("", "12345", "abcdefghijk", "1" * 40, "+86 100 0000 0000", "<script>"):
        response = client.post("/sign-in", data={"phone": bad})
        assert response.status_code == 422, bad
        page = response.get_data(as_text=True)
        assert 'role="alert"' in page
        assert "<script>" not in page.split("<main")[1]
    assert db.session.scalar(select(func.count(SignInCode.id))) == 0


def test_code_is_single_use(client: FlaskClient, make: Any) -> None:
    person = make.person()
    client.post("/sign-in", data={"phone": person.phone})
    code = latest_code(person.phone)
    assert client.post("/sign-in/code", data={"code": code}).status_code == 302
    client.post("/sign-out")
    other = client.application.test_client()
    with other.session_transaction() as session:
        session["pending_phone"] = person.phone
    assert other.post("/sign-in/code", data={"code": code}).status_code == 422


def test_code_expires_after_ten_minutes(client: FlaskClient, make: Any) -> None:
    person = make.person()
    client.post("/sign-in", data={"phone": person.phone})
    code = latest_code(person.phone)
    _age_codes(person.phone, 10 * 60 + 1)
    response = client.post("/sign-in/code", data={"code": code})
    assert response.status_code == 422
    assert "expired" in response.get_data(as_text=True).lower() or "过期" in response.get_data(
        as_text=True
    )


def test_five_wrong_tries_burn_the_code(client: FlaskClient, make: Any) -> None:
    person = make.person()
    client.post("/sign-in", data={"phone": person.phone})
    code = latest_code(person.phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post("/sign-in/code", data={"code": wrong}).status_code == 422
    assert _codes(person.phone)[0].attempts == 5
    # Even the right code is refused now.
    assert client.post("/sign-in/code", data={"code": code}).status_code == 422


def test_malformed_code_gets_a_clear_message(client: FlaskClient, make: Any) -> None:
    person = make.person()
    client.post("/sign-in", data={"phone": person.phone})
    for bad in ("", "12", "abcdef", "1234567890"):
        response = client.post("/sign-in/code", data={"code": bad})
        assert response.status_code == 422
        assert 'role="alert"' in response.get_data(as_text=True)
    # A malformed code is not counted as a wrong try.
    assert _codes(person.phone)[0].attempts == 0


def test_full_width_code_is_accepted(client: FlaskClient, make: Any) -> None:
    person = make.person()
    client.post("/sign-in", data={"phone": person.phone})
    code = latest_code(person.phone)
    wide = "".join(chr(0xFF10 + int(d)) for d in code)
    assert client.post("/sign-in/code", data={"code": wide}).status_code == 302


def test_sending_is_limited_per_phone(client: FlaskClient, make: Any) -> None:
    person = make.person()
    assert client.post("/sign-in", data={"phone": person.phone}).status_code == 302
    # A second code within the minute is refused with a clear message.
    again = client.post("/sign-in", data={"phone": person.phone})
    assert again.status_code == 422
    assert len(_codes(person.phone)) == 1
    # Five an hour.
    for _ in range(4):
        _age_codes(person.phone, 61)
        assert client.post("/sign-in", data={"phone": person.phone}).status_code == 302
    _age_codes(person.phone, 61)
    assert client.post("/sign-in", data={"phone": person.phone}).status_code == 422
    # Ten a day.
    _age_codes(person.phone, 3600)
    for _ in range(5):
        assert client.post("/sign-in", data={"phone": person.phone}).status_code == 302
        _age_codes(person.phone, 61)
    _age_codes(person.phone, 3600)
    assert client.post("/sign-in", data={"phone": person.phone}).status_code == 422
    assert len(_codes(person.phone)) == 10


def test_sending_is_limited_per_ip(app: Flask, client: FlaskClient, make: Any) -> None:
    app.config["SIGN_IN_IP_LIMIT"] = "3/hour"
    try:
        statuses = [
            client.post(
                "/sign-in", data={"phone": make.phone()}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
            ).status_code
            for _ in range(5)
        ]
    finally:
        app.config["SIGN_IN_IP_LIMIT"] = "10000/hour"
    assert statuses == [302, 302, 302, 429, 429]


def test_sign_out_ends_the_session_on_the_server(client: FlaskClient, make: Any) -> None:
    c = make.community()
    person = make.person()
    make.post(person, "secretary", community=c)
    sign_in(client, person.phone)
    with client.session_transaction() as session:
        copied = dict(session)
    client.post("/sign-out")
    assert client.get("/area").status_code == 302
    # A copy of the old cookie is worthless: the server ended the session.
    thief = client.application.test_client()
    with thief.session_transaction() as session:
        session.update(copied)
    assert thief.get("/area").status_code == 302
    live = db.session.scalar(select(UserSession).where(UserSession.ended_at.is_(None)))
    assert live is None


def test_staff_session_ends_after_thirty_idle_minutes(client: FlaskClient, make: Any) -> None:
    c = make.community()
    person = make.person()
    make.post(person, "staff", community=c)
    sign_in(client, person.phone)
    assert client.get("/area").status_code == 200
    session_row = db.session.scalar(select(UserSession))
    session_row.last_seen_at -= timedelta(minutes=29)
    db.session.commit()
    assert client.get("/area").status_code == 200  # activity keeps it alive
    session_row = db.session.scalar(select(UserSession))
    db.session.refresh(session_row)
    session_row.last_seen_at -= timedelta(minutes=31)
    db.session.commit()
    response = client.get("/area")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.scalar(select(UserSession)).ended_at is not None


def test_next_parameter_cannot_leave_the_site(client: FlaskClient, make: Any) -> None:
    person = make.person()
    client.post("/sign-in", data={"phone": person.phone, "next": "//evil.example/x"})
    response = client.post(
        "/sign-in/code", data={"code": latest_code(person.phone), "next": "https://evil.example"}
    )
    assert response.headers["Location"] == "/home"
