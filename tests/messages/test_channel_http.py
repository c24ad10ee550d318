"""The Twilio SDK over notify.channels.twilio.http: same requests and errors as `requests`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from notify.channels.twilio.http import PooledHttpClient
from tests.fakes.twilio import FakeTwilio
from tests.support import free_port

TO = "+8613912345678"
FROM = "+15005550006"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


def _client(fake: FakeTwilio, timeout: float = 5.0) -> Client:
    client = Client(fake.account_sid, fake.auth_token, http_client=PooledHttpClient(timeout))
    client.api.base_url = fake.base_url
    return client


def test_create_and_fetch_a_message_through_the_sdk(twilio: FakeTwilio) -> None:
    client = _client(twilio)
    message = client.messages.create(
        to=TO,
        from_=FROM,
        body="【邻里】明天停水",
        validity_period=3600,
        status_callback="http://localhost/webhooks/twilio/status",
    )
    [sent] = twilio.wait_for(1)
    # The fake refuses unknown or misspelt parameters, so this is the SDK's own form.
    assert sent["body"] == "【邻里】明天停水" and sent["validity_period"] == 3600
    assert sent["status_callback"] == "http://localhost/webhooks/twilio/status"
    assert message.sid == sent["sid"] and message.num_segments == "1"
    assert client.messages(message.sid).fetch().to == TO
    # Keep-alive: later messages reuse the connection.
    for _ in range(3):
        client.messages.create(to=TO, from_=FROM, body="again")
    assert len(twilio.wait_for(4)) == 4


class _CountingSocket:
    """A socket that counts its writes and is otherwise the socket it wraps."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.writes: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


def test_a_request_goes_out_in_one_write_headers_and_body_together(twilio: FakeTwilio) -> None:
    http = PooledHttpClient(5.0)
    client = Client(twilio.account_sid, twilio.auth_token, http_client=http)
    client.api.base_url = twilio.base_url
    client.messages.create(to=TO, from_=FROM, body="first")  # opens the kept-alive connection
    [(pool, _full_url)] = http._pools.values()
    conn = pool.pool.queue[-1]  # type: ignore[union-attr]
    counting = _CountingSocket(conn.sock)
    conn.sock = counting
    client.messages.create(to=TO, from_=FROM, body="【邻里】明天停水")
    fetched = client.messages(twilio.wait_for(2)[1]["sid"]).fetch()  # a GET: no body

    post, get = counting.writes
    assert post.startswith(b"POST ")
    head, _, body = post.partition(b"\r\n\r\n")
    assert b"Content-Length: %d" % len(body) in head and b"Body=" in body
    assert get.startswith(b"GET ") and get.endswith(b"\r\n\r\n")
    assert fetched.body == "【邻里】明天停水"


def test_provider_errors_come_back_as_the_sdk_raises_them(twilio: FakeTwilio) -> None:
    client = _client(twilio)
    with pytest.raises(TwilioRestException) as bad_number:
        client.messages.create(to="+1", from_=FROM, body="x")
    assert bad_number.value.status == 400 and bad_number.value.code == 21211
    twilio.fail_next(1, 429)
    with pytest.raises(TwilioRestException) as throttled:
        client.messages.create(to=TO, from_=FROM, body="x")
    assert throttled.value.status == 429 and throttled.value.code == 20429
    assert twilio.messages == []


def test_network_failures_are_requests_errors(twilio: FakeTwilio) -> None:
    twilio.hang_next(1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        _client(twilio, timeout=0.3).messages.create(to=TO, from_=FROM, body="x")
    closed = Client("AC" + "0" * 32, "token", http_client=PooledHttpClient(1.0))
    closed.api.base_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(requests.exceptions.ConnectionError):
        closed.messages.create(to=TO, from_=FROM, body="x")


class _Proxy(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.seen.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"code": 20503, "message": "via proxy", "status": 503}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_proxy_settings_in_the_environment_are_honoured(
    twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.server_port}")
        with pytest.raises(TwilioRestException) as through_proxy:
            _client(twilio).messages.create(to=TO, from_=FROM, body="x")
        assert through_proxy.value.status == 503
        assert _Proxy.seen == [f"{twilio.base_url}/2010-04-01/Accounts/{twilio.account_sid}"
                               "/Messages.json"]  # fmt: skip
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        _client(twilio).messages.create(to=TO, from_=FROM, body="x")
        assert len(twilio.wait_for(1)) == 1
    finally:
        proxy.shutdown()
        proxy.server_close()
