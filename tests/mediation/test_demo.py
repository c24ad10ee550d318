"""The demo shows mediation in every state, in grid 1, where the demo grid leader works."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from models import MediationCase, Person, db
from models.clock import today
from pwa.demo import DEMO_PHONES
from services.ledgers.demo import since_spare
from services.mediation import queries
from tests.support import load_demo


def test_demo_cases_in_different_states(app: Flask) -> None:
    load_demo(app)
    with app.app_context():
        # Mediation's own demo cases: the ledgers' demo adds two in a past quarter.
        cases = list(
            db.session.scalars(
                select(MediationCase)
                .where(MediationCase.opened_at >= since_spare(today()))
                .order_by(MediationCase.id)
            )
        )
        states = [(c.status, c.outcome, c.followed_up_at is not None) for c in cases]
        assert states == [
            ("open", None, False),
            ("concluded", "agreed", False),
            ("concluded", "judicial", False),
            ("concluded", "agreed", True),
        ]
        assert all(len(c.parties) == 2 and c.sessions is not None for c in cases)
        assert any(p.rating for c in cases for p in c.parties)
        leader = db.session.scalar(
            select(Person).where(Person.phone == DEMO_PHONES["grid leader (grid 1)"])
        )
        reach = queries.reach_of(leader, today())
        assert all(reach.covers(c) for c in cases)
        # The judicial referral's follow-up is overdue: the job would remind its mediator.
        assert [c.id for c in queries.follow_ups_due(today())] == [cases[2].id]
