"""The demo community's meetings: a held one with attendance, minutes and a suggestion on the
needs list; an upcoming one with answers in (some still missing)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from models import Meeting, Need, db, utcnow
from models.clock import today
from models.meetings import Reply
from services.ledgers.demo import since_spare
from services.meetings import queries
from tests.support import load_demo


def test_the_demo_holds_a_past_and_an_upcoming_meeting(app: Flask) -> None:
    load_demo(app)
    with app.app_context():
        now = utcnow()
        # Meetings' own demo: the ledgers' demo adds two held in a past quarter.
        meetings = db.session.scalars(
            select(Meeting)
            .where(Meeting.starts_at >= since_spare(today()))
            .order_by(Meeting.starts_at)
        ).all()
        assert len(meetings) == 2
        past, upcoming = meetings
        assert past.starts_at < now < upcoming.starts_at
        held = queries.tally(past)
        assert past.minutes and past.decisions and held.present > 0 and held.walk_ins == 1
        assert any(s.need_id for s in past.suggestions)
        need = db.session.get(Need, next(s.need_id for s in past.suggestions if s.need_id))
        assert need is not None and need.source == "meeting"
        coming = queries.tally(upcoming)
        assert coming.attend > 0 and coming.excused > 0 and coming.unanswered > 0
        assert any(i.partner_unit_id for i in upcoming.invitees)
        assert any(i.resident_id and i.reply != Reply.NONE for i in upcoming.invitees)
        actions = {e.action for e in queries.history(past)}
        assert {
            "called",
            "replied",
            "attended",
            "absent",
            "walk_in",
            "minutes",
            "to_need",
        } <= actions
