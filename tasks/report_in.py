"""Job: at a quarter's start, each partner unit's liaison gets the quarter just ended in one SMS."""

from __future__ import annotations

from models import db, utcnow
from models.clock import today
from services.report_in import operations
from services.report_in.quarters import Quarter
from tasks.app import job_context


def send_summaries() -> int:
    """Send the ended quarter's summaries not sent yet and commit; a repeat sends nothing."""
    with job_context():
        sent = operations.send_due_summaries(Quarter.of(today()).previous, now=utcnow())
        db.session.commit()
        return sent
