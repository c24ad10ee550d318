"""Job: chase needs waiting undecided (the grid leader first, later the secretary)."""

from __future__ import annotations

from dataclasses import asdict

from models import db, utcnow
from services.needs import chase as chasing
from tasks.app import job_context


def chase() -> dict[str, int]:
    """Chase once and commit; a repeat tells nobody again (each stage is marked on the need)."""
    with job_context():
        report = chasing.chase(utcnow())
        db.session.commit()
        return asdict(report)
