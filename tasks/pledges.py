"""Jobs: open the quarter's rating of pledges in its first days, and remind rectification's
action holders and secretaries."""

from __future__ import annotations

from models import db, utcnow
from models.clock import today_of
from services.pledges import operations, rectification
from tasks.app import job_context


def open_rounds() -> dict[str, int]:
    """Open the rating of the quarter just ended where it is not open yet; a repeat opens
    nothing (one round per community and quarter)."""
    with job_context():
        now = utcnow()
        opened = operations.open_due_rounds(now, today_of(now))
        db.session.commit()
        return {"opened": len(opened)}


def remind() -> dict[str, int]:
    """Deadlines near and re-checks due: each told once, then commit."""
    with job_context():
        now = utcnow()
        count = rectification.remind(now, today_of(now))
        db.session.commit()
        return {"reminded": count}
