"""Logging a monthly home visit once, with the needs heard on it.

A visit is logged with a key the phone makes before sending, so a visit sent twice (the offline
queue re-sending, a double tap, an SMS retried) is saved once. The fact "visited this month" is
kept per household and month (HouseholdMonth) in the same transaction, so coverage is a grouped
count over an index at district scale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from models import Household, HouseholdMonth, NeedSource, Person, Visit, db
from models.clock import month_start
from services.errors import InvalidInput
from services.needs import operations as needs
from services.roster.areas import Area
from services.tallies import operations as tallies
from services.visits.queries import household_in_area

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
NOTE_LIMIT = 1000
MET_LIMIT = 100
# A visit written offline may wait on the phone for a while, but not for months.
OLDEST_DAYS = 62
VIA = ("web", "offline", "sms", "telegram")


@dataclass(frozen=True)
class NeedInput:
    category: str
    text: str
    resident_id: int | None = None


@dataclass
class VisitInput:
    key: str
    household_id: int
    visited_on: date
    met: str = ""
    note: str = ""
    needs: list[NeedInput] = field(default_factory=list)
    via: str = "web"


def check_key(key: str) -> None:
    if not KEY_RE.match(key):
        raise InvalidInput(_("The visit has no valid key; reload the page and try again."))


def check_date(visited_on: date, today: date) -> None:
    if visited_on > today:
        raise InvalidInput(_("A visit cannot be in the future: check the date."))
    if visited_on < today - timedelta(days=OLDEST_DAYS):
        raise InvalidInput(
            _("A visit more than %(days)d days ago cannot be logged.", days=OLDEST_DAYS)
        )


def check_note(note: str) -> None:
    if len(note) > NOTE_LIMIT:
        raise InvalidInput(
            _(
                "The note is %(n)d characters long; keep it under %(limit)d.",
                n=len(note),
                limit=NOTE_LIMIT,
            )
        )


def check_met(met: str) -> None:
    if len(met) > MET_LIMIT:
        raise InvalidInput(_("Who you met: keep it under %(limit)d characters.", limit=MET_LIMIT))


def check_via(via: str) -> None:
    if via not in VIA:
        raise InvalidInput(_("Unknown way of logging a visit."))


def _check(data: VisitInput, today: date) -> None:
    check_key(data.key)
    check_date(data.visited_on, today)
    check_note(data.note)
    check_met(data.met)
    check_via(data.via)
    for need in data.needs:
        needs.check_need(need.category, need.text)


def _count_month(household: Household, visited_on: date) -> None:
    """Record "visited in this month" for the household (insert, or count one more); the
    month's first visit counts the household as visited in its building's tally too."""
    values = {
        "household_id": household.id,
        "month": month_start(visited_on),
        "community_id": household.building.community_id,
        "grid_id": household.building.grid_id,
        "building_id": household.building_id,
        "visits": 1,
        "last_visited_on": visited_on,
    }
    dialect = db.session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        pg = postgresql.insert(HouseholdMonth).values(values)
        stmt = pg.on_conflict_do_update(
            index_elements=["household_id", "month"],
            set_={
                "visits": HouseholdMonth.visits + 1,
                "last_visited_on": func.greatest(
                    HouseholdMonth.last_visited_on, pg.excluded.last_visited_on
                ),
            },
        )
    else:
        lite = sqlite.insert(HouseholdMonth).values(values)
        stmt = lite.on_conflict_do_update(
            index_elements=["household_id", "month"],
            set_={
                "visits": HouseholdMonth.visits + 1,
                "last_visited_on": func.max(
                    HouseholdMonth.last_visited_on, lite.excluded.last_visited_on
                ),
            },
        )
    # The row's visits after the upsert: 1 when this visit made it.
    visits = db.session.scalar(stmt.returning(HouseholdMonth.visits))
    if visits == 1:
        tallies.first_visit_of_month(household, household.building_id, month_start(visited_on))


def log_visit(
    data: VisitInput, *, by: Person, area: Area, today: date, now: datetime
) -> tuple[Visit, bool]:
    """Save a visit (and the needs raised) once; return it and whether it is new.

    The same key sent again returns the visit saved the first time and changes nothing.
    Anything wrong raises a DomainError before anything is written.
    """
    earlier = db.session.scalar(select(Visit).where(Visit.key == data.key))
    if earlier is not None:
        if earlier.visitor_id != by.id:
            raise InvalidInput(_("The visit has no valid key; reload the page and try again."))
        return earlier, False
    _check(data, today)
    household = household_in_area(area, data.household_id)
    resident_ids = {r.id for r in household.residents}
    for need in data.needs:
        if need.resident_id is not None and need.resident_id not in resident_ids:
            raise InvalidInput(_("The resident who raised a need must live in this household."))
    visit = Visit(
        key=data.key,
        household_id=household.id,
        building_id=household.building_id,
        community_id=household.building.community_id,
        visitor_id=by.id,
        visited_on=data.visited_on,
        met=data.met.strip(),
        note=data.note.strip(),
        via=data.via,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(visit)
            db.session.flush()
    except IntegrityError:
        # The same visit, arriving twice at once: the other request saved it.
        again = db.session.scalar(select(Visit).where(Visit.key == data.key))
        if again is None:
            raise
        return again, False
    _count_month(household, data.visited_on)
    for need in data.needs:
        needs.raise_need(
            community_id=household.building.community_id,
            household=household,
            source=NeedSource.VISIT,
            by=by,
            category=need.category,
            text=need.text,
            resident_id=need.resident_id,
            visit=visit,
            now=now,
        )
    db.session.flush()
    return visit, True
