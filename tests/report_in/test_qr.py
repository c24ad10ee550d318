"""The community's report-in QR code: an SVG made here that holds the whole join address.

No QR decoder is installed, so the test reads the served SVG's path back into modules and
compares them with segno's own matrix for the address the code must hold: a code of another
address (or of a path without the host) differs in its modules.
"""

from __future__ import annotations

import re
from typing import Any

import segno
from flask import Flask
from flask.testing import FlaskClient

from services.report_in.qr import BORDER
from tests.report_in.conftest import World
from tests.support import sign_in

PUBLIC = "https://linli.example.org"


def modules_of(svg: str) -> set[tuple[int, int]]:
    """The dark modules an SVG's path draws: "M x y.5" starts a row, "hN" draws N modules,
    "m dx dy" moves (segno's path language, one unit a module)."""
    [path] = re.findall(r'class="qrline"[^>]* d="([^"]+)"', svg)
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for i in range(int(a)):
                dark.add((int(x) + i, int(y)))
            x += int(a)
    return dark


def matrix_modules(url: str) -> set[tuple[int, int]]:
    code = segno.make_qr(url, error="m")
    return {
        (col + BORDER, row + BORDER)
        for row, line in enumerate(code.matrix)
        for col, bit in enumerate(line)
        if bit
    }


def test_the_qr_code_holds_the_public_join_address(
    app: Flask, client: FlaskClient, world: World
) -> None:
    app.config["PUBLIC_BASE_URL"] = PUBLIC
    try:
        response = client.get("/join/xf/qr.svg")
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:8000"
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "viewBox" in svg and "<script" not in svg
    assert modules_of(svg) == matrix_modules(f"{PUBLIC}/join/xf")
    assert modules_of(svg) != matrix_modules(f"{PUBLIC}/join/other")
    assert modules_of(svg) != matrix_modules("/join/xf")


def test_without_a_public_address_the_code_holds_this_servers(
    app: Flask, client: FlaskClient, world: World
) -> None:
    app.config["PUBLIC_BASE_URL"] = ""
    try:
        svg = client.get("/join/xf/qr.svg").get_data(as_text=True)
        page = client.get("/join/xf")
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:8000"
    assert page.status_code == 200
    assert modules_of(svg) == matrix_modules("http://localhost/join/xf")


def test_an_unknown_community_has_no_code(client: FlaskClient, world: World) -> None:
    assert client.get("/join/nowhere/qr.svg").status_code == 404


def test_the_poster_the_list_and_the_liaisons_page_show_the_code(
    client: FlaskClient, world: World, make: Any
) -> None:
    sign_in(client, world.secretary.phone)
    poster = client.get(f"/report-in/poster?community={world.community.id}")
    text = poster.get_data(as_text=True)
    assert poster.status_code == 200
    assert 'src="/join/xf/qr.svg"' in text and "http://127.0.0.1:8000/join/xf" in text
    assert "扫描二维码" in text and "报到 单位名 姓名" in text
    assert "暂无二维码" not in text
    assert 'src="/join/xf/qr.svg"' in client.get("/report-in").get_data(as_text=True)
    client.post("/auth/sign-out")
    sign_in(client, world.liaison.phone)
    mine = client.get("/my/unit").get_data(as_text=True)
    assert 'src="/join/xf/qr.svg"' in mine and "报到 区供电局 姓名" in mine
