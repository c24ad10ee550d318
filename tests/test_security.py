"""Production settings, CSRF on forms and htmx, the CSP, escaping, the dev inbox kept out."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Post, db
from pwa import create_app
from pwa.config import ConfigError
from tests.support import RedisServer, latest_code, sign_in


@pytest.fixture
def production_app(app: Flask, redis_server: RedisServer) -> Flask:
    prod = create_app(
        {
            "LINLI_ENV": "production",
            "SECRET_KEY": "a-production-secret",
            "PUBLIC_BASE_URL": "https://linli.example.cn",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": redis_server.url,
        }
    )
    prod.config["TESTING"] = True
    return prod


def test_production_requires_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"LINLI_ENV": "production"})


def test_production_cookies_are_secure(production_app: Flask, make: Any) -> None:
    person = make.person()
    phone = person.phone
    db.session.commit()  # hold no lock: the production app is another app with its own session
    client = production_app.test_client()
    response = client.post("/sign-in", data={"phone": phone})
    # CSRF is on in production: without a token nothing is sent.
    assert response.status_code == 400
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"phone": phone, "csrf_token": token})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" in response.headers


def test_dev_inbox_cannot_be_reached_in_production(production_app: Flask) -> None:
    client = production_app.test_client()
    assert client.get("/dev/inbox").status_code == 404
    assert "/dev/inbox" not in client.get("/sign-in").get_data(as_text=True)


def test_csrf_guards_forms_and_htmx(app: Flask, client: FlaskClient, make: Any) -> None:
    c = make.community()
    secretary = make.person()
    make.post(secretary, "secretary", community=c)
    volunteer = make.person()
    post = make.post(volunteer, "patroller", community=c)
    sign_in(client, secretary.phone)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/secretary/posts/{post.id}/end")
        assert response.status_code == 400
        assert "Reload the page" in response.get_data(as_text=True) or "刷新" in response.get_data(
            as_text=True
        )
        db.session.expire_all()
        assert db.session.get(Post, post.id).ends_on is None
        page = client.get("/area").get_data(as_text=True)
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        response = client.post(
            f"/secretary/posts/{post.id}/end", headers={"X-CSRFToken": token, "HX-Request": "true"}
        )
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.get(Post, post.id).ends_on is not None


def test_strict_csp_on_every_page(client: FlaskClient, make: Any) -> None:
    c = make.community()
    for url in ("/", "/sign-in", f"/c/{c.code}/board", "/nope"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp
        body = response.get_data(as_text=True)
        # No inline scripts or handlers anywhere.
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert not re.search(r"\son[a-z]+=", body), url


def test_html_in_names_is_shown_escaped(client: FlaskClient, make: Any) -> None:
    c = make.community()
    grid = make.grid(c, name="<b>网格</b>")
    household = make.household(make.building(grid))
    person = make.person(name="<script>alert(1)</script>")
    make.post(person, "grid_leader", community=c, grid=grid)
    resident = make.resident(household, name="<img src=x onerror=alert(1)>")
    board = client.get(f"/c/{c.code}/board").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in board
    assert "<script>alert(1)" not in board
    sign_in(client, person.phone)
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert resident.name not in page


def test_unknown_board_is_404(client: FlaskClient) -> None:
    assert client.get("/c/nowhere/board").status_code == 404


def test_masked_phones_in_lists_full_on_the_record(client: FlaskClient, make: Any) -> None:
    c = make.community()
    grid = make.grid(c)
    household = make.household(make.building(grid))
    resident = make.resident(household, phone="+8613912345678")
    leader = make.person(phone="+8613800001234")
    make.post(leader, "grid_leader", community=c, grid=grid)
    board = client.get(f"/c/{c.code}/board").get_data(as_text=True)
    assert "138****1234" in board and "13800001234" not in board
    sign_in(client, leader.phone)
    listing = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "139****5678" in listing and "13912345678" not in listing
    record = client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert "13912345678" in record


def test_dev_inbox_shows_codes_in_development(client: FlaskClient, make: Any) -> None:
    person = make.person()
    client.post("/sign-in", data={"phone": person.phone})
    code = latest_code(person.phone)  # once the worker has sent it
    page = client.get(f"/dev/inbox?phone={person.phone[3:]}").get_data(as_text=True)
    assert code in page
    bad = client.get("/dev/inbox?phone=abc")
    assert bad.status_code == 200 and 'role="alert"' in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Post.id))) == 0


def test_pages_with_personal_data_are_not_cached(client: FlaskClient, make: Any) -> None:
    c = make.community()
    person = make.person()
    make.post(person, "secretary", community=c)
    assert client.get("/sign-in").headers.get("Cache-Control") != "no-store"
    sign_in(client, person.phone)
    assert client.get("/area").headers["Cache-Control"] == "no-store"
