"""`flask --app pwa admin add|list`: the first administrators of a street or a community."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from models import db
from pwa import auth
from services import phones
from services.administration import operations, queries
from services.errors import DomainError

admin_cli = AppGroup("admin", help="Administrators of a street (街道) or a community.")


@admin_cli.command("add")
@click.option("--phone", required=True, help="Their mobile phone; they sign in with it.")
@click.option("--name", required=True, help="Their name, e.g. 张三.")
@click.option("--street", help="Administer this street (by name), created when missing.")
@click.option("--street-code", help="The street's URL-safe code when it is created.")
@click.option("--community", "community_code", help="Administer only this community (its code).")
def add_command(
    phone: str,
    name: str,
    street: str | None,
    street_code: str | None,
    community_code: str | None,
) -> None:
    """Make someone an administrator (a second run changes nothing)."""
    # Messages in the deployment's language, as the pages speak it.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            grant, added = operations.add_administrator(
                name=name,
                phone=phone,
                street=street,
                community_code=community_code,
                street_code=street_code,
                today=auth.today(),
            )
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        db.session.commit()
    where = grant.street.name if grant.street else grant.community.name if grant.community else ""
    person = grant.person
    state = "added" if added else "already held"
    click.echo(f"{person.name} {phones.display(person.phone)}: administrator of {where} ({state}).")
    click.echo("They sign in with this phone; the code comes by SMS.")


@admin_cli.command("list")
def list_command() -> None:
    """List the administrators in post."""
    rows = queries.all_grants(auth.today())
    if not rows:
        click.echo("No administrators yet: add one with `flask --app pwa admin add`.")
        return
    for grant in rows:
        if grant.street is not None:
            where = f"street {grant.street.name} ({grant.street.code})"
        else:
            community = grant.community
            where = f"community {community.name} ({community.code})" if community else ""
        person = grant.person
        click.echo(
            f"{person.name}\t{phones.display(person.phone)}\t{where}\t"
            f"since {grant.granted_at:%Y-%m-%d}"
        )
