"""gzip for text responses (pwa/compression.py): when, what, and what is left alone."""

from __future__ import annotations

import gzip
import re

from flask import Flask, Response
from flask.testing import FlaskClient

from pwa import compression

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_are_gzipped_when_the_browser_accepts_it(client: FlaskClient) -> None:
    plain = client.get("/sign-in")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    zipped = client.get("/sign-in", headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    body = gzip.decompress(zipped.data)
    assert body.startswith(b"<!doctype html>")
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(body)


def test_a_client_that_refuses_gzip_gets_plain_text(client: FlaskClient) -> None:
    response = client.get("/sign-in", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"<!doctype html>")


def test_static_text_is_gzipped_images_are_not(client: FlaskClient) -> None:
    urls = _static_urls(client.get("/offline").get_data(as_text=True))
    css = next(u for u in urls if "app.css" in u)
    htmx = next(u for u in urls if "htmx" in u)
    icon = next(u for u in urls if u.endswith(".png") or ".png?" in u)
    for url in (css, htmx):
        plain = client.get(url)
        zipped = client.get(url, headers=GZIP)
        assert zipped.headers["Content-Encoding"] == "gzip", url
        assert gzip.decompress(zipped.data) == plain.data
        assert len(zipped.data) < len(plain.data) / 2
        assert zipped.headers["Vary"] == "Accept-Encoding"
        # The gzipped file is another representation: its validator is weak, still usable.
        assert zipped.headers["ETag"].startswith('W/"')
        again = client.get(url, headers={**GZIP, "If-None-Match": zipped.headers["ETag"]})
        assert again.status_code == 304
    png = client.get(icon, headers=GZIP)
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert "Content-Encoding" not in png.headers


def test_small_bodies_and_json_sizes(client: FlaskClient) -> None:
    small = client.get("/healthz", headers=GZIP)
    assert len(small.data) < compression.COMPRESS_MIN_BYTES
    assert "Content-Encoding" not in small.headers
    manifest = client.get("/manifest.webmanifest", headers=GZIP)
    assert manifest.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(manifest.data).decode().lstrip().startswith("{")


def test_partial_responses_are_left_alone(client: FlaskClient) -> None:
    urls = _static_urls(client.get("/offline").get_data(as_text=True))
    url = next(u for u in urls if "htmx" in u)
    part = client.get(url, headers={**GZIP, "Range": "bytes=0-999"})
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert len(part.data) == 1000


def test_streamed_and_compressed_responses_are_left_alone(app: Flask) -> None:
    with app.test_request_context("/", headers=GZIP):

        def chunks() -> list[bytes]:
            return [b"data: x\n\n" * 100]

        streamed = Response(iter(chunks()), mimetype="text/html")
        assert compression.compress(streamed) is streamed
        assert "Content-Encoding" not in streamed.headers
        assert streamed.is_streamed

        already = Response(gzip.compress(b"x" * 5000), mimetype="text/plain")
        already.headers["Content-Encoding"] = "gzip"
        before = already.get_data()
        compression.compress(already)
        assert already.get_data() == before

        xlsx = Response(b"PK" + b"\0" * 5000, mimetype="application/vnd.ms-excel")
        compression.compress(xlsx)
        assert "Content-Encoding" not in xlsx.headers
        assert "Accept-Encoding" not in xlsx.vary
