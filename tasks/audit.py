"""Job: write the reads of personal data that could not be audited when they happened."""

from __future__ import annotations

from flask import current_app

from services import audit
from tasks.app import job_context


def flush_spool() -> int:
    """Write the spooled reads; running it again with nothing spooled does nothing."""
    with job_context():
        return audit.flush_spool(current_app.config["AUDIT_SPOOL"])
