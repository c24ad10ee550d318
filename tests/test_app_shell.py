"""The app shell without a browser: manifest, service worker, offline page, files, headers."""

from __future__ import annotations

import json
import re
import shutil
import struct
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from pwa.views import app_shell

STATIC = Path(__file__).resolve().parent.parent / "pwa" / "static"
HASHED = re.compile(r"(/static/[^?\"]+)\?v=[0-9a-f]{12}")


def _unhashed(url: str) -> str:
    """A static URL without its content hash (pwa/static_files.py adds it to every one)."""
    match = HASHED.fullmatch(url)
    assert match or not url.startswith("/static/"), url
    return match.group(1) if match else url


def test_manifest(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "邻里 Linli"
    assert manifest["short_name"] == "邻里"
    assert manifest["start_url"] == "/home?source=pwa"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#b3261e"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    assert manifest["lang"] == "zh-CN"
    assert manifest["description"]
    icons = {(_unhashed(i["src"]), i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert icons == {
        ("/static/icons/icon-192.png", "192x192", "any"),
        ("/static/icons/icon-512.png", "512x512", "any"),
        ("/static/icons/icon-maskable-512.png", "512x512", "maskable"),
    }
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_pages_link_the_manifest_and_the_app_script(client: FlaskClient) -> None:
    html = client.get("/sign-in").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert re.search(r'src="/static/js/app\.js\?v=[0-9a-f]{12}"', html)
    assert re.search(r'src="/static/vendor/htmx\.min\.js\?v=[0-9a-f]{12}"', html)
    assert "//cdn" not in html and "unpkg" not in html
    assert 'register("/sw.js", { scope: "/" })' in (STATIC / "js" / "app.js").read_text()


def test_service_worker_is_served_from_the_root_uncached(client: FlaskClient) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    # Served from "/", so its default scope is the whole site; no wider scope is claimed.
    assert "Service-Worker-Allowed" not in response.headers
    body = response.get_data(as_text=True)
    assert "__SHELL_VERSION__" not in body and "__SHELL_FILES__" not in body
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', body)
    assert version
    files = json.loads(re.search(r"const SHELL = (\[.*?\]);", body).group(1))  # type: ignore[union-attr]
    assert [_unhashed(url) for url in files] == [
        "/offline",
        "/manifest.webmanifest",
        "/static/css/app.css",
        "/static/js/app.js",
        "/static/vendor/htmx.min.js",
        "/static/icons/icon-192.png",
    ]
    for url in files:
        assert client.get(url).status_code == 200, url


def test_service_worker_version_is_stable_between_requests(client: FlaskClient) -> None:
    first = client.get("/sw.js").get_data(as_text=True)
    assert first == client.get("/sw.js").get_data(as_text=True)


def test_version_changes_when_a_precached_file_changes(tmp_path: Path) -> None:
    copies = []
    for name in app_shell.SHELL_STATIC:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(STATIC / name, target)
        copies.append(target)
    before = app_shell.shell_version(copies)
    assert before == app_shell.shell_version(copies)

    css = tmp_path / "css" / "app.css"
    css.write_text(css.read_text() + "\n.new-rule { color: #000; }\n")
    changed = app_shell.shell_version(copies)
    assert changed != before

    # Moving bytes from one file to the next is a change too.
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"xy")
    b.write_bytes(b"z")
    split1 = app_shell.shell_version([a, b])
    a.write_bytes(b"x")
    b.write_bytes(b"yz")
    assert app_shell.shell_version([a, b]) != split1


def test_deployed_version_covers_templates_and_worker(app: Flask) -> None:
    with app.test_request_context():
        files = app_shell.shell_files()
        version = app_shell.current_shell_version()
    pwa = Path(app.root_path)
    names = {path.relative_to(pwa).as_posix() for path in files}
    assert {
        "static/js/sw.js",
        "static/css/app.css",
        "static/js/app.js",
        "static/vendor/htmx.min.js",
        "static/icons/icon-192.png",
        "templates/offline.html",
        "templates/base.html",
    } <= names
    assert re.fullmatch(r"[0-9a-f]{16}", version)


def test_offline_page(client: FlaskClient) -> None:
    response = client.get("/offline")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="card narrow offline"' in html
    assert "<h1" in html
    assert re.search(r'href="/static/css/app\.css\?v=[0-9a-f]{12}"', html)


def test_offline_page_carries_no_personal_data(client: FlaskClient, make) -> None:  # type: ignore[no-untyped-def]
    from tests.support import sign_in

    community = make.community()
    person = make.person(name="王红梅")
    make.post(person, "secretary", community=community)
    sign_in(client, person.phone)
    assert "王红梅" in client.get("/area", follow_redirects=True).get_data(as_text=True)
    html = client.get("/offline").get_data(as_text=True)
    assert "王红梅" not in html
    assert 'class="who"' not in html


def test_htmx_is_vendored_at_2_0_11() -> None:
    source = (STATIC / "vendor" / "htmx.min.js").read_text()
    assert 'version:"2.0.11"' in source
    assert "Zero-Clause BSD" in (STATIC / "vendor" / "htmx.LICENSE").read_text()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_icons_are_pngs_of_the_right_size() -> None:
    icons = STATIC / "icons"
    assert _png_size(icons / "icon-192.png") == (192, 192)
    assert _png_size(icons / "icon-512.png") == (512, 512)
    assert _png_size(icons / "icon-maskable-512.png") == (512, 512)


def test_pages_send_a_strict_csp(client: FlaskClient) -> None:
    for path in ("/sign-in", "/offline", "/sw.js"):
        csp = client.get(path).headers["Content-Security-Policy"]
        directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
        assert directives["script-src"] == ["'self'"], path
        assert directives["style-src"] == ["'self'"], path
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert directives["worker-src"] == ["'self'"]
        assert directives["manifest-src"] == ["'self'"]


def test_templates_have_no_inline_script_or_style() -> None:
    templates = Path(__file__).resolve().parent.parent / "pwa" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline <script> in {path}"
        assert not re.search(r"\sstyle=", text), f"style attribute in {path}"
        assert not re.search(r"\son[a-z]+=", text), f"inline event handler in {path}"
        assert "<style" not in text, f"<style> in {path}"


def test_the_stylesheet_s_blocks_are_closed() -> None:
    """Every { has its }: a block left open (a merge can drop a closing brace) swallows every
    rule after it, and browsers say nothing."""
    css = re.sub(r"/\*.*?\*/", "", (STATIC / "css" / "app.css").read_text(), flags=re.S)
    depth = 0
    for number, line in enumerate(css.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"app.css: a '}}' with no block open, line {number} (comments removed)"
    assert depth == 0, f"app.css: {depth} block(s) never closed"


def test_every_class_in_the_templates_is_styled() -> None:
    templates = Path(__file__).resolve().parent.parent / "pwa" / "templates"
    css = (STATIC / "css" / "app.css").read_text()
    styled = set(re.findall(r"\.([a-zA-Z][\w-]*)", re.sub(r"/\*.*?\*/", "", css, flags=re.S)))
    used: dict[str, str] = {}
    for path in templates.rglob("*.html"):
        for attr in re.findall(r'class="([^"{]*)"', path.read_text()):
            for name in attr.split():
                used.setdefault(name, path.name)
    missing = {name: where for name, where in used.items() if name not in styled}
    assert not missing, f"classes with no rule in app.css: {missing}"
