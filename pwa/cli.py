"""Flask CLI commands: `flask --app pwa <command>`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from pwa import demo

    app.cli.add_command(demo.demo_command)
