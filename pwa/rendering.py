"""One view, two renderings: a full page, or just its fragment for an htmx request."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def render(template: str, block: str | None = None, **context: Any) -> Response:
    """Render the page, or only `block` when htmx asks; say so in Vary for caches."""
    if block and request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body)
    response.headers["Vary"] = "HX-Request"
    return response
