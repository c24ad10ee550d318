"""Ledger rows of the work done for households: visits, needs, micro-wishes.

Plain rows from grouped or joined SELECTs (never an ORM object per record): a community's
quarter of visits is thousands of rows, and the export must stay quick at district scale.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, distinct, func, or_, select, true
from sqlalchemy.orm import aliased

from models import (
    Building,
    Grid,
    Household,
    HouseholdMonth,
    Need,
    NeedSource,
    NeedStatus,
    Person,
    Resident,
    Visit,
    Wish,
    WishEvent,
    db,
)
from models.wishes import WishStatus
from services.ledgers import labels
from services.ledgers.periods import Period
from services.ledgers.rows import (
    Figure,
    Part,
    Row,
    Scope,
    Viewer,
    count,
    cut,
    day_of,
    matches,
    short,
)
from services.needs.queries import CATEGORIES as NEED_CATEGORIES
from services.needs.queries import DECISIONS
from services.wishes.operations import CATEGORIES as WISH_CATEGORIES

# A need counts as answered in time when its answer went out within this many days (as the
# street's figures count it).
ANSWER_DAYS = 7


def place(grid: str | None, compound: str | None, building: str | None, room: str = "") -> str:
    parts = [grid or "", f"{compound or ''} {building or ''}".strip(), room]
    return " · ".join(p for p in parts if p)


def room_of(unit: str | None, room: str | None) -> str:
    if not room:
        return ""
    return f"{unit}-{room}" if unit else room


def _answered_within(days: int) -> ColumnElement[bool]:
    # SQLite keeps moments as text, PostgreSQL as timestamps.
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(Need.answered_at) - func.julianday(Need.created_at) <= days
    return Need.answered_at - Need.created_at <= timedelta(days=days)


# ------------------------------------------------------------------------------ visits


def households_visited(scope: Scope, period: Period) -> int:
    """Households living here visited in the period, as the coverage page counts a month's."""
    if scope.person_id is not None:
        return count(
            select(func.count(distinct(Visit.household_id))).where(
                Visit.community_id == scope.community_id,
                Visit.visitor_id == scope.person_id,
                Visit.visited_on >= period.first,
                Visit.visited_on <= period.last,
            )
        )
    return count(
        select(func.count(distinct(HouseholdMonth.household_id)))
        .select_from(HouseholdMonth)
        .join(Building, Building.id == HouseholdMonth.building_id)
        .join(Household, Household.id == HouseholdMonth.household_id)
        .where(
            Building.community_id == scope.community_id,
            matches(Building.grid_id, scope.grid_id),
            HouseholdMonth.month.in_(period.month_starts),
            Household.current(),
        )
    )


def visits(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    where = (
        Visit.community_id == scope.community_id,
        Visit.visited_on >= period.first,
        Visit.visited_on <= period.last,
        matches(Visit.visitor_id, scope.person_id),
        matches(Building.grid_id, scope.grid_id),
    )
    total = count(
        select(func.count())
        .select_from(Visit)
        .join(Building, Building.id == Visit.building_id)
        .where(*where)
    )
    part = Part(
        figures=[
            Figure("visits", _("Visits"), total),
            Figure("visited", _("Households visited"), households_visited(scope, period)),
        ]
    )
    if scope.person_id is None:
        part.figures.append(
            Figure(
                "households",
                _("Households living here"),
                count(
                    select(func.count(Household.id))
                    .join(Building)
                    .where(
                        Building.community_id == scope.community_id,
                        matches(Building.grid_id, scope.grid_id),
                        Household.current(),
                    )
                ),
            )
        )
    noted = (
        select(Need.visit_id, func.count().label("n"))
        .where(
            Need.community_id == scope.community_id,
            Need.source == NeedSource.VISIT,
            Need.visit_id.is_not(None),
        )
        .group_by(Need.visit_id)
        .subquery()
    )
    found = db.session.execute(
        select(
            Visit.id,
            Visit.visited_on,
            Grid.name,
            Building.compound,
            Building.name,
            Household.unit,
            Household.room,
            Person.name,
            Visit.met,
            Visit.note,
            noted.c.n,
        )
        .select_from(Visit)
        .join(Building, Building.id == Visit.building_id)
        .join(Grid, Grid.id == Building.grid_id)
        .join(Household, Household.id == Visit.household_id)
        .join(Person, Person.id == Visit.visitor_id)
        .outerjoin(noted, noted.c.visit_id == Visit.id)
        .where(*where)
        .order_by(Visit.visited_on, Visit.id)
        .limit(limit + 1)
    ).all()
    kept, part.more = cut(found, limit)
    # Thousands of rows: each wording translated once, not once per row.
    visit_text = _("Home visit")
    nothing_noted = _("No need noted")
    met_texts: dict[str, str] = {}
    for vid, day, grid, compound, building, unit, room, visitor, met, note, needs in kept:
        if met:
            what = met_texts.get(met) or met_texts.setdefault(met, _("Met: %(who)s", who=met))
        else:
            what = visit_text
        if viewer.personal and note:
            what = f"{what} · {short(note)}"
        part.rows.append(
            Row(
                ref=f"V{vid}",
                day=day,
                place=place(
                    grid, compound, building, room_of(unit, room) if viewer.personal else ""
                ),
                who=visitor,
                what=what,
                outcome=_("%(count)d needs noted", count=needs) if needs else nothing_noted,
            )
        )
    return part


# ------------------------------------------------------------------------------- needs


def needs(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    raiser = aliased(Person)
    mine: ColumnElement[bool] = (
        or_(Need.raised_by_id == scope.person_id, Need.decided_by_id == scope.person_id)
        if scope.person_id is not None
        else true()
    )
    base = (Need.community_id == scope.community_id, matches(Need.grid_id, scope.grid_id), mine)
    raised_in = (Need.created_at >= period.start) & (Need.created_at < period.end)
    answered_in = (
        (Need.status == NeedStatus.ANSWERED)
        & (Need.answered_at >= period.start)
        & (Need.answered_at < period.end)
    )
    raised_count = count(select(func.count()).where(*base, raised_in))
    answered, in_time = db.session.execute(
        select(func.count(), func.count().filter(_answered_within(ANSWER_DAYS))).where(
            *base, answered_in
        )
    ).one()
    part = Part(
        figures=[
            Figure("raised", _("Needs raised"), raised_count),
            Figure("answered", _("Needs answered"), int(answered or 0)),
            Figure(
                "in_time", _("Answered within %(days)d days", days=ANSWER_DAYS), int(in_time or 0)
            ),
        ]
    )
    found = db.session.execute(
        select(
            Need.id,
            Need.created_at,
            Grid.name,
            Building.compound,
            Building.name,
            Household.unit,
            Household.room,
            Need.place,
            Resident.name,
            raiser.name,
            Need.category,
            Need.text,
            Need.status,
            Need.decision,
            Need.answer,
            Need.answered_at,
        )
        .select_from(Need)
        .outerjoin(Grid, Grid.id == Need.grid_id)
        .outerjoin(Building, Building.id == Need.building_id)
        .outerjoin(Household, Household.id == Need.household_id)
        .outerjoin(Resident, Resident.id == Need.resident_id)
        .outerjoin(raiser, raiser.id == Need.raised_by_id)
        .where(*base, or_(raised_in, answered_in))
        .order_by(Need.created_at, Need.id)
        .limit(limit + 1)
    ).all()
    kept, part.more = cut(found, limit)
    for row in kept:
        (nid, created, grid, compound, building, unit, room, spot, resident, by) = row[:10]
        category, text, status, decision, answer, answered_at = row[10:]
        where = place(grid, compound, building, room_of(unit, room) if viewer.personal else "")
        if spot:
            where = f"{where} · {spot}" if where else spot
        what = f"{labels.label(NEED_CATEGORIES, category)}: {short(text)}"
        if viewer.personal and resident:
            what = f"{resident} · {what}"
        outcome = labels.label(labels.NEED_STATUS, status)
        if decision:
            outcome = f"{outcome} · {labels.label(DECISIONS, decision)}"
        answered_day = day_of(answered_at)
        if answered_day is not None:
            outcome = f"{outcome} {answered_day.isoformat()}"
        if answer:
            outcome = f"{outcome} · {short(answer, 40)}"
        part.rows.append(
            Row(f"N{nid}", day_of(created) or period.first, where, by or "", what, outcome)
        )
    return part


# ------------------------------------------------------------------------------ wishes


def wishes(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    claimer = aliased(Person)
    base = (
        Wish.community_id == scope.community_id,
        matches(Wish.grid_id, scope.grid_id),
        matches(Wish.claimer_id, scope.person_id),
    )
    posted_in = (Wish.posted_at >= period.start) & (Wish.posted_at < period.end)
    fulfilled_in = (
        Wish.status.in_((WishStatus.FULFILLED, WishStatus.CONFIRMED))
        & (Wish.fulfilled_at >= period.start)
        & (Wish.fulfilled_at < period.end)
    )
    fulfilled, rated, rating = db.session.execute(
        select(func.count(), func.count(Wish.rating), func.avg(Wish.rating)).where(
            *base, fulfilled_in
        )
    ).one()
    escalated = count(
        select(func.count(distinct(WishEvent.wish_id)))
        .select_from(WishEvent)
        .join(Wish, Wish.id == WishEvent.wish_id)
        .where(
            *base,
            WishEvent.community_id == scope.community_id,
            WishEvent.action == "escalated",
            WishEvent.at >= period.start,
            WishEvent.at < period.end,
        )
    )
    part = Part(
        figures=[
            Figure(
                "posted", _("Wishes posted"), count(select(func.count()).where(*base, posted_in))
            ),
            Figure("fulfilled", _("Wishes fulfilled"), int(fulfilled or 0)),
            Figure("escalated", _("Wishes escalated"), escalated),
            Figure("rated", _("Rated by the resident"), int(rated or 0)),
            Figure(
                "rating",
                _("Average rating"),
                round(float(rating), 1) if rating is not None else "—",
            ),
        ]
    )
    found = db.session.execute(
        select(
            Wish.id,
            Wish.posted_at,
            Grid.name,
            Building.compound,
            Building.name,
            Resident.name,
            Wish.category,
            Wish.text,
            Wish.status,
            claimer.name,
            Wish.fulfilled_at,
            Wish.rating,
        )
        .select_from(Wish)
        .join(Grid, Grid.id == Wish.grid_id)
        .join(Building, Building.id == Wish.building_id)
        .join(Resident, Resident.id == Wish.resident_id)
        .outerjoin(claimer, claimer.id == Wish.claimer_id)
        .where(*base, or_(posted_in, fulfilled_in))
        .order_by(Wish.posted_at, Wish.id)
        .limit(limit + 1)
    ).all()
    kept, part.more = cut(found, limit)
    for (
        wid,
        posted,
        grid,
        compound,
        building,
        resident,
        category,
        text,
        status,
        by,
        done,
        stars,
    ) in kept:
        what = f"{labels.label(WISH_CATEGORIES, category)}: {short(text)}"
        if viewer.personal:
            what = f"{resident} · {what}"
        outcome = labels.label(labels.WISH_STATUS, status)
        done_day = day_of(done)
        if done_day is not None:
            outcome = f"{outcome} {done_day.isoformat()}"
        if stars:
            outcome = f"{outcome} · {'★' * int(stars)}"
        part.rows.append(
            Row(
                f"W{wid}",
                day_of(posted) or period.first,
                place(grid, compound, building),
                by or "",
                what,
                outcome,
            )
        )
    return part
