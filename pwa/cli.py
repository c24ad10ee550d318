"""Flask CLI commands: `flask --app pwa <command>`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from pwa import demo, telegram_bot

    app.cli.add_command(demo.demo_command)
    app.cli.add_command(telegram_bot.telegram_cli)
