"""Flask CLI commands: `flask --app pwa <command>`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from models import Community, db
from pwa import admin_cli, demo, telegram_bot
from services import phones
from services.errors import DomainError


@click.command("sms-number")
@click.argument("code")
@click.argument("number", required=False)
@click.option("--clear", is_flag=True, help="The community has no number of its own.")
@with_appcontext
def sms_number_command(code: str, number: str | None, clear: bool) -> None:
    """Set the SMS number residents text community CODE at (texts to it belong to it)."""
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None:
        raise click.ClickException(f"There is no community “{code}”.")
    if clear:
        community.sms_number = None
    else:
        if not number:
            raise click.ClickException("Give the number, or --clear.")
        try:
            normalized = phones.normalize(number)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        holder = db.session.scalar(select(Community).where(Community.sms_number == normalized))
        if holder is not None and holder.id != community.id:
            raise click.ClickException(f"{normalized} is already the number of “{holder.code}”.")
        community.sms_number = normalized
    db.session.commit()
    click.echo(f"{community.code}: {community.sms_number or 'no number of its own'}")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo.demo_command)
    app.cli.add_command(telegram_bot.telegram_cli)
    app.cli.add_command(sms_number_command)
    app.cli.add_command(admin_cli.admin_cli)
