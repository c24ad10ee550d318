"""Job: remind mediators of follow-up visits now due (30 days after a case's outcome)."""

from __future__ import annotations

from models import db, utcnow
from services.mediation import reminders
from tasks.app import job_context


def remind() -> dict[str, int]:
    """Remind once and commit; a repeat tells nobody again (each case is marked)."""
    with job_context():
        count = reminders.remind_due(utcnow())
        db.session.commit()
        return {"reminded": count}
