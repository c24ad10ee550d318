"""One view, two renderings: a full page, or just its fragment for an htmx request."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, make_response, render_template, request
from jinja2_fragments.flask import render_block

from models import Photo
from services.privacy import mask_personal_numbers


def init_app(app: Flask) -> None:
    """Register the template filters every feature's pages share.

    `mask_numbers`: free text shown on a public or volunteer-facing page (the echo wall, the
    problem wall, a volunteer's work orders, the notice board) with its phone and ID-card
    numbers masked; pages for those who may see the resident show the text as typed.
    """
    app.jinja_env.filters["mask_numbers"] = mask_personal_numbers


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
