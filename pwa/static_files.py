"""Static files under content-hashed URLs, kept by browsers for a year.

Every `url_for('static', filename=...)` (templates, the service worker's precache list, the
web manifest) gets `?v=<hash of the file's contents>`. A request carrying the file's current
hash is answered `immutable` for a year: a new deploy changes the hash, hence the URL, so no
browser keeps an old file. A request without it (or with an old hash) still gets the file,
cached for a few minutes only.
"""

from __future__ import annotations

import hashlib
import time
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from typing import Any

from flask import Flask, Response, current_app, request

HASH_ARG = "v"
HASH_LENGTH = 12
FOREVER = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"


@lru_cache(maxsize=256)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    # Keyed on size and mtime too: a file changed in place (development) gets a new hash.
    del size, mtime_ns
    return hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]


@lru_cache(maxsize=512)
def _locate(folder: str, filename: str) -> Path | None:
    # Resolving a path costs a system call per component: once per name, not per url_for.
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    return path if path.is_relative_to(root) else None


def locate(filename: str) -> Path | None:
    """Return the static file's path, or None if the name points outside the static folder."""
    return _locate(current_app.static_folder or "", filename)


# A file's hash is looked at again after this long: each page names five static files, and
# under a crowd each stat() (a release of the GIL) made its thread wait behind the others.
RECHECK_SECONDS = 2.0
_checked: dict[tuple[str, str], tuple[float, str | None]] = {}
_clock = time.monotonic  # tests move it on


def file_hash(filename: str) -> str | None:
    """Return the short hash of a static file's contents, or None if there is no such file.

    Looked at again at most every RECHECK_SECONDS: a file changed in place (development, or a
    deploy that replaces files before restarting) is seen a moment later.
    """
    key = (current_app.static_folder or "", filename)
    now = _clock()
    known = _checked.get(key)
    if known is not None and now - known[0] < RECHECK_SECONDS:
        return known[1]
    found = _hash_now(filename)
    _checked[key] = (now, found)
    return found


def _hash_now(filename: str) -> str | None:
    path = locate(filename)
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    if not S_ISREG(stat.st_mode):
        return None
    return _digest(path, stat.st_size, stat.st_mtime_ns)


def _add_hash(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != "static" or HASH_ARG in values:
        return
    digest = file_hash(str(values.get("filename", "")))
    if digest is not None:
        values[HASH_ARG] = digest


def _cache_headers(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 206, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    wanted = request.args.get(HASH_ARG)
    hashed = wanted is not None and wanted == file_hash(str(filename))
    response.headers["Cache-Control"] = FOREVER if hashed else SHORT
    return response


def init_app(app: Flask) -> None:
    """Register before any other after_request hook, so that these headers are the last word."""
    app.url_defaults(_add_hash)
    app.after_request(_cache_headers)
