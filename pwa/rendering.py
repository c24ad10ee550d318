"""One view, two renderings: a full page, or just its fragment for an htmx request."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block

from models import Photo


def render(template: str, block: str | None = None, **context: Any) -> Response:
    """Render the page, or only `block` when htmx asks; say so in Vary for caches."""
    if block and request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body)
    response.headers["Vary"] = "HX-Request"
    return response


def photo(picture: Photo) -> Response:
    """Serve a photo's bytes; the caller has already decided the viewer may see it."""
    response = Response(picture.data, mimetype=picture.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="photo-{picture.id}"'
    return response
