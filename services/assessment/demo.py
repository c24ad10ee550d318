"""The demo's last quarter: its assessment computed from whatever the other demos recorded,
a few manual scores, published (stars told, as delivered on publishing day) and two awards.

Registered last in pwa/features.py, so every other feature's records (back-dated ones too)
are in place when it counts.
"""

from __future__ import annotations

import random
from datetime import date, time

from sqlalchemy import select

from models import Community, SubjectKind, db
from models.clock import at
from models.roles import Role
from services.assessment import operations, queries
from services.assessment.periods import previous_quarter
from services.work_orders.demo import delivered, holders

COMMENTS = {
    Role.BUILDING_HEAD: "走访扎实，独居老人情况掌握清楚",
    Role.PATROLLER: "夜巡坚持到岗",
    Role.MEDIATOR: "邻里纠纷化解及时",
}


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Compute, adjust and publish last quarter's assessment; confer the suggested awards."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return
    secretaries = holders(community, Role.SECRETARY, today)
    if not secretaries:
        return
    secretary = secretaries[0]
    period = previous_quarter(today)
    # Published in the first days after the quarter, as a community office would.
    published_on = min(today, period.ends.replace(day=8))
    now = at(published_on, time(10, 0))
    assessment = operations.compute(community, period, by=secretary, now=now, today=today)
    scored: set[str] = set()
    for row in queries.rows(assessment):
        comment = COMMENTS.get(row.role)  # type: ignore[call-overload]
        if comment and row.role not in scored and row.total is not None:
            operations.score(row, manual=rng.choice([2.0, 3.0, 5.0]), comment=comment, by=secretary)
            scored.add(row.role)
    grids = [
        r for r in assessment.rows if r.subject_kind == SubjectKind.GRID and r.total is not None
    ]
    if grids:
        best = max(grids, key=lambda r: r.total or 0)
        operations.score(best, manual=5.0, comment="网格巡逻、调解工作突出", by=secretary)
    operations.publish(assessment, by=secretary, now=now)
    delivered(f"assessment:{assessment.id}:", now)
    # One of each award the stars suggest (the best grid, the best building head, ...).
    chosen: list[tuple[int, str]] = []
    for suggestion in queries.suggestions(assessment):
        if suggestion.name not in {name for _row, name in chosen}:
            chosen.append((suggestion.row_id, suggestion.name))
    if not chosen and grids:
        # Too few records for five stars: the quarter's best grid is still honoured.
        chosen = [(max(grids, key=lambda r: r.total or 0).id, "先进网格")]
    for row_id, name in chosen:
        row = next(r for r in assessment.rows if r.id == row_id)
        operations.confer(
            assessment,
            row,
            name=name,
            citation=f"{period.year}年第{period.quarter}季度考核中表现突出，特此表彰。",
            by=secretary,
            now=now,
        )
