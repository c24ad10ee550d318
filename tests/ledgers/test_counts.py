"""A ledger's figures are the figures of the pages its records come from, for the same period:
coverage, the needs figures, the street's figures (needs and wishes of a month), the patrol
log, each meeting's tally and each campaign's progress. Counted on the demo community, whose
records fall in this month, the month before and a past quarter."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from models import Building, Campaign, Community, Grid, Meeting, db
from models.clock import today, utcnow
from pwa.views.needs import need_figures
from services.administration import street_figures
from services.campaigns import queries as campaign_queries
from services.ledgers import periods
from services.ledgers.ledger import EXPORT_ROWS, Ledger, build
from services.ledgers.periods import Period
from services.ledgers.rows import Scope, Viewer
from services.meetings import queries as meeting_queries
from services.patrols import queries as patrol_queries
from services.roster.areas import Area
from services.visits import coverage
from tests.support import load_demo


def _figures(ledger: Ledger, code: str) -> dict[str, object]:
    section = next(s for s in ledger.sections if s.category.code == code)
    return {f.code: f.value for f in section.part.figures}


def _check_month(community: Community, grid: Grid, month: Period) -> None:
    whole = build(Scope(community.id, community.name), month, Viewer(), limit=EXPORT_ROWS)
    one = build(
        Scope(community.id, community.name, grid_id=grid.id, grid_name=grid.name),
        month,
        Viewer(),
        limit=EXPORT_ROWS,
    )
    area = Area(community_ids=frozenset({community.id}))
    # The coverage page: households visited in the month, community and grid.
    by_community = coverage.by(Building.community_id, area, month.first)[community.id]
    assert _figures(whole, "visits")["visited"] == by_community.visited > 0
    assert _figures(whole, "visits")["households"] == by_community.total
    by_grid = coverage.by(Building.grid_id, area, month.first)[grid.id]
    assert _figures(one, "visits")["visited"] == by_grid.visited
    # The street's figures (needs raised, answered, in time; wishes posted, fulfilled,
    # escalated), per community and per grid.
    for ledger, row in (
        (whole, street_figures.figures([community.id], month.first, "community")[community.id]),
        (one, street_figures.figures([community.id], month.first, "grid")[grid.id]),
    ):
        needs = _figures(ledger, "needs")
        wishes = _figures(ledger, "wishes")
        assert (needs["raised"], needs["answered"], needs["in_time"]) == (
            row.needs_raised,
            row.needs_answered,
            row.needs_answered_in_time,
        )
        assert (wishes["posted"], wishes["fulfilled"], wishes["escalated"]) == (
            row.wishes_posted,
            row.wishes_fulfilled,
            row.wishes_escalated,
        )
    # The patrol log of the grid's month.
    log = patrol_queries.month_log(grid, month.first)
    patrols = _figures(one, "patrols")
    assert (patrols["shifts"], patrols["patrolled"], patrols["findings"]) == (
        len(log.shifts),
        log.patrolled,
        log.findings,
    )
    # Each meeting's tally, as its page counts those present.
    meetings = db.session.scalars(
        select(Meeting).where(
            Meeting.community_id == community.id,
            Meeting.starts_at >= month.start,
            Meeting.starts_at < month.end,
        )
    ).all()
    held = _figures(whole, "meetings")
    assert held["meetings"] == len(meetings)
    assert held["attendances"] == sum(meeting_queries.tally(m).present for m in meetings)


def test_a_ledgers_figures_match_the_pages_they_come_from(app: Flask) -> None:
    load_demo(app)
    with app.test_request_context():
        community = db.session.scalar(select(Community))
        assert community is not None
        grid = community.grids[0]
        this_month = periods.of("month", today())
        _check_month(community, grid, this_month)
        _check_month(community, grid, this_month.previous())
        # The needs list's figure of this month's answered needs (the page's own function).
        now = utcnow()
        shown = need_figures(Area(community_ids=frozenset({community.id})), now)
        ledger = build(Scope(community.id, community.name), this_month, Viewer())
        assert _figures(ledger, "needs")["answered"] == shown.answered_this_month

        # A past quarter: each month's figures add up to the quarter's (visits counted once
        # per household over the quarter, as the coverage of its months would not: at most).
        quarter = periods.of("quarter", today()).previous()
        whole = build(Scope(community.id, community.name), quarter, Viewer(), limit=EXPORT_ROWS)
        months = [Period("month", m) for m in quarter.month_starts]
        parts = [build(Scope(community.id, community.name), m, Viewer()) for m in months]
        for code, figure in (
            ("needs", "raised"),
            ("needs", "answered"),
            ("wishes", "posted"),
            ("wishes", "fulfilled"),
            ("work_orders", "dispatched"),
            ("patrols", "shifts"),
            ("meetings", "meetings"),
            ("mediation", "opened"),
            ("campaigns", "told"),
            ("broadcasts", "broadcasts"),
        ):
            total = sum(int(_figures(p, code)[figure]) for p in parts)  # type: ignore[call-overload]
            assert _figures(whole, code)[figure] == total > 0, (code, figure)
        # Every record of the quarter is a row of the export-sized ledger.
        for section in whole.sections:
            assert not section.part.more
        # A campaign's progress page counts the households told; the ledger the same.
        campaign = db.session.scalar(
            select(Campaign).where(
                Campaign.community_id == community.id,
                Campaign.created_at >= quarter.start,
                Campaign.created_at < quarter.end,
            )
        )
        assert campaign is not None
        progress = campaign_queries.progress(
            campaign, Area(community_ids=frozenset({community.id}))
        )
        assert _figures(whole, "campaigns")["told"] == progress.overall.informed > 0


def _section_rows(ledger: Ledger, code: str) -> list:  # type: ignore[type-arg]
    return next(s for s in ledger.sections if s.category.code == code).part.rows
