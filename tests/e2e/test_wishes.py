"""Micro-wishes in the browser, against real gunicorn with CSRF on: post with a photo, claim,
and a 50 MB photo refused with a clear message (in the page before sending, and by the server)."""

from __future__ import annotations

import html
import socket
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Browser
from sqlalchemy import select

from models import Person, Photo, Resident, Wish, db
from models.base import writing
from services.wishes import operations as wishes
from tests.e2e.conftest import CSRF_RE, LiveServer, Visitor, World, new_visitor
from tests.e2e.test_accessibility import AxeAudit


def _wish_count() -> int:
    db.session.rollback()  # a fresh snapshot: the server wrote through its own connection
    return len(db.session.scalars(select(Wish.id)).all())


def test_post_with_a_photo_then_a_volunteer_claims_it(
    visitor: Visitor, world: World, chromium: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    picture = tmp_path / "tap.jpg"
    Image.new("RGB", (3000, 2000), (90, 140, 200)).save(picture, format="JPEG")
    visitor.sign_in_quickly(world.people["resident"].phone)
    visitor.go("/me/wishes")
    page = visitor.page
    page.select_option("#w-category", "repair")
    page.fill("#w-text", "厨房水龙头漏水 <b>急</b>")
    page.set_input_files("#w-photo", str(picture))
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    assert page.url.endswith("/me/wishes")
    text = page.locator("main").inner_text()
    assert "厨房水龙头漏水 <b>急</b>" in text  # shown as typed, not as markup
    db.session.rollback()
    wish = db.session.scalar(select(Wish))
    assert wish is not None and wish.photo is not None
    assert (wish.photo.width, wish.photo.height) == (1600, 1067)
    wish_id = wish.id

    volunteer = new_visitor(chromium, live_server)
    try:
        volunteer.sign_in_quickly(world.people["patroller"].phone)
        volunteer.go("/wall")
        wall = volunteer.page
        assert "孙桂兰" not in wall.content()
        with wall.expect_navigation():
            wall.click(f"a[href='/wall/{wish_id}']")
        photo = wall.locator("img.wish-photo")
        assert photo.count() == 1
        assert wall.evaluate("(img) => img.naturalWidth", photo.element_handle()) == 1600
        with wall.expect_navigation():
            wall.click("form[action$='/claim'] button")
        details = wall.locator("main").inner_text()
        assert "孙桂兰" in details and "501" in details
        assert volunteer.console_errors == []
    finally:
        volunteer.context.close()


def test_a_50_mb_photo_is_refused_in_the_page_and_by_the_server(
    visitor: Visitor, world: World, tmp_path: Path
) -> None:
    big = tmp_path / "huge.jpg"
    with big.open("wb") as out:
        out.write(b"\xff\xd8\xff\xe0")
        out.truncate(50 * 1024 * 1024)
    visitor.sign_in_quickly(world.people["resident"].phone)
    visitor.go("/me/wishes")
    page = visitor.page
    page.select_option("#w-category", "repair")
    page.fill("#w-text", "楼道灯坏了")
    page.set_input_files("#w-photo", str(big))
    error = page.locator("#w-photo-error")
    error.wait_for(state="visible")
    assert "10 MB" in error.inner_text()
    page.click("form.stack button[type=submit]")
    page.wait_for_timeout(300)
    assert page.url.endswith("/me/wishes") and _wish_count() == 0

    # Without the page's script (an old browser, a script): the server refuses it on its
    # declared length and answers at once with a page that says why, before the body is sent.
    form = visitor.context.request.get(f"{visitor.base_url}/me/wishes")
    token = CSRF_RE.search(form.text())
    assert token
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in visitor.context.cookies())
    boundary = "linliboundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{html.unescape(token.group(1))}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="photo"; filename="huge.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    size = 50 * 1024 * 1024
    host, port = visitor.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as conn:
        conn.sendall(
            (
                "POST /me/wishes HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\n"
                f"Cookie: {cookies}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {size}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            + head
            + b"\xff" * 65536  # the first of 50 MB; the rest is never needed
        )
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line, status_line
    assert "10 MB" in rest.decode("utf-8", "replace")
    db.session.rollback()
    assert _wish_count() == 0
    assert db.session.scalar(select(Photo.id)) is None


def test_wish_pages_have_no_accessibility_violations(
    chromium: Browser, live_server: LiveServer, world: World, make: Any
) -> None:
    from sqlalchemy import select as sql_select

    # Transactions that begin IMMEDIATE: the live server's worker writes meanwhile, and
    # SQLite refuses to turn an older read into a write ("database is locked", seen in CI).
    db.session.rollback()  # a read begun before would not begin IMMEDIATE
    with writing():
        resident = db.session.get(Resident, world.resident_id)
        assert resident is not None
        open_wish = wishes.post_wish(
            resident=resident, category="repair", text="楼道灯坏了", by=None, via="sms"
        )
        answered = wishes.post_wish(
            resident=resident, category="errand", text="帮忙取快递", by=None, via="sms"
        )
        db.session.commit()
        patroller = db.session.scalar(
            sql_select(Person).where(Person.phone == world.people["patroller"].phone)
        )
        wishes.claim(answered, by=patroller)
        wishes.fulfil(answered, by=patroller, note="已送到家")
        db.session.commit()
    checks = {
        "resident": ["/me/wishes"],
        "patroller": ["/wall", f"/wall/{open_wish.id}", f"/wall/{answered.id}"],
        "secretary": [
            "/area/wishes",
            "/area/wishes/stats",
            f"/area/residents/{world.resident_id}/wish",
            f"/c/{world.community_code}/echo",
        ],
    }
    report: list[str] = []
    for role, paths in checks.items():
        visitor = new_visitor(chromium, live_server)
        try:
            audit = AxeAudit(visitor)
            visitor.sign_in_quickly(world.people[role].phone)
            for path in paths:
                audit.check(path)
            report += audit.report
            assert visitor.console_errors == [], visitor.console_errors
        finally:
            visitor.context.close()
    assert not report, "accessibility violations:\n" + "\n".join(report)
