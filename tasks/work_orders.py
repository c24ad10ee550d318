"""Job: chase work orders (announce once more, escalate, remind before the window)."""

from __future__ import annotations

from dataclasses import asdict

from models import db, utcnow
from services.work_orders import chase as chasing
from services.work_orders import expiry
from tasks.app import job_context


def chase() -> dict[str, int]:
    """Chase once and commit; a repeat sends nothing new (the reminder rows are unique)."""
    with job_context():
        report = chasing.chase(utcnow())
        db.session.commit()
        return asdict(report)


def close_expired() -> dict[str, int]:
    """Close the orders past their window and commit; a repeat finds nothing left to close."""
    with job_context():
        report = expiry.close_expired(utcnow())
        db.session.commit()
        return asdict(report)
