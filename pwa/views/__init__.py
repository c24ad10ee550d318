"""One blueprint per audience."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from pwa.views import (
        app_shell,
        auth,
        broadcasts,
        dev,
        head,
        health,
        outbox,
        public,
        resident,
        roster_import,
        secretary,
        sms,
        telegram,
        visits,
        volunteer,
        webhooks,
        wishes,
        work_orders,
    )

    for module in (
        public,
        app_shell,
        auth,
        dev,
        health,
        head,
        secretary,
        outbox,
        sms,
        roster_import,
        volunteer,
        resident,
        webhooks,
        telegram,
        wishes,
        visits,
        work_orders,
        broadcasts,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(work_orders.my_bp)
