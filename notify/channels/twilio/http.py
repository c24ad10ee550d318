"""A lean HTTP transport for provider SDKs: urllib3 directly, without requests on top.

The Twilio SDK sends through `requests` by default, which costs about 1.3 ms of CPU per
message on the 2-core machine (merging environment settings, preparing hooks, cookies
and proxies on every call); urllib3 underneath costs about 0.4 ms. At 1,000 SMS/s that
difference is most of a core. The SDK takes any `twilio.http.HttpClient`, so it is
still the SDK that builds and reads every request.

It behaves as the SDK's TwilioHttpClient does where it matters: no retries (a POST that
may have reached the provider is never sent twice here), no redirects, the same timeout
for connecting and reading, HTTP(S)_PROXY/NO_PROXY and REQUESTS_CA_BUNDLE honoured, and
network failures raised as requests' Timeout and ConnectionError, so callers keep
catching what they caught before.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import urllib.request
from typing import Any
from urllib.parse import urlencode, urlsplit

import certifi
import requests
import urllib3
from twilio.http import HttpClient
from twilio.http.response import Response
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_logger = logging.getLogger("twilio.http_client")
_Pool = urllib3.PoolManager | HTTPConnectionPool


def _ca_bundle() -> str:
    # As requests does: an explicit bundle from the environment, else certifi's.
    env = os.environ
    return env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or certifi.where()


class _OneWrite:
    """Send a request's headers and body in one write, not two.

    http.client writes the header block and the body separately. With TCP_NODELAY (urllib3's
    default) that is two packets and two wake-ups of the provider's server per message; at
    1,000 SMS/s the second write alone costs a good part of a core on a small machine.
    """

    _pending: bytes | None = None

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        # Called by endheaders(): keep the header block for the body's write.
        buffer: list[bytes] = self._buffer  # type: ignore[attr-defined]
        buffer.extend((b"", b""))
        self._pending = b"\r\n".join(buffer)
        del buffer[:]

    def send(self, data: Any) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and isinstance(data, bytes):
            data = pending + data
        elif pending is not None:
            super().send(pending)  # type: ignore[misc]
        super().send(data)  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)  # type: ignore[misc]
        pending, self._pending = self._pending, None
        if pending is not None:  # no body: the headers go alone
            super().send(pending)  # type: ignore[misc]


class _OneWriteHTTPConnection(_OneWrite, HTTPConnection):
    pass


class _OneWriteHTTPSConnection(_OneWrite, HTTPSConnection):
    pass


class PooledHttpClient(HttpClient):
    """A Twilio SDK HTTP client on urllib3 with keep-alive; one per sending thread."""

    def __init__(self, timeout: float | None = None, logger: logging.Logger = _logger) -> None:
        super().__init__(logger, False, timeout)
        self._proxies = urllib.request.getproxies()
        # (scheme, host:port) -> (pool, whether it wants the full URL: a proxy does)
        self._pools: dict[tuple[str, str], tuple[_Pool, bool]] = {}

    def _pool(self, url: str) -> tuple[_Pool, str]:
        """Return the keep-alive pool for this URL's host, and the request target to send."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        found = self._pools.get(key)
        if found is None:
            options: dict[str, Any] = {"maxsize": 1}
            if parts.scheme == "https":
                options["ca_certs"] = _ca_bundle()
            proxy = self._proxies.get(parts.scheme)
            if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
                found = (urllib3.ProxyManager(proxy, num_pools=4, **options), True)
            else:
                direct = urllib3.connection_from_url(f"{parts.scheme}://{parts.netloc}", **options)
                if isinstance(direct, HTTPSConnectionPool):
                    direct.ConnectionCls = _OneWriteHTTPSConnection
                else:
                    direct.ConnectionCls = _OneWriteHTTPConnection
                found = (direct, False)
            self._pools[key] = found
        pool, full_url = found
        if full_url:
            return pool, url
        return pool, f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send one request; return the SDK's Response or raise requests' network errors."""
        if timeout is None:
            timeout = self.timeout
        elif timeout <= 0:
            raise ValueError(timeout)
        headers = dict(headers or {})
        if self.logger.isEnabledFor(logging.INFO):
            self.log_request(
                {"method": method.upper(), "url": url, "params": params, "headers": headers}
            )
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"
        body: bytes | None = None
        if data is not None and method.upper() not in ("GET", "HEAD", "DELETE"):
            if headers.get("Content-Type") in ("application/json", "application/scim+json"):
                body = json.dumps(data).encode("utf-8")
            else:
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
                body = urlencode(data, doseq=True).encode("utf-8")
        try:
            pool, target = self._pool(url)
            answer = pool.urlopen(
                method.upper(),
                target,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
                retries=False,
                redirect=allow_redirects,
            )
        except urllib3.exceptions.NewConnectionError as error:  # refused, unreachable
            raise requests.ConnectionError(str(error)) from error
        except urllib3.exceptions.ConnectTimeoutError as error:
            raise requests.ConnectTimeout(str(error)) from error
        except urllib3.exceptions.TimeoutError as error:
            raise requests.ReadTimeout(str(error)) from error
        except urllib3.exceptions.HTTPError as error:
            raise requests.ConnectionError(str(error)) from error
        response = Response(answer.status, answer.data.decode("utf-8", "replace"), answer.headers)
        if self.logger.isEnabledFor(logging.INFO):
            self.logger.info("Response Status Code: %s", answer.status)
        self._test_only_last_response = response
        return response
