"""The app that jobs run in: built once per worker process, one app context per job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

from models.base import writing

_app: Flask | None = None


def get_app() -> Flask:
    """Return this process's app, building it from the environment on first use."""
    global _app
    if _app is None:
        from pwa import create_app

        _app = create_app()
    return _app


@contextmanager
def job_context() -> Iterator[Flask]:
    """Run a job inside a fresh app context, so its database session ends with the job."""
    # Under an app already in use (a test, a CLI command) reuse it rather than build another.
    app: Flask = current_app._get_current_object() if has_app_context() else get_app()  # type: ignore[attr-defined]
    # Jobs write: their SQLite transactions begin IMMEDIATE (see models.base.write_intent).
    with app.app_context(), writing():
        yield app
