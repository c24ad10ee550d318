"""Job: meetings' reminders (the day before; the quarterly meeting ahead, or its absence)."""

from __future__ import annotations

from dataclasses import asdict

from models import db, utcnow
from services.meetings import reminders
from tasks.app import job_context


def remind() -> dict[str, int]:
    """Send what is due and commit; each reminder is marked sent, so a repeat sends nothing."""
    with job_context():
        report = reminders.run(utcnow())
        db.session.commit()
        return asdict(report)
