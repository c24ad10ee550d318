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
from services.tallies import operations as tallies


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


@click.group("tallies")
def tallies_cli() -> None:
    """The per-building tallies the street's pages add up."""


@tallies_cli.command("rebuild")
@click.option("--community", "code", help="Only this community (its code); every one if left out.")
@with_appcontext
def tallies_rebuild_command(code: str | None) -> None:
    """Count the tallies again from households and visits (after a bulk load or a repair)."""
    ids = None
    if code is not None:
        community = db.session.scalar(select(Community).where(Community.code == code))
        if community is None:
            raise click.ClickException(f"There is no community “{code}”.")
        ids = [community.id]
    buildings, months = tallies.rebuild(ids)
    db.session.commit()
    click.echo(f"Counted again: {buildings} buildings, {months} building-months.")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo.demo_command)
    app.cli.add_command(telegram_bot.telegram_cli)
    app.cli.add_command(sms_number_command)
    app.cli.add_command(admin_cli.admin_cli)
    app.cli.add_command(tallies_cli)
