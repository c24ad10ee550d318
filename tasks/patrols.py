"""Jobs: make the coming patrol shifts; flag shifts nobody started to the grid leader."""

from __future__ import annotations

from models import db, utcnow
from services.patrols import flagging, operations
from tasks.app import job_context


def make_shifts() -> int:
    """Fill the coming days with shifts and commit; a repeat makes nothing new."""
    with job_context():
        made = operations.make_shifts(utcnow())
        db.session.commit()
        return made


def flag_unstarted() -> int:
    """Flag shifts nobody started and commit; a shift is flagged once."""
    with job_context():
        flagged = flagging.flag_unstarted(utcnow())
        db.session.commit()
        return flagged
