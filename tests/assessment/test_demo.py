"""The demo's last quarter: a published assessment counted from the demo's records, with stars,
manual scores, awards and the board showing it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from models import Assessment, Award, Community, Delivery, SubjectKind, db
from pwa import auth
from services.assessment import queries
from services.assessment.periods import previous_quarter
from services.roster.demo import COMMUNITY_CODE
from tests.support import load_demo


def test_the_demo_has_last_quarters_published_assessment(app: Flask) -> None:
    load_demo(app)
    with app.app_context():
        period = previous_quarter(auth.today())
        assessment = db.session.scalar(select(Assessment))
        assert assessment is not None and assessment.published
        assert (assessment.year, assessment.quarter) == (period.year, period.quarter)
        grids = [r for r in assessment.rows if r.subject_kind == SubjectKind.GRID]
        assert grids and all(r.stars for r in grids if r.total is not None)
        counted = [v for r in assessment.rows for v in r.values if v.value is not None]
        # Not all empty: the other demos' records of the quarter are counted (visits today;
        # the ledgers' back-dated records of the quarter add to them).
        assert any(v.value for v in counted), [(v.indicator, v.value) for v in counted]
        assert any(r.manual for r in assessment.rows) and any(r.comment for r in assessment.rows)
        assert db.session.scalars(select(Award)).first() is not None
        told = db.session.scalars(
            select(Delivery).where(Delivery.batch_key.like(f"assessment:{assessment.id}:%"))
        ).all()
        assert told and all(d.state == "delivered" for d in told)
        community = db.session.scalar(select(Community).where(Community.code == COMMUNITY_CODE))
        assert community is not None
        part = queries.for_board(community)
        assert part is not None and part.grids and part.awards
    page = app.test_client().get(f"/c/{COMMUNITY_CODE}/board").get_data(as_text=True)
    assert "季度考核" in page and "★" in page
