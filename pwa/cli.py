"""Flask CLI commands: `flask --app pwa <command>`."""

from __future__ import annotations

from flask import Flask

from pwa import demo, telegram_bot


def init_app(app: Flask) -> None:
    app.cli.add_command(demo.demo_command)
    app.cli.add_command(telegram_bot.telegram_cli)
