"""`flask --app pwa demo`: load the demo community (新丰路社区) into an empty database."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from models import db
from pwa import auth
from services.roster import demo as demo_data
from services.roster.demo import DEMO_PHONES

__all__ = ["DEMO_PHONES", "demo_command", "demo_phones"]


def demo_phones() -> dict[str, str]:
    """Return the demo sign-in phones, role label → E.164 phone."""
    return dict(DEMO_PHONES)


def phones_text() -> str:
    """Return the sign-in phones as lines for a terminal."""
    width = max(len(label) for label in DEMO_PHONES)
    lines = ["Sign in with one of these phones (the code appears in the dev inbox, /dev/inbox):"]
    lines += [f"  {label:<{width}}  {phone}" for label, phone in DEMO_PHONES.items()]
    return "\n".join(lines)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any community exists.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load the demo community."""
    if demo_data.is_loaded():
        click.echo(f"The demo community “{demo_data.COMMUNITY_CODE}” is already loaded.")
        click.echo(phones_text())
        return
    if if_empty and demo_data.any_community():
        click.echo("The database already holds a community; the demo was not loaded.")
        return
    # Duties are stored as text: write them in the language the demo community speaks.
    try:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            summary = demo_data.load(auth.today())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(
        f"Loaded {summary.community}: {summary.grids} grids, {summary.buildings} buildings, "
        f"{summary.households} households, {summary.residents} residents "
        f"({summary.aged_70_plus} aged 70+, {summary.without_phone} without a phone, "
        f"{summary.without_smartphone} without a smartphone), {summary.people} people holding "
        f"{summary.posts} posts ({summary.n_members} N members), "
        f"{summary.partner_units} partner units."
    )
    click.echo(phones_text())
