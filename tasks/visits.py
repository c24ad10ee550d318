"""Job: the month's visit reminders to building heads and digests to grid leaders."""

from __future__ import annotations

from dataclasses import asdict

from flask import current_app

from models import db, utcnow
from services.visits import reminders
from tasks.app import job_context


def defaults() -> reminders.Schedule:
    config = current_app.config
    return reminders.Schedule(
        reminder_day=int(config.get("VISIT_REMINDER_DAY", 20)),
        reminder_hour=int(config.get("VISIT_REMINDER_HOUR", 9)),
        digest_day=int(config.get("VISIT_DIGEST_DAY", 25)),
        digest_hour=int(config.get("VISIT_DIGEST_HOUR", 9)),
    )


def remind() -> dict[str, int]:
    """Send what is due and not yet sent, then commit; a second run sends nothing."""
    with job_context():
        sent = reminders.send_reminders(utcnow(), defaults())
        db.session.commit()
        return asdict(sent)
