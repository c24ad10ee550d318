"""`flask --app pwa demo`: load the demo community (新丰路社区) into an empty database."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from models import db
from models.base import refresh_statistics
from pwa import auth, features
from services.roster import demo as roster_demo
from services.roster.demo import COMMUNITY_CODE, DEMO_PHONES, SEED, Summary
from services.tallies import operations as tallies

__all__ = ["DEMO_PHONES", "demo_command", "demo_phones", "load"]

# Each feature's demo draws from its own generator, seeded as before the registry existed, so
# the demo community stays the same; a feature not listed gets its own seed after these.
SEED_OFFSETS = {"roster": 0, "visits": 4, "wishes": 5, "work_orders": 6}
# Broadcasts' demo continues work orders' sequence, as it did when one loader made both.
SHARED_SEQUENCE = {"broadcasts": "work_orders"}


def load(today: date, *, seed: int = SEED) -> Summary:
    """Add the demo community: the roster, then each feature's demo data in FEATURES order.

    Flushes only; the caller commits. Returns what the roster part created.
    """
    results: dict[str, Any] = {}
    sequences: dict[str, random.Random] = {}
    for number, feature in enumerate(features.FEATURES):
        if feature.demo is None:
            continue
        if feature.name in SHARED_SEQUENCE:
            rng = sequences[SHARED_SEQUENCE[feature.name]]
        else:
            rng = random.Random(seed + SEED_OFFSETS.get(feature.name, 100 + number))
        sequences[feature.name] = rng
        results[feature.name] = feature.demo(today, rng, COMMUNITY_CODE)
        refresh_statistics()  # the next feature's demo reads what this one wrote
    # The demos write households and visits in bulk: the street's tallies counted once, after.
    tallies.rebuild()
    summary = results["roster"]
    if not isinstance(summary, Summary):
        raise TypeError("the roster's demo hook must return its Summary")
    return summary


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
    if roster_demo.is_loaded():
        click.echo(f"The demo community “{COMMUNITY_CODE}” is already loaded.")
        click.echo(phones_text())
        return
    if if_empty and roster_demo.any_community():
        click.echo("The database already holds a community; the demo was not loaded.")
        return
    # Duties are stored as text: write them in the language the demo community speaks.
    try:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            summary = load(auth.today())
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
