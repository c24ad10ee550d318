"""One safe redirect: a target from `next` or the Referer is a path of this site, or ignored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pwa.redirects import safe_target
from tests.support import latest_code

FALLBACK = "/fallback"

# Each would leave the site (or break the Location header) if followed.
HOSTILE = [
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "/\\/evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",  # browsers drop the tab: //evil.example/
    "/\r/evil.example/",
    "/\n/evil.example/",
    "/ok\r\nSet-Cookie: stolen=1",
    "/ok\nLocation: https://evil.example/",
    "/ok\x00",
    "/ok\x7f",
    "/ok\u2028x",  # a line separator
    "/\u200b/evil.example/",  # an invisible zero-width space
    "https://evil.example/",
    "http:/evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    " /area",
    "\t/area",
    "",
    "/" + "a" * 3000,
]
FRIENDLY = ["/", "/area", "/households/3?tab=visits#notes", "/c/abc/board", "/搜索?q=王"]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_fall_back(target: str) -> None:
    assert safe_target(target, FALLBACK) == FALLBACK


@pytest.mark.parametrize("target", [None, 42, b"/area"])
def test_non_text_falls_back(target: Any) -> None:
    assert safe_target(target, FALLBACK) == FALLBACK


@pytest.mark.parametrize("target", FRIENDLY)
def test_paths_of_this_site_are_followed(target: str) -> None:
    assert safe_target(target, FALLBACK) == target


def _lang(client: FlaskClient, **kw: Any) -> Any:
    return client.post("/lang", data={"lang": "en", **kw.pop("data", {})}, **kw)


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_never_follows_a_hostile_next(client: FlaskClient, target: str) -> None:
    response = _lang(client, data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_tab_payload_of_the_issue(client: FlaskClient) -> None:
    response = _lang(client, data={"next": "/\t/evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


@pytest.mark.parametrize("target", FRIENDLY)
def test_language_switch_goes_back_to_the_page(client: FlaskClient, target: str) -> None:
    response = _lang(client, data={"next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == target or location.startswith("/%E6%90%9C%E7%B4%A2"), location


@pytest.mark.parametrize(
    "referrer",
    [
        "https://evil.example/area",
        "http://localhost.evil.example/area",
        "http://localhost//evil.example/",
        "http://localhost/\t/evil.example/",
        "http://localhost/ok\r\nSet-Cookie: stolen=1",
        "/ok\nx",
        "//evil.example/",
    ],
)
def test_language_switch_never_follows_a_hostile_referer(
    client: FlaskClient, referrer: str
) -> None:
    # Through the environ: Werkzeug's test client refuses line breaks in header arguments.
    response = _lang(client, environ_base={"HTTP_REFERER": referrer})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_follows_a_referer_of_this_site(client: FlaskClient) -> None:
    response = _lang(client, headers={"Referer": "http://localhost/c/abc/board?x=1"})
    assert response.headers["Location"] == "/c/abc/board?x=1"


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_never_follows_a_hostile_next(
    app: Flask, client: FlaskClient, make: Any, target: str
) -> None:
    person = make.person()
    make.post(person, "secretary", community=make.community())
    response = client.post("/sign-in", data={"phone": person.phone, "next": target})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
    response = client.post(
        "/sign-in/code", data={"code": latest_code(person.phone), "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    # Signed in already: the sign-in page sends on at once, and just as carefully.
    response = client.get("/sign-in", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"


def test_sign_in_follows_a_path_of_this_site(client: FlaskClient, make: Any) -> None:
    person = make.person()
    make.post(person, "secretary", community=make.community())
    response = client.post("/sign-in", data={"phone": person.phone, "next": "/area?x=1"})
    response = client.post(
        "/sign-in/code", data={"code": latest_code(person.phone), "next": "/area?x=1"}
    )
    assert response.headers["Location"] == "/area?x=1"
