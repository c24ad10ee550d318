"""Static files under content-hashed URLs (pwa/static_files.py), kept for a year."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from pwa import static_files

STATIC = Path(__file__).resolve().parent.parent / "pwa" / "static"


def test_every_static_url_carries_the_hash_of_its_contents(app: Flask) -> None:
    with app.test_request_context():
        url = url_for("static", filename="css/app.css")
        again = url_for("static", filename="css/app.css")
        htmx = url_for("static", filename="vendor/htmx.min.js")
    assert url == again  # stable between calls
    match = re.fullmatch(r"/static/css/app\.css\?v=([0-9a-f]{12})", url)
    assert match
    assert htmx.split("?v=")[1] != match.group(1)


def test_the_hash_changes_with_the_contents(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "static"
    shutil.copytree(STATIC / "css", folder / "css")
    css = folder / "css" / "app.css"
    clock = [1000.0]
    monkeypatch.setattr(static_files, "_clock", lambda: clock[0])
    with app.test_request_context():
        saved = app.static_folder
        app.static_folder = str(folder)
        try:
            before = static_files.file_hash("css/app.css")
            assert before == static_files.file_hash("css/app.css")
            css.write_text(css.read_text() + "\n.new { color: #000; }\n")
            # Looked at again only after a moment: within it, the hash it had.
            clock[0] += static_files.RECHECK_SECONDS / 2
            assert static_files.file_hash("css/app.css") == before
            clock[0] += static_files.RECHECK_SECONDS
            changed = static_files.file_hash("css/app.css")
            assert changed is not None and changed != before
            assert url_for("static", filename="css/app.css").endswith(f"?v={changed}")
            # Outside the folder or missing: no hash, and url_for adds nothing.
            assert static_files.file_hash("../static/css/app.css") == changed
            assert static_files.file_hash("../../etc/passwd") is None
            assert static_files.file_hash("css/none.css") is None
            assert url_for("static", filename="css/none.css") == "/static/css/none.css"
        finally:
            app.static_folder = saved


def test_hashed_urls_are_immutable_unhashed_ones_short(client: FlaskClient, app: Flask) -> None:
    with app.test_request_context():
        hashed = url_for("static", filename="vendor/htmx.min.js")
    response = client.get(hashed)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    plain = client.get("/static/vendor/htmx.min.js")
    assert plain.status_code == 200 and plain.data == response.data
    assert plain.headers["Cache-Control"] == "public, max-age=300"

    old = client.get("/static/vendor/htmx.min.js?v=000000000000")
    assert old.status_code == 200
    assert old.headers["Cache-Control"] == "public, max-age=300"

    assert client.get("/static/css/none.css?v=000000000000").status_code == 404


def test_static_files_are_cacheable_for_people_signed_in(client: FlaskClient, make) -> None:  # type: ignore[no-untyped-def]
    from tests.support import sign_in

    community = make.community()
    person = make.person()
    make.post(person, "secretary", community=community)
    sign_in(client, person.phone)
    page = client.get("/area", follow_redirects=True)
    assert page.headers["Cache-Control"] == "no-store"  # the page itself: personal
    html = page.get_data(as_text=True)
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        assert "?v=" in url, url
        response = client.get(url)
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
