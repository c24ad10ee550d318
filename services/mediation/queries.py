"""Who sees which mediation cases, the lists, the party search and the ledger's events.

A case is seen by its grid's mediators, that grid's leader and the community's secretary, and by
nobody else: not staff, building heads, other grids' mediators, nor the parties. The role is
checked as well as the permission (SEE_MEDIATION), so a community granting the permission to
another role on the roles page opens nothing. Anyone else gets NotFound, as for a case that does
not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import selectinload

from models import (
    Building,
    CaseStatus,
    Grid,
    Household,
    MediationCase,
    MediationEvent,
    MediationParty,
    Outcome,
    Person,
    Resident,
    db,
)
from models.roles import Permission, Role
from services.errors import NotFound
from services.roster import permissions

# What a dispute is about; codes stored, labels shown (Chinese on a Chinese screen).
CATEGORIES: dict[str, Any] = {
    "neighbour": _l("Neighbour dispute"),
    "family": _l("Family dispute"),
    "property": _l("Property management dispute"),
    "noise": _l("Noise"),
    "parking": _l("Parking and shared spaces"),
    "leak": _l("Water leak between flats"),
    "pets": _l("Pets"),
    "debt": _l("Money owed"),
    "other": _l("Other"),
}
# The same in Chinese for SMS, which is rendered without a request's language.
CATEGORY_ZH = {
    "neighbour": "邻里纠纷",
    "family": "家庭矛盾",
    "property": "物业纠纷",
    "noise": "噪音扰民",
    "parking": "停车占道",
    "leak": "漏水纠纷",
    "pets": "宠物纠纷",
    "debt": "债务纠纷",
    "other": "其他",
}
# How the dispute reached the mediator.
SOURCES: dict[str, Any] = {
    "visit": _l("Home visit"),
    "resident": _l("A resident asked"),
    "observer": _l("People's observer"),
    "police": _l("Referred by the police"),
    "need": _l("From the needs list"),
    "other": _l("Other"),
}
OUTCOMES: dict[str, Any] = {
    Outcome.AGREED: _l("Agreement reached"),
    Outcome.JUDICIAL: _l("Referred to the judicial office"),
    Outcome.POLICE: _l("Referred to the police"),
    Outcome.CLOSED: _l("Closed"),
}
OUTCOME_ZH: dict[str, str] = {
    Outcome.AGREED: "已达成协议",
    Outcome.JUDICIAL: "已转司法所",
    Outcome.POLICE: "已转派出所",
    Outcome.CLOSED: "已结案",
}
STATUSES: dict[str, Any] = {
    "open": _l("Being mediated"),
    "follow_up": _l("Follow-up due"),
    "done": _l("Done"),
}
SESSION_KINDS: dict[str, Any] = {
    "session": _l("Mediation session"),
    "follow_up": _l("Follow-up visit"),
}
EVENT_ACTIONS: dict[str, Any] = {
    "opened": _l("Opened"),
    "party_added": _l("Party added"),
    "session": _l("Session"),
    "outcome": _l("Outcome"),
    "follow_up": _l("Follow-up visit"),
    "asked": _l("Parties asked"),
    "rated": _l("Party answered"),
    "reminded": _l("Follow-up reminder"),
}
# The roles that may ever see a case (besides holding SEE_MEDIATION).
GRID_ROLES = (Role.MEDIATOR, Role.GRID_LEADER)
LIST_LIMIT = 200


@dataclass(frozen=True)
class Reach:
    """The grids whose cases a person sees, and the communities they are the secretary of."""

    grids: frozenset[int]
    communities: frozenset[int]

    @property
    def is_empty(self) -> bool:
        return not self.grids and not self.communities

    def clause(self) -> ColumnElement[bool]:
        return or_(
            MediationCase.grid_id.in_(self.grids),
            MediationCase.community_id.in_(self.communities),
        )

    def covers(self, case: MediationCase) -> bool:
        return case.grid_id in self.grids or case.community_id in self.communities


def reach_of(person: Person | None, today: date) -> Reach:
    """Return whose cases the person sees: their grid posts' grids; as secretary, the community."""
    if person is None:
        return Reach(frozenset(), frozenset())
    grids: set[int] = set()
    communities: set[int] = set()
    for post in permissions.posts_with(person, Permission.SEE_MEDIATION, today):
        if post.role == Role.SECRETARY:
            communities.add(post.community_id)
        elif post.role in GRID_ROLES:
            if post.grid_id is not None:
                grids.add(post.grid_id)
            elif post.building is not None:
                grids.add(post.building.grid_id)
    return Reach(frozenset(grids), frozenset(communities))


def grids_of(reach: Reach) -> list[Grid]:
    """Return the grids a person may open cases in, by number."""
    if reach.is_empty:
        return []
    return list(
        db.session.scalars(
            select(Grid)
            .where(or_(Grid.id.in_(reach.grids), Grid.community_id.in_(reach.communities)))
            .order_by(Grid.community_id, Grid.number)
        )
    )


def _status_clause(status: str) -> ColumnElement[bool]:
    if status == "open":
        return MediationCase.status == CaseStatus.OPEN
    if status == "follow_up":
        return (MediationCase.status == CaseStatus.CONCLUDED) & MediationCase.followed_up_at.is_(
            None
        )
    return (MediationCase.status == CaseStatus.CONCLUDED) & MediationCase.followed_up_at.is_not(
        None
    )


def list_cases(reach: Reach, status: str = "open") -> list[MediationCase]:
    if reach.is_empty:
        return []
    return list(
        db.session.scalars(
            select(MediationCase)
            .where(reach.clause(), _status_clause(status))
            .options(
                selectinload(MediationCase.parties).selectinload(MediationParty.resident),
                selectinload(MediationCase.parties).selectinload(MediationParty.household),
            )
            .order_by(MediationCase.opened_at.desc(), MediationCase.id.desc())
            .limit(LIST_LIMIT)
        )
    )


def counts(reach: Reach) -> dict[str, int]:
    return {status: len(list_cases(reach, status)) for status in STATUSES}


def get_case(reach: Reach, case_id: int) -> MediationCase:
    """Return the case if the reach covers it; NotFound alike for outside and missing."""
    case = db.session.get(MediationCase, case_id)
    if case is None or not reach.covers(case):
        raise NotFound("not found")
    return case


def find(ref: str) -> MediationCase | None:
    """Return the case a code such as M3 names (the caller checks who may see it)."""
    if not ref.startswith("M") or not ref[1:].isdigit():
        return None
    found: MediationCase | None = db.session.get(MediationCase, int(ref[1:]))
    return found


def party_name(party: MediationParty) -> str:
    if party.resident is not None:
        return party.resident.name
    return party.household.contact_name or party.household.address


def surname(party: MediationParty) -> str:
    """Return the first character of a party's name: an SMS list names no one further."""
    name = party_name(party) if party.resident is not None or party.household.contact_name else ""
    return name[:1] or "?"


def open_cases_for_sms(reach: Reach) -> list[MediationCase]:
    """The cases a mediator still works on: being mediated, or waiting for the follow-up."""
    return list_cases(reach, "open") + list_cases(reach, "follow_up")


def search_parties(reach: Reach, q: str, limit: int = 30) -> tuple[list[Household], list[Resident]]:
    """Return households (by address or contact) and residents (by name) of the reach's grids."""
    q = " ".join(q.split())
    if reach.is_empty or not q:
        return [], []
    in_reach = or_(Building.grid_id.in_(reach.grids), Building.community_id.in_(reach.communities))
    like = f"%{q}%"
    residents = list(
        db.session.scalars(
            select(Resident)
            .join(Household, Household.id == Resident.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(in_reach, Household.current(), Resident.living(), Resident.name.like(like))
            .options(selectinload(Resident.household).selectinload(Household.building))
            .order_by(Resident.name, Resident.id)
            .limit(limit)
        )
    )
    households = list(
        db.session.scalars(
            select(Household)
            .join(Building, Building.id == Household.building_id)
            .where(
                in_reach,
                Household.current(),
                or_(
                    Household.room.like(like),
                    Household.contact_name.like(like),
                    Building.name.like(like),
                    Building.compound.like(like),
                    (Building.name + Household.unit + Household.room).like(like),
                ),
            )
            .options(selectinload(Household.building), selectinload(Household.residents))
            .order_by(Building.compound, Building.name, Household.unit, Household.room)
            .limit(limit)
        )
    )
    return households, residents


def households_in_reach(reach: Reach, ids: Iterable[int]) -> dict[int, Household]:
    wanted = sorted(set(ids))
    if reach.is_empty or not wanted:
        return {}
    in_reach = or_(Building.grid_id.in_(reach.grids), Building.community_id.in_(reach.communities))
    return {
        h.id: h
        for h in db.session.scalars(
            select(Household)
            .join(Building, Building.id == Household.building_id)
            .where(Household.id.in_(wanted), in_reach, Household.current())
            .options(selectinload(Household.building), selectinload(Household.residents))
        )
    }


def events_between(
    community_id: int, start: datetime, end: datetime, grid_id: int | None = None
) -> list[MediationEvent]:
    """Return a period's mediation events of a community (or one grid), for the ledger."""
    query = select(MediationEvent).where(
        MediationEvent.community_id == community_id,
        MediationEvent.at >= start,
        MediationEvent.at < end,
    )
    if grid_id is not None:
        query = query.where(MediationEvent.grid_id == grid_id)
    return list(db.session.scalars(query.order_by(MediationEvent.at, MediationEvent.id)))


def follow_ups_due(today: date) -> list[MediationCase]:
    """Concluded cases whose follow-up is due and whose mediator was not yet reminded."""
    return list(
        db.session.scalars(
            select(MediationCase)
            .where(
                MediationCase.status == CaseStatus.CONCLUDED,
                MediationCase.follow_up_due <= today,
                MediationCase.followed_up_at.is_(None),
                MediationCase.follow_up_reminded_at.is_(None),
            )
            .order_by(MediationCase.id)
        )
    )


def grids_ids(reach: Reach) -> set[int]:
    return {g.id for g in grids_of(reach)}
