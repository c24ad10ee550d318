"""Job: hand campaigns' SMS to the outbox in chunks, and close campaigns past their deadline."""

from __future__ import annotations

import time

from sqlalchemy import select

from models import Campaign, db, utcnow
from services.campaigns import operations
from services.campaigns import sms as campaign_sms
from tasks.app import job_context

# The job passes on the rest after this long so it never meets its timeout.
TIME_BUDGET_SECONDS = 120.0


def sweep() -> dict[str, int]:
    """Send what is asked and close what is due, a chunk per transaction; safe to repeat."""
    started = time.monotonic()
    handed = 0
    with job_context():
        pending = list(
            db.session.scalars(
                select(Campaign.id)
                .where(Campaign.sms_requested_at.isnot(None), Campaign.sms_done_at.is_(None))
                .order_by(Campaign.id)
            )
        )
        for campaign_id in pending:
            while time.monotonic() - started < TIME_BUDGET_SECONDS:
                campaign = db.session.get(Campaign, campaign_id)
                assert campaign is not None
                n = campaign_sms.send_step(campaign, utcnow())
                db.session.commit()
                handed += n
                if not n:
                    break
        closed = operations.close_past_deadline(utcnow())
        db.session.commit()
    return {"handed": handed, "closed": closed}
