"""Local fakes of the messaging providers, served over real HTTP so clients run unchanged.

This module holds what both fakes share: a small asyncio HTTP/1.1 server with keep-alive that
runs in a background thread, the failure knobs (latency, injected errors, hanging requests)
and a helper that posts webhooks to the app. The providers live in `tests.fakes.twilio` and
`tests.fakes.telegram`; see tests/fakes/README.md.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import parse_qsl

__all__ = [
    "AppClient",
    "FakeServer",
    "Request",
    "Response",
    "WebhookResponse",
    "post_to_app",
    "wait_for_items",
]

# Limits that keep a broken client from making the fake buffer without bound.
_MAX_HEAD = 64 * 1024
_MAX_BODY = 8 * 1024 * 1024


@dataclass
class Request:
    """One parsed HTTP request as the fake's handler sees it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def form(self) -> dict[str, str]:
        """Return the query string and a form-encoded body merged (the body wins)."""
        pairs = parse_qsl(self.query, keep_blank_values=True)
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            pairs += parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)
        return dict(pairs)


@dataclass
class Response:
    """What a handler answers; the server adds the framing headers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Response:
        """Build a JSON response the way the providers format theirs."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(status, body, headers=headers)


@dataclass(frozen=True)
class WebhookResponse:
    """What the app answered to a webhook the fake posted (status None: no answer at all)."""

    status: int | None
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        """Parse the body as JSON."""
        return json.loads(self.text)


class AppClient(Protocol):
    """The part of Flask's test client used to post webhooks without a live server."""

    def post(self, url: str, *, data: bytes, headers: dict[str, str]) -> Any: ...


# No proxies: a proxy set in the environment would send loopback webhooks off this machine.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post_to_app(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    client: AppClient | None = None,
    timeout: float = 10.0,
) -> WebhookResponse:
    """POST a webhook to the app over HTTP, or through a Flask test client when one is given."""
    if client is not None:
        # Flask's test client takes the full URL, so the app sees the host the signature used.
        r = client.post(url, data=body, headers=headers)
        return WebhookResponse(r.status_code, r.get_data(as_text=True), dict(r.headers))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as r:
            return WebhookResponse(r.status, r.read().decode("utf-8", "replace"), dict(r.headers))
    except urllib.error.HTTPError as e:
        return WebhookResponse(e.code, e.read().decode("utf-8", "replace"), dict(e.headers))
    except (OSError, TimeoutError) as e:
        return WebhookResponse(None, str(e), {})


class FakeServer:
    """A provider fake: an asyncio HTTP/1.1 server on 127.0.0.1 in its own thread.

    Subclasses implement `handle` (called on the server thread with `self.lock` held, so it
    may touch shared state freely) and `failure` (the provider's shape for an injected error).
    Test code changes knobs from its own thread under the same lock.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        # Notified whenever a handler records something, for the wait_for helpers.
        self.changed = threading.Condition(self.lock)
        self.latency_seconds = 0.0
        self.requests_seen = 0
        self.crashes: list[str] = []  # tracebacks of handler bugs, answered as 500
        self._fail_queue: list[int] = []
        self._fail_until = 0.0
        self._fail_status = 503
        self._hangs = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._stopping: asyncio.Event | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = 0
        # Set before start() to serve HTTPS (tests.fakes.tls makes a certificate for it).
        self.ssl_context: ssl.SSLContext | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return the root URL clients should use, e.g. http://127.0.0.1:PORT."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Start serving on a free port; return self once the socket is listening."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._stopping = asyncio.Event()
                self._server = loop.run_until_complete(
                    asyncio.start_server(
                        self._serve,
                        "127.0.0.1",
                        0,
                        backlog=1024,
                        limit=_MAX_HEAD,
                        ssl=self.ssl_context,
                    )
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as e:  # surfaced to the caller of start()
                failure.append(e)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        """Close every connection (hung requests too) and stop the server thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            assert self._server is not None and self._stopping is not None
            self._stopping.set()
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- knobs -------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next n requests with an injected error of this HTTP status."""
        with self.lock:
            self._fail_queue.extend([status] * n)

    def fail_for(self, seconds: float, status: int = 503) -> None:
        """Answer every request with an injected error for the next `seconds`."""
        with self.lock:
            self._fail_until = time.monotonic() + seconds
            self._fail_status = status

    def hang_next(self, n: int = 1) -> None:
        """Read the next n requests and never answer them, so clients hit their timeouts."""
        with self.lock:
            self._hangs += n

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Block until predicate() holds (checked under the lock) or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{type(self).__name__}: timed out waiting for {what}")
                self.changed.wait(left)

    # -- for subclasses ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request; runs on the server thread with the lock held."""
        raise NotImplementedError

    def failure(self, request: Request, status: int) -> Response:
        """Answer an injected failure in the provider's error shape."""
        raise NotImplementedError

    def _injected_failure(self) -> int | None:
        if self._fail_queue:
            return self._fail_queue.pop(0)
        if time.monotonic() < self._fail_until:
            return self._fail_status
        return None

    # -- HTTP/1.1 ----------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request, keep_alive = await self._read_request(reader, writer)
                if request is None:
                    return
                response = await self._respond(request)
                if response is None:  # hung: hold the connection until the fake stops
                    assert self._stopping is not None
                    await self._stopping.wait()
                    return
                writer.write(self._frame(response, keep_alive))
                if writer.transport.get_write_buffer_size() > 64 * 1024:
                    await writer.drain()
                if not keep_alive:
                    await writer.drain()
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        except asyncio.CancelledError:
            # stop() cancels open connections. Ending quietly matters on Python 3.11, whose
            # start_server callback raises when it inspects a cancelled handler task.
            return
        finally:
            self._connections.discard(task)
            writer.close()

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[Request | None, bool]:
        try:
            # One read for the whole head: awaiting line by line costs a third of a request.
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None, False  # the client closed the connection between requests
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split()
        except ValueError:
            writer.write(self._frame(Response(400, b"bad request line", "text/plain"), False))
            return None, False
        headers: dict[str, str] = {}
        for h in lines[1:]:
            name, _, value = h.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._read_chunked(reader)
        else:
            length = int(headers.get("content-length", "0") or 0)
            if length > _MAX_BODY:
                return None, False
            body = await reader.readexactly(length) if length else b""
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
        path, _, query = target.partition("?")
        return Request(method.upper(), path, query, headers, body), keep_alive

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        body = bytearray()
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(body)
            body += await reader.readexactly(size)
            await reader.readline()
            if len(body) > _MAX_BODY:
                raise ConnectionError("body too large")

    async def _respond(self, request: Request) -> Response | None:
        with self.lock:
            self.requests_seen += 1
            if self._hangs:
                self._hangs -= 1
                return None
            latency = self.latency_seconds
        if latency > 0:
            # Sleeping on the loop delays this request only; others keep being served.
            await asyncio.sleep(latency)
        with self.changed:
            try:
                status = self._injected_failure()
                if status is not None:
                    return self.failure(request, status)
                return self.handle(request)
            except Exception:
                self.crashes.append(traceback.format_exc())
                return Response(500, b"fake crashed; see .crashes", "text/plain")
            finally:
                self.changed.notify_all()

    @staticmethod
    def _frame(response: Response, keep_alive: bool) -> bytes:
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Unknown"
        head = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
        ]
        head += [f"{k}: {v}" for k, v in response.headers.items()]
        if not keep_alive:
            head.append("Connection: close")
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body


def wait_for_items(
    server: FakeServer, items: Callable[[], list[Any]], count: int, timeout: float, what: str
) -> list[Any]:
    """Wait until items() has at least count entries; return a copy of them."""
    server.wait_until(lambda: len(items()) >= count, timeout, f"{count} {what}")
    with server.lock:
        return list(items())


def bench_arguments(prog: str, argv: list[str] | None) -> Any:
    """Parse a template provider fake's command line when it runs as a benchmark's process."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before answering")
    parser.add_argument("--rate", type=float, default=0.0, help="API calls/s allowed (0: any)")
    parser.add_argument("--report", help="write what was received here on stopping")
    return parser.parse_args(argv)


def serve_for_bench(
    fake: FakeServer, info: dict[str, str], report_to: str | None, report: Callable[[], Any]
) -> int:
    """Print `info` as one JSON line, serve until SIGTERM/SIGINT, then write `report()`."""
    import signal
    import sys

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    print(json.dumps(info), flush=True)
    while not stopping.wait(0.5):
        pass
    fake.stop()
    if report_to:
        with open(report_to, "w", encoding="utf-8") as out:
            json.dump(report(), out)
    sys.stdout.flush()
    return 0
