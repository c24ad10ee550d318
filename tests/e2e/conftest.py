"""Browser tests: a real gunicorn serving the app, driven by Debian's chromium through Playwright.

The server and the browser live for the whole session; each test builds its own data with the
`make` factories and gets a fresh browser context (cookies, storage, service workers).
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Response,
    sync_playwright,
)

from tests.processes import rq_worker
from tests.support import RedisServer, free_port

E2E_QUEUE = "linli-e2e"

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CODE_RE = re.compile(r"(\d{6})")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SMS_BODY_RE = re.compile(r'<span class="sms-body">(.*?)</span>', re.S)


def _says(response: Any) -> str:
    """Return the plain text of a page's message (<main>), for assertion messages."""
    main = re.search(r"<main[^>]*>(.*?)</main>", response.text(), re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main.group(1) if main else "")).split())[
        :300
    ]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.path.as_posix():
            item.add_marker(pytest.mark.e2e)


@dataclass
class LiveServer:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_until_serving(url: str, proc: subprocess.Popen[bytes], seconds: float) -> bool:
    # The port opens before the workers have imported the app: wait for a real answer.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="package")
def gunicorn_process(
    app: Flask, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Start gunicorn on a free port against the tests' database and Redis (CSRF on, dev inbox).

    It is not serving yet when this returns: `live_server` waits for it.
    """
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = dict(
        os.environ,
        # The `app` fixture has set DATABASE_URL and migrated that database.
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=redis_server.url,
        SECRET_KEY="e2e-secret-key",
        LINLI_ENV="development",
        # Every test signs in from 127.0.0.1: the per-IP limit is not under test here.
        SIGN_IN_IP_LIMIT="10000/hour",
        # Its own queue, served by its own worker, so the unit tests' in-process jobs and
        # this session-long worker never take each other's work.
        RQ_QUEUE=E2E_QUEUE,
    )
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                gunicorn,
                "--no-control-socket",
                "-w",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "-",
                "pwa:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=f"http://127.0.0.1:{port}", log=log, proc=proc)
    worker_log = log.with_name("worker.log")
    try:
        # Sign-in codes go out through the queue: a real worker sends them to the dev inbox.
        # Package-scoped, so it is gone before other tests count workers or blocked clients.
        with rq_worker(redis_server.url, worker_log, queue=E2E_QUEUE):
            yield server
    finally:
        if proc.poll() is None:
            # SIGINT is gunicorn's quick shutdown; SIGTERM would wait for idle browser sockets.
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture(scope="package")
def live_server(gunicorn_process: LiveServer, chromium: Browser) -> LiveServer:
    """Return the running server, once its workers answer."""
    # Taking `chromium` here launches the browser while the workers import the app.
    server = gunicorn_process
    if not _wait_until_serving(f"{server.url}/offline", server.proc, 30):
        raise RuntimeError(f"gunicorn did not start:\n{server.log_tail()}")
    return server


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    """One headless Debian chromium for the session (browsers cannot be downloaded here)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class Visitor:
    """A person at a browser: one fresh context, its first tab, and what went wrong on it."""

    context: BrowserContext
    page: Page
    server: LiveServer
    console_errors: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.url

    def go(self, path: str) -> Response:
        """Open a page; a server error fails at once, with the server's log."""
        response = self.page.goto(self.base_url + path)
        assert response is not None, path
        if response.status >= 500:
            pytest.fail(f"{path}: HTTP {response.status}\n{self.server.log_tail()}")
        return response

    def overflow(self) -> int:
        """How many pixels the page is wider than its screen.

        Measured once the document is complete: right after a click that navigates, the old
        document is gone and the new one may not be parsed yet (no documentElement).
        """
        measured = self.page.wait_for_function(
            "() => document.readyState === 'complete' && document.documentElement"
            " ? {wide: document.documentElement.scrollWidth"
            " - document.documentElement.clientWidth} : null"
        )
        return int(measured.json_value()["wide"])

    def fits(self, where: str) -> None:
        """Fail if the page is wider than the phone's screen."""
        wide = self.overflow()
        assert wide <= 0, f"{where} is {wide}px wider than a 360px phone"

    def sign_in(self, phone: str) -> None:
        """Sign in as a person does: phone, submit, read the SMS in the dev inbox, type the code."""
        page = self.page
        self.go("/sign-in")
        page.fill("#phone", phone)
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")
        assert page.url.startswith(self.base_url + "/sign-in/code"), page.url
        page.fill("#code", self.code_from_inbox(phone))
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")

    def sign_in_quickly(self, phone: str) -> None:
        """Sign in over HTTP with the context's cookies: the same forms, without rendering them.

        For tests about other pages; the sign-in pages themselves are tested through the browser.
        """
        request = self.context.request
        form = request.get(f"{self.base_url}/sign-in")
        token = CSRF_RE.search(form.text())
        assert token, "no CSRF token on /sign-in"
        sent = request.post(
            f"{self.base_url}/sign-in",
            form={"csrf_token": html.unescape(token.group(1)), "phone": phone, "next": ""},
        )
        # The page's own words go in the message: a 400 here was seen once under heavy load
        # and could not be told apart (CSRF or a refusal) from the status alone.
        assert sent.ok and sent.url.endswith("/sign-in/code"), (sent.status, sent.url, _says(sent))
        checked = request.post(
            f"{self.base_url}/sign-in/code",
            form={
                "csrf_token": html.unescape(token.group(1)),
                "code": self.code_from_inbox(phone),
                "next": "",
            },
        )
        assert checked.ok and "/sign-in" not in checked.url, (
            checked.status,
            checked.url,
            _says(checked),
        )

    def code_from_inbox(self, phone: str) -> str:
        """Read the newest code for the phone from the development inbox page."""
        # The context's request client shares the browser's cookies and skips rendering.
        # The code goes out through the queue and a worker: give it a moment to arrive.
        # Newest first; another message (a meeting's invitation, a reminder) may have come
        # after the code, so the newest one carrying a code is taken.
        deadline = time.monotonic() + 15
        while True:
            response = self.context.request.get(
                f"{self.base_url}/dev/inbox", params={"phone": phone}
            )
            assert response.ok, response.status
            bodies = [html.unescape(m.group(1)) for m in SMS_BODY_RE.finditer(response.text())]
            codes = [c.group(1) for c in map(CODE_RE.search, bodies) if c]
            if codes or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert bodies, f"no SMS for {phone} in the development inbox"
        assert codes, f"no code in the SMS for {phone}: {bodies!r}"
        return codes[0]

    def wait_for_service_worker(self) -> None:
        """Wait until this origin's service worker is installed and active."""
        self.page.wait_for_function(
            "() => navigator.serviceWorker.ready.then((r) => r.active.state === 'activated')"
        )


def new_visitor(
    browser: Browser, server: LiveServer, *, locale: str = "zh-CN", **options: Any
) -> Visitor:
    """Open a fresh context (its own cookies, caches and service workers) and a tab in it."""
    context = browser.new_context(locale=locale, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    visitor = Visitor(context=context, page=page, server=server)

    def on_console(message: Any) -> None:
        if message.type == "error":
            visitor.console_errors.append(message.text)

    page.on("console", on_console)
    return visitor


@pytest.fixture
def visitor(chromium: Browser, live_server: LiveServer) -> Iterator[Visitor]:
    """A fresh Chinese-speaking browser context (the default language of the app)."""
    visitor = new_visitor(chromium, live_server)
    yield visitor
    visitor.context.close()


@dataclass(frozen=True)
class Someone:
    name: str
    phone: str


@dataclass(frozen=True)
class World:
    """One community with a person in every kind of role; plain values, read once."""

    community_code: str
    community_name: str
    grid_id: int
    grid_name: str
    building_id: int
    building_label: str
    household_id: int
    resident_id: int
    people: dict[str, Someone]


@pytest.fixture
def world(make: Any) -> World:
    community = make.community(name="幸福社区", code="xingfu", district="华州区")
    grid = make.grid(community, name="第一网格", number=1)
    building = make.building(grid, compound="幸福小区", name="3号楼")
    household = make.household(
        building, unit="2", floor=5, room="501", contact_name="孙敏", contact_phone=make.phone()
    )
    resident_phone = make.phone()
    resident = make.resident(
        household,
        name="孙桂兰",
        birth_year=1944,
        phone=resident_phone,
        has_smartphone=True,
        sms_consent=True,
    )
    make.resident(
        household, name="孙大爷", birth_year=1938, lives_alone=True, care_flags=["独居", "高龄"]
    )
    make.household(building, unit="2", floor=6, room="601")
    people = {"resident": Someone("孙桂兰", resident_phone)}
    posts = [
        ("secretary", "王红梅", {}),
        ("staff", "赵敏", {}),
        ("grid_leader", "陈建国", {"grid": grid}),
        ("building_head", "刘芳", {"building": building}),
        ("patroller", "张伟", {"grid": grid}),
    ]
    for role, name, where in posts:
        person = make.person(name=name)
        make.post(person, role, community=community, duties=f"{name}的职责", **where)
        people[role] = Someone(name, person.phone)
    return World(
        community_code=community.code,
        community_name=community.name,
        grid_id=grid.id,
        grid_name=grid.name,
        building_id=building.id,
        building_label=building.label,
        household_id=household.id,
        resident_id=resident.id,
        people=people,
    )


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """A request context whose transactions begin DEFERRED, unlike the unit tests' one.

    Here a browser drives a separate server while the test holds the session: an IMMEDIATE
    transaction would keep that server waiting for the SQLite lock.
    """
    from models import db

    with app.test_request_context():
        yield
        db.session.remove()
