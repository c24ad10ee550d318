"""Job: chase late property answers (the company's contact first, later the grid leader)."""

from __future__ import annotations

from dataclasses import asdict

from models import db, utcnow
from services.needs import property_matters
from tasks.app import job_context


def chase_property() -> dict[str, int]:
    """Chase once and commit; a repeat tells nobody again (each stage is marked on the referral)."""
    with job_context():
        report = property_matters.chase(utcnow())
        db.session.commit()
        return asdict(report)
