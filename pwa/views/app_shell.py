"""The installable app shell: the web app manifest, the service worker and the offline page."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, url_for

bp = Blueprint("app_shell", __name__)

THEME_COLOR = "#b3261e"
BACKGROUND_COLOR = "#fbf8f6"
SW_SOURCE = "js/sw.js"
# Static files the service worker keeps for offline use. Only the shell: never a page or a
# fragment that could carry someone's personal data. The 512-pixel icons are not among them:
# only installing uses them, and the browser fetches them from the manifest then (8 KB less
# on a first visit).
SHELL_STATIC = (
    "css/app.css",
    "js/app.js",
    "vendor/htmx.min.js",
    "icons/icon-192.png",
)
# Templates whose text ends up in the cached offline page.
SHELL_TEMPLATES = ("offline.html", "base.html")
# Placeholders in sw.js that the view fills in.
VERSION_MARK = "__SHELL_VERSION__"
FILES_MARK = '"__SHELL_FILES__"'


def shell_version(files: Iterable[Path], extra: Iterable[bytes] = ()) -> str:
    """Return a short hash of the files' contents (and `extra`), used as the cache version."""
    digest = hashlib.sha256()
    for blob in (*(path.read_bytes() for path in files), *extra):
        digest.update(len(blob).to_bytes(8, "big"))
        digest.update(blob)
    return digest.hexdigest()[:16]


@lru_cache(maxsize=8)
def _cached_version(
    files: tuple[Path, ...], stamps: tuple[tuple[int, int], ...], extra: tuple[bytes, ...]
) -> str:
    # Keyed on sizes and mtimes, so a changed file gives a new version without rehashing the
    # shell on every request.
    del stamps
    return shell_version(files, extra)


def shell_files() -> list[Path]:
    """Return every file whose contents reach the cached shell: sources, templates, catalogs."""
    static = Path(current_app.static_folder or "")
    files = [static / SW_SOURCE, *(static / name for name in SHELL_STATIC)]
    loader = current_app.jinja_env.loader
    assert loader is not None
    for name in SHELL_TEMPLATES:
        _source, filename, _uptodate = loader.get_source(current_app.jinja_env, name)
        if filename:
            files.append(Path(filename))
    # The offline page is cached in the reader's language: new translations are a new shell.
    files += sorted(Path(current_app.root_path).glob("translations/*/LC_MESSAGES/*.mo"))
    return files


def current_shell_version() -> str:
    """Return the version of the app shell this deployment serves."""
    files = tuple(shell_files())
    stamps = tuple((stat.st_size, stat.st_mtime_ns) for stat in (f.stat() for f in files))
    manifest = json.dumps(manifest_data(), sort_keys=True).encode()
    return _cached_version(files, stamps, (manifest,))


def shell_urls() -> list[str]:
    """Return the URLs the service worker precaches."""
    return [
        url_for("app_shell.offline"),
        url_for("app_shell.manifest"),
        *(url_for("static", filename=name) for name in SHELL_STATIC),
    ]


def manifest_data() -> dict[str, Any]:
    """Return the web app manifest: what a phone needs to install Linli on its home screen."""

    def icon(name: str, size: int, purpose: str) -> dict[str, str]:
        return {
            "src": url_for("static", filename=f"icons/{name}"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }

    return {
        "id": "/",
        "name": "邻里 Linli",
        "short_name": "邻里",
        "description": "邻里：社区“两长N员”为民服务，邻里互助。",
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": "/home?source=pwa",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "icons": [
            icon("icon-192.png", 192, "any"),
            icon("icon-512.png", 512, "any"),
            icon("icon-maskable-512.png", 512, "maskable"),
        ],
        "prefer_related_applications": False,
    }


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """Serve the manifest with its own media type; the text is fixed, in Chinese."""
    body = json.dumps(manifest_data(), ensure_ascii=False, indent=1)
    response = Response(body, content_type="application/manifest+json; charset=utf-8")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """Serve the service worker from the root, so that it controls every page."""
    static = Path(current_app.static_folder or "")
    source = (static / SW_SOURCE).read_text(encoding="utf-8")
    source = source.replace(VERSION_MARK, current_shell_version()).replace(
        FILES_MARK, json.dumps(shell_urls())
    )
    response = Response(source, content_type="application/javascript; charset=utf-8")
    # Browsers also cap this at 24 hours; no-cache makes every update check see a deploy.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline() -> Any:
    """Explain, in plain words, that there is no connection and what still works."""
    # The service worker caches this page for everyone on the device: render it as for a
    # stranger, so that no name ends up in the cache.
    # No round name either: the page script leaves the offline round's cache alone here.
    return render_template("offline.html", current_person=None, offline_round=None)
