"""Job: the hourly clean-up of codes, sessions and the development inbox."""

from __future__ import annotations

from dataclasses import asdict

from flask import current_app

from models import db, utcnow
from services import housekeeping
from tasks.app import job_context


def run() -> dict[str, int]:
    """Sweep once and commit; running it twice in a row does nothing the second time."""
    with job_context():
        config = current_app.config
        swept = housekeeping.sweep(
            utcnow(),
            staff_minutes=config["STAFF_IDLE_MINUTES"],
            other_days=config["RESIDENT_SESSION_DAYS"],
        )
        db.session.commit()
        return asdict(swept)
