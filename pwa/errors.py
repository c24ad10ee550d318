"""Error pages that say what happened in plain words, as a page or as an htmx fragment."""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from services.errors import DomainError, NotFound


def _page(status: int, title: str, message: str) -> Any:
    template = "_error.html" if request.headers.get("HX-Request") else "error.html"
    response = render_template(template, status=status, title=title, message=message)
    return response, status, {"Vary": "HX-Request"}


def refusal(message: str) -> Any:
    """Return the page that says a change was refused, and why (as for a DomainError)."""
    return _page(400, _("Cannot do that"), message)


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def _domain_not_found(error: NotFound) -> Any:
        return _page(404, _("Not found"), _("There is no such page or record here."))

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Any:
        return refusal(error.message)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        return _page(
            400,
            _("Please try again"),
            _("The form had expired or came from elsewhere. Reload the page and send it again."),
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        code = error.code or 500
        if code == 401:
            return redirect(url_for("auth.sign_in_form"))
        messages = {
            404: (_("Not found"), _("There is no such page or record here.")),
            405: (_("Not allowed"), _("This address does not take that kind of request.")),
            413: (
                _("File too large"),
                _("The file is larger than 10 MB. Split it or remove pictures, then try again."),
            ),
            429: (_("Too many requests"), _("Too many attempts. Please wait and try again.")),
        }
        title, message = messages.get(code, (_("Something went wrong"), error.description or ""))
        return _page(code, title, message)
