"""gzip for text responses when the browser accepts it (brotli is not installed).

Pages, fragments, JSON and static text files over COMPRESS_MIN_BYTES are sent gzipped, with
`Vary: Accept-Encoding` so that no cache hands the gzipped body to a client that did not ask
for it. Streamed responses (server-sent events, exports written as they go), partial
responses and types that are compressed already (images, xlsx) are left alone. Static files
are compressed once per file version and kept in memory.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, request

from pwa import static_files

COMPRESS_MIN_BYTES = 500
# Level 6: about as small as 9 for HTML at a third of the CPU.
LEVEL = 6
TYPES = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "text/plain",
        "text/csv",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
    }
)


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


@lru_cache(maxsize=64)
def _static_gzip(path: Path, size: int, mtime_ns: int) -> bytes:
    del size, mtime_ns  # part of the key: a changed file is compressed again
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


def _static_body(response: Response) -> bytes | None:
    filename = (request.view_args or {}).get("filename")
    if not filename:
        return None
    path = static_files.locate(str(filename))
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    if stat.st_size != response.content_length:
        return None  # not the whole file (should not happen for a 200): leave it be
    return _static_gzip(path, stat.st_size, stat.st_mtime_ns)


def compress(response: Response) -> Response:
    """Gzip the response in place when it is worth it and the client accepts it."""
    if response.mimetype not in TYPES:
        return response
    response.vary.add("Accept-Encoding")
    if (
        request.method == "HEAD"
        or response.status_code != 200
        or "Content-Encoding" in response.headers
        or "Content-Range" in response.headers
        or not _accepts_gzip()
    ):
        return response
    if response.direct_passthrough:
        if request.endpoint != "static" or (response.content_length or 0) < COMPRESS_MIN_BYTES:
            return response
        body = _static_body(response)
        if body is None:
            return response
        close = getattr(response.response, "close", None)
        if close is not None:
            close()  # the file send_file opened
        response.direct_passthrough = False
        response.set_data(body)
        etag, _weak = response.get_etag()
        if etag:
            # Another representation of the same file: a weak tag still validates it.
            response.set_etag(etag, weak=True)
    elif response.is_streamed:
        return response
    else:
        data = response.get_data()
        if len(data) < COMPRESS_MIN_BYTES:
            return response
        response.set_data(gzip.compress(data, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    """Register before any other after_request hook: it must see the body as finally made."""
    app.after_request(compress)
