"""The app that jobs run in: built once per worker process, one app context per job."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

from models.base import writing

_app: Flask | None = None
# Jobs run inside the web app's configuration, but tasks sits below pwa and never imports
# it: the factory is named, as gunicorn names it, and looked up once per process.
APP_FACTORY = os.environ.get("LINLI_APP_FACTORY", "pwa:create_app")


def get_app() -> Flask:
    """Return this process's app, building it from the environment on first use."""
    global _app
    if _app is None:
        module, _, name = APP_FACTORY.partition(":")
        _app = getattr(importlib.import_module(module), name)()
    return _app


@contextmanager
def job_context() -> Iterator[Flask]:
    """Run a job inside a fresh app context, so its database session ends with the job."""
    # Under an app already in use (a test, a CLI command) reuse it rather than build another.
    app: Flask = current_app._get_current_object() if has_app_context() else get_app()  # type: ignore[attr-defined]
    # Jobs write: their SQLite transactions begin IMMEDIATE (see models.base.write_intent).
    with app.app_context(), writing():
        yield app
