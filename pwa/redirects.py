"""Where a redirect taken from the request may go: only a path on this site.

Every redirect whose target comes from the request (a `next` field or parameter, the Referer
header) is decided here. A browser reads `//host`, `/\\host` and `/<tab>/host` (it drops tab,
CR and LF from URLs) as another site, and a line break in a Location header is refused by
Werkzeug with a 500: all of these, schemes and hosts fall back to a page of ours.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import request

# Longer than any path of ours with its query; longer values are not followed.
MAX_LENGTH = 2048
# Control characters (tab, CR, LF, NUL, ...), invisible formatting and line/paragraph
# separators: none belongs in a path, and browsers drop or reinterpret some of them.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _is_clean(value: str) -> bool:
    return not any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value)


def safe_target(value: object, fallback: str) -> str:
    """Return value when it is a path on this site (one leading "/"), else fallback."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return fallback
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return fallback
    if not _is_clean(value):
        return fallback
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return fallback
    return value


def back_target(form_next: object, fallback: str) -> str:
    """Return where to go back to: a `next` field, else the Referer of this site, else fallback.

    A Referer is a full URL; it counts only when it names this very site (scheme and host),
    and then only its path and query are used. A bare path (some clients send one) is held to
    the same rule as `next`.
    """
    if form_next:
        return safe_target(form_next, fallback)
    referrer = request.headers.get("Referer", "")
    if referrer.startswith("/"):
        return safe_target(referrer, fallback)
    origin = request.host_url  # "https://host/" as this request reached us
    if referrer and referrer.startswith(origin) and _is_clean(referrer):
        return safe_target("/" + referrer.removeprefix(origin), fallback)
    return fallback
