"""Observers' reports and property matters as people and the ledger see them.

A property liaison (居民需求物管员) sees the property matters of their grid and where each
stands (sent, due, late, chased, answered); the ledger counts a period's report and property
events (NeedEvent) per community or grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Need, NeedEvent, NeedReferral, NeedStatus, PartnerUnit, db
from models.clock import at
from services.needs import property_matters
from services.needs.queries import needs_in
from services.reports.operations import REPORTED
from services.roster.areas import Area

# The NeedEvent actions this feature writes, as the ledger names them.
EVENTS: dict[str, Any] = {
    REPORTED: lazy_gettext("Problem reported by an observer"),
    property_matters.SENT: lazy_gettext("Sent to the property company"),
    property_matters.ANSWERED: lazy_gettext("Answered by the property company"),
    property_matters.CHASED: lazy_gettext("Property company chased"),
}
STATES: dict[str, Any] = {
    "waiting": lazy_gettext("Waiting for the company's answer"),
    "late": lazy_gettext("Late: past its deadline"),
    "answered": lazy_gettext("Answered"),
}
LISTS = ("open", "answered")


@dataclass(frozen=True)
class Matter:
    """A property matter and where it stands."""

    need: Need
    referral: NeedReferral
    unit: PartnerUnit | None
    state: str  # a key of STATES


def _period(start: date, end: date) -> tuple[datetime, datetime]:
    """Return the period's bounds in UTC: from start's midnight to the day after end's."""
    return at(start, time()), at(end + timedelta(days=1), time())


def property_matters_in(
    area: Area, now: datetime, *, answered: bool = False, limit: int = 200
) -> list[Matter]:
    """Return the area's needs sent to the property company, latest referral each, newest first."""
    latest = (
        select(func.max(NeedReferral.id))
        .where(NeedReferral.due_at.isnot(None))
        .group_by(NeedReferral.need_id)
        .scalar_subquery()
    )
    needs = needs_in(area).subquery()
    query = (
        select(NeedReferral)
        .join(needs, needs.c.id == NeedReferral.need_id)
        .where(NeedReferral.id.in_(latest))
        .options(selectinload(NeedReferral.need).selectinload(Need.household))
        .order_by(NeedReferral.sent_at.desc())
        .limit(limit)
    )
    if answered:
        query = query.where(NeedReferral.answered_at.isnot(None))
    else:
        query = query.where(
            NeedReferral.answered_at.is_(None), needs.c.status == NeedStatus.IN_HAND
        )
    referrals = list(db.session.scalars(query))
    units = {
        u.id: u
        for u in db.session.scalars(
            select(PartnerUnit).where(PartnerUnit.id.in_({r.partner_unit_id for r in referrals}))
        )
    }
    matters = []
    for referral in referrals:
        if referral.answered_at is not None:
            state = "answered"
        elif property_matters.is_late(referral, now):
            state = "late"
        else:
            state = "waiting"
        matters.append(Matter(referral.need, referral, units.get(referral.partner_unit_id), state))
    return matters


@dataclass(frozen=True)
class GridMatters:
    """A period's property matters of one grid (None: not in a grid)."""

    grid_id: int | None
    sent: int
    answered: int
    answered_late: int
    open_late: int
    chased: int


def property_matters_by_grid(
    community_id: int, start: date, end: date, *, now: datetime, grid_id: int | None = None
) -> list[GridMatters]:
    """Return the property matters sent in the period (local dates, both included), per grid."""
    begin, stop = _period(start, end)
    late_answer = NeedReferral.answered_at > NeedReferral.due_at
    open_late = (NeedReferral.answered_at.is_(None)) & (NeedReferral.due_at <= now)
    query = (
        select(
            Need.grid_id,
            func.count(NeedReferral.id),
            func.count(NeedReferral.answered_at),
            func.count().filter(late_answer),
            func.count().filter(open_late),
            func.count(NeedReferral.chased_contact_at),
        )
        .join(Need, Need.id == NeedReferral.need_id)
        .where(
            Need.community_id == community_id,
            NeedReferral.due_at.isnot(None),
            NeedReferral.sent_at >= begin,
            NeedReferral.sent_at < stop,
        )
        .group_by(Need.grid_id)
        .order_by(Need.grid_id)
    )
    if grid_id is not None:
        query = query.where(Need.grid_id == grid_id)
    return [
        GridMatters(*(row[0],), *(int(x or 0) for x in row[1:]))
        for row in db.session.execute(query)
    ]


def events(
    community_id: int, start: date, end: date, *, grid_id: int | None = None
) -> list[NeedEvent]:
    """Return the period's report and property events (local dates, both included), in order.

    The ledger counts these: a report by an observer, a matter sent to the property company,
    its answer, each chase.
    """
    begin, stop = _period(start, end)
    query = (
        select(NeedEvent)
        .join(Need, Need.id == NeedEvent.need_id)
        .where(
            Need.community_id == community_id,
            NeedEvent.action.in_(tuple(EVENTS)),
            NeedEvent.at >= begin,
            NeedEvent.at < stop,
        )
        .order_by(NeedEvent.at, NeedEvent.id)
    )
    if grid_id is not None:
        query = query.where(Need.grid_id == grid_id)
    return list(db.session.scalars(query))
