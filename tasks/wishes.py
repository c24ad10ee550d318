"""Job: move wishes that wait unclaimed too long up to the building head, grid leader, secretary."""

from __future__ import annotations

from flask import current_app

from models import db
from models.clock import utcnow
from services.wishes import escalation
from tasks.app import job_context


def escalate() -> int:
    """Escalate every overdue wish one step and commit; a second run at once does nothing."""
    with job_context():
        events = escalation.escalate_due(utcnow(), current_app.config.get("WISH_ESCALATION_HOURS"))
        db.session.commit()
        return len(events)
