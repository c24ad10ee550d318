"""A signed-in person's first load of their home page: at most 50 KB over the network.

Counted as the browser counts it: CDP's Network.loadingFinished `encodedDataLength` (headers
and body as they came over the wire, gzipped) for every request of the page, and for every
request of the service worker it installs (Playwright reads the same event from the worker's
own target). A file the worker takes from the HTTP cache the page just filled costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Request

from tests.e2e.conftest import Visitor, World

LIMIT = 50 * 1024


@dataclass
class Transfers:
    page: dict[str, int] = field(default_factory=dict)
    worker: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.page.values()) + sum(self.worker.values())

    def describe(self) -> str:
        lines = [f"{n:>7,} B  page    {url}" for url, n in self.page.items()]
        lines += [f"{n:>7,} B  worker  {url}" for url, n in self.worker.items()]
        return "\n".join([*lines, f"{self.total:>7,} B  in all"])


def _first_load(visitor: Visitor, phone: str) -> Transfers:
    visitor.sign_in_quickly(phone)  # over the request API: nothing enters the browser's cache
    base = visitor.base_url
    seen = Transfers()
    urls: dict[str, str] = {}
    cdp = visitor.context.new_cdp_session(visitor.page)
    cdp.send("Network.enable")

    def sent(event: dict[str, Any]) -> None:
        urls[event["requestId"]] = event["request"]["url"].removeprefix(base)

    def finished(event: dict[str, Any]) -> None:
        url = urls.get(event["requestId"], event["requestId"])
        seen.page[url] = seen.page.get(url, 0) + int(event["encodedDataLength"])

    def worker_request(request: Request) -> None:
        if request.service_worker is None:
            return
        sizes = request.sizes()
        wire = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        response = request.response()
        if response is not None and sizes["responseBodySize"] == 0:
            # The worker's own script is reported without its body: count what was sent.
            wire += int(response.headers.get("content-length", "0"))
        url = request.url.removeprefix(base)
        seen.worker[url] = seen.worker.get(url, 0) + max(wire, 0)

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    visitor.context.on("requestfinished", worker_request)
    visitor.go("/home")
    visitor.wait_for_service_worker()  # active: its precache is complete
    visitor.page.wait_for_load_state("networkidle")
    return seen


@pytest.mark.parametrize("who", ["secretary", "resident"])
def test_first_load_of_home_is_at_most_50_kb(visitor: Visitor, world: World, who: str) -> None:
    seen = _first_load(visitor, world.people[who].phone)
    print(f"\nfirst load of /home as {who}:\n{seen.describe()}")
    assert any(url.startswith("/static/vendor/htmx.min.js") for url in seen.page), seen.describe()
    assert seen.total <= LIMIT, seen.describe()
    # The worker precached htmx and the stylesheet from the HTTP cache: no second download.
    for url, wire in seen.worker.items():
        if url.startswith(("/static/vendor/htmx", "/static/css/app.css")):
            assert wire < 1024, seen.describe()
