"""One blueprint per audience."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from pwa.views import (
        app_shell,
        auth,
        dev,
        head,
        health,
        public,
        resident,
        roster_import,
        secretary,
        volunteer,
        webhooks,
    )

    for module in (
        public,
        app_shell,
        auth,
        dev,
        health,
        head,
        secretary,
        roster_import,
        volunteer,
        resident,
        webhooks,
    ):
        app.register_blueprint(module.bp)
