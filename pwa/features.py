"""The registry: every feature and what it brings to the running product, in one place.

A feature is one name in every layer (services/<name>/, pwa/views/<name>.py,
pwa/templates/<name>/, tests/<name>/). Here each one declares its inbound commands, its
message kinds, its answerers for bare-number replies, its periodic jobs and its
blueprints. Nothing registers itself on import: `install` puts the declarations in place
for the web app and the worker (both build the app through `pwa.create_app`), and
`pwa.cron` schedules the periodic jobs for the one `rq cron` process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask

from notify import commands, replies, templates
from notify.channels.telegram import messages as telegram_messages
from notify.commands import Command
from notify.replies import Answerer
from notify.templates import MessageKind
from pwa.views import (
    app_shell,
    auth,
    broadcasts,
    dev,
    head,
    health,
    outbox,
    public,
    resident,
    roster_import,
    secretary,
    sms,
    telegram,
    visits,
    volunteer,
    webhooks,
    wishes,
    work_orders,
)
from services import features as _legacy_features
from tasks import deliveries as delivery_jobs
from tasks import housekeeping as housekeeping_jobs
from tasks import visits as visit_jobs
from tasks import wishes as wish_jobs
from tasks import work_orders as work_order_jobs

# Until each feature declares its commands, kinds and answerers in its own package, these
# modules still register them when imported (issue 9 removes this, feature by feature).
_legacy_features.load()


@dataclass(frozen=True)
class Periodic:
    """A job the cron process enqueues on a schedule (cron strings are UTC in RQ 2)."""

    name: str
    func: Callable[[], Any]  # a job in tasks/: takes nothing, opens its own app context
    cron: str | None = None
    interval: int | None = None  # seconds, instead of a cron string
    timeout: int = 600


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    message_kinds: tuple[MessageKind, ...] = ()
    answerers: tuple[tuple[str, Answerer], ...] = ()
    periodic: tuple[Periodic, ...] = ()
    blueprints: tuple[Blueprint, ...] = ()
    # Adds the feature's demo data (see services/<name>/demo.py); called in this order.
    demo: Callable[..., Any] | None = None


FEATURES: tuple[Feature, ...] = (
    Feature(
        "app",
        blueprints=(
            public.bp,
            app_shell.bp,
            dev.bp,
            health.bp,
            volunteer.bp,
            resident.bp,
        ),
        periodic=(Periodic("housekeeping", housekeeping_jobs.run, cron="17 * * * *"),),
    ),
    Feature("sign_in", blueprints=(auth.bp,)),
    Feature(
        "messages",
        message_kinds=telegram_messages.MESSAGE_KINDS,
        blueprints=(outbox.bp, sms.bp, webhooks.bp, telegram.bp),
        # Every 20 s, so deliveries that missed the queue go out within a minute of Redis
        # returning.
        periodic=(Periodic("sweep-outbox", delivery_jobs.sweep_outbox, interval=20, timeout=300),),
    ),
    Feature("roster", blueprints=(head.bp, secretary.bp, roster_import.bp)),
    Feature(
        "wishes",
        blueprints=(wishes.bp,),
        # Unclaimed wishes go up a level after their category's wait; every 10 minutes is
        # close enough.
        periodic=(
            Periodic("wish-escalation", wish_jobs.escalate, cron="*/10 * * * *", timeout=300),
        ),
    ),
    Feature(
        "visits",
        blueprints=(visits.bp,),
        # Visit reminders (around day 20) and grid digests (around day 25): hourly, each
        # community's own day and hour decide; what went out is recorded, so a repeat sends
        # nothing.
        periodic=(Periodic("visit-reminders", visit_jobs.remind, cron="5 * * * *"),),
    ),
    Feature(
        "work_orders",
        blueprints=(work_orders.bp, work_orders.my_bp),
        # Unclaimed orders announced again then escalated, claimers reminded before the
        # window. Quiet hours and "once a day per order and person" are kept inside.
        periodic=(Periodic("work-order-chase", work_order_jobs.chase, cron="*/15 * * * *"),),
    ),
    Feature("broadcasts", blueprints=(broadcasts.bp,)),
)


def install_messages() -> None:
    """Register every feature's commands, message kinds and answerers (safe to repeat)."""
    for feature in FEATURES:
        for kind in feature.message_kinds:
            templates.register(kind)
        for command in feature.commands:
            commands.register(command)
        for name, answerer in feature.answerers:
            replies.register_answerer(name, answerer)


def install(app: Flask) -> None:
    """Put every feature in place in this app: its messages and its blueprints."""
    install_messages()
    for feature in FEATURES:
        for blueprint in feature.blueprints:
            app.register_blueprint(blueprint)


def periodic_jobs() -> list[Periodic]:
    return [job for feature in FEATURES for job in feature.periodic]
