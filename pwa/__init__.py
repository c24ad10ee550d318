"""The Linli web app: create_app() builds it for gunicorn, the CLI and the tests."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from models import db
from pwa import (
    audit_reads,
    auth,
    cli,
    compression,
    errors,
    features,
    figures_cache,
    i18n,
    labels,
    link_cards,
    rendering,
    security,
    static_files,
)
from pwa import config as config_module
from pwa.database import init_database
from pwa.extensions import csrf, limiter, migrate


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment; `overrides` replaces settings (tests use it)."""
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    app.config.update(config_module.load(instance, overrides))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:"):
        instance.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Behind n reverse proxies: the client's address, scheme and host come from the
        # X-Forwarded-* headers the last n proxies added (per-IP limits key on that address).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    # First registered, last run: these see every response as the other hooks left it.
    compression.init_app(app)
    static_files.init_app(app)
    init_database(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).resolve().parent.parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    rendering.init_app(app)
    link_cards.init_app(app)
    labels.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    audit_reads.init_app(app)
    figures_cache.init_app(app)

    features.install(app)

    errors.init_app(app)
    cli.init_app(app)
    return app
