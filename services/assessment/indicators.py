"""The assessment's indicators: each counted from the records, for every subject at once.

An indicator is one declaration: its code, its title, which subjects it applies to (grids,
and the roles of post-holders) and a function that counts one period of one community with
one grouped query, for all its subjects together. Values are 0-100, or None when there was
nothing to count for that subject in that period (None leaves the indicator out of that
subject's total rather than counting as zero).

Other features add theirs with one line in INDICATORS (as the pledges' ratings did).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, func, literal, null, or_, select, union_all

from models import (
    Building,
    Campaign,
    CampaignHousehold,
    Household,
    HouseholdMonth,
    MediationCase,
    MediationParty,
    Meeting,
    MeetingInvitee,
    Need,
    PatrolShift,
    PatrolSignup,
    PledgeRating,
    PledgeRound,
    Wish,
    WishStatus,
    db,
)
from models.roles import N_MEMBER_ROLES, Role
from services.assessment.periods import Period

GRID = "grid"  # the subject kind of a grid, beside the roles of post-holders
SubjectKey = tuple[str, int]  # ("grid", grid id) or ("post", post id)
Values = dict[SubjectKey, float | None]
Tally = dict[Any, list[float]]  # id → [counted, out of]

N_MEMBERS = frozenset(str(r) for r in N_MEMBER_ROLES)
AREA_HOLDERS = frozenset({GRID, Role.GRID_LEADER, Role.BUILDING_HEAD})


@dataclass(frozen=True)
class Subject:
    key: SubjectKey
    role: str  # GRID for a grid; the post's role otherwise
    grid_id: int | None
    building_id: int | None
    person_id: int | None


@dataclass(frozen=True)
class Scope:
    """What an indicator counts over: a community, a period, its subjects, the settings."""

    community_id: int
    period: Period
    subjects: tuple[Subject, ...]
    today: date
    now: datetime
    answer_days: int  # a need counts as answered in time within this many days


@dataclass(frozen=True)
class Indicator:
    code: str
    title: Any  # a lazy string: shown in the reader's language
    applies_to: frozenset[str]  # GRID and role codes
    compute: Callable[[Scope], Values]
    default_weight: float = 10.0


# -- sharing grouped counts out to subjects -----------------------------------------------


def _add(tally: Tally, key: Any, counted: float, out_of: float) -> None:
    if key is None:
        return
    found = tally.setdefault(key, [0.0, 0.0])
    found[0] += counted
    found[1] += out_of


def _share(found: list[float] | None) -> float | None:
    if not found or found[1] <= 0:
        return None
    return round(100.0 * found[0] / found[1], 1)


def spread(
    scope: Scope,
    applies_to: frozenset[str],
    *,
    grids: Tally,
    buildings: Tally | None = None,
    people: Tally | None = None,
    own_work: frozenset[str] = N_MEMBERS,
) -> Values:
    """Give each subject its share: a grid its grid's, a building head their building's, a
    grid leader their grid's; an N member (own_work) their own when `people` is counted,
    else the area their post is placed in (its building, else its grid)."""
    values: Values = {}
    for subject in scope.subjects:
        if subject.role not in applies_to:
            continue
        if subject.role == GRID:
            values[subject.key] = _share(grids.get(subject.grid_id))
        elif people is not None and subject.role in own_work:
            values[subject.key] = _share(people.get(subject.person_id))
        elif subject.building_id is not None and buildings is not None:
            values[subject.key] = _share(buildings.get(subject.building_id))
        else:
            values[subject.key] = _share(grids.get(subject.grid_id))
    return values


def _between(column: Any, scope: Scope) -> ColumnElement[bool]:
    began, ends = scope.period.span()
    return and_(column >= began, column < ends)


def _rows(query: Any) -> Iterable[Any]:
    return db.session.execute(query)


# -- the indicators -----------------------------------------------------------------------


def visit_coverage(scope: Scope) -> Values:
    """Households visited at least once in each month, of those due (households × months)."""
    months = scope.period.months(scope.today)
    grids: Tally = {}
    buildings: Tally = {}
    if months:
        query = (
            select(
                Building.id,
                Building.grid_id,
                func.count(func.distinct(Household.id)),
                func.count(HouseholdMonth.household_id),
            )
            .join(Household, Household.building_id == Building.id)
            .outerjoin(
                HouseholdMonth,
                and_(
                    HouseholdMonth.household_id == Household.id,
                    HouseholdMonth.month.in_(months),
                ),
            )
            .where(Building.community_id == scope.community_id, Household.current())
            .group_by(Building.id, Building.grid_id)
        )
        for building_id, grid_id, households, visited in _rows(query):
            due = households * len(months)
            _add(buildings, building_id, visited, due)
            _add(grids, grid_id, visited, due)
    return spread(scope, VISIT_COVERAGE_FOR, grids=grids, buildings=buildings)


def _answered_within(days: int) -> ColumnElement[bool]:
    # The time between two stored moments: SQLite keeps them as text, PostgreSQL as timestamps.
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(Need.answered_at) - func.julianday(Need.created_at) <= days
    return Need.answered_at - Need.created_at <= timedelta(days=days)


def needs_answered(scope: Scope) -> Values:
    """Needs raised in the period answered within the set number of days, of those raised."""
    query = (
        select(
            Need.grid_id,
            Need.building_id,
            func.count(),
            func.count().filter(
                and_(Need.answered_at.is_not(None), _answered_within(scope.answer_days))
            ),
        )
        .where(Need.community_id == scope.community_id, _between(Need.created_at, scope))
        .group_by(Need.grid_id, Need.building_id)
    )
    grids: Tally = {}
    buildings: Tally = {}
    for grid_id, building_id, raised, in_time in _rows(query):
        _add(grids, grid_id, in_time, raised)
        _add(buildings, building_id, in_time, raised)
    return spread(scope, AREA_HOLDERS, grids=grids, buildings=buildings)


_FULFILLED = or_(Wish.fulfilled_at.is_not(None), Wish.status == WishStatus.CONFIRMED)


def _wishes(scope: Scope, counted: ColumnElement[bool]) -> tuple[Tally, Tally, Tally]:
    query = (
        select(
            Wish.grid_id,
            Wish.building_id,
            Wish.claimer_id,
            func.count(),
            func.count().filter(counted),
        )
        .where(
            Wish.community_id == scope.community_id,
            Wish.status != WishStatus.WITHDRAWN,
            _between(Wish.posted_at, scope),
        )
        .group_by(Wish.grid_id, Wish.building_id, Wish.claimer_id)
    )
    grids: Tally = {}
    buildings: Tally = {}
    people: Tally = {}
    for grid_id, building_id, claimer_id, posted, n in _rows(query):
        _add(grids, grid_id, n, posted)
        _add(buildings, building_id, n, posted)
        _add(people, claimer_id, n, posted)
    return grids, buildings, people


def wishes_fulfilled(scope: Scope) -> Values:
    """Wishes posted in the period and fulfilled, of those posted (not withdrawn); an N member's:
    of the wishes they claimed."""
    grids, buildings, people = _wishes(scope, _FULFILLED)
    return spread(scope, WISHES_FOR, grids=grids, buildings=buildings, people=people)


def wishes_not_escalated(scope: Scope) -> Values:
    """Wishes posted in the period that never had to go up a level for want of a claimer."""
    grids, buildings, _people = _wishes(scope, Wish.escalated_at.is_(None))
    return spread(scope, AREA_HOLDERS, grids=grids, buildings=buildings)


# Residents' ratings (1-5) counted in the ratings indicator: each a query of (grid, building,
# the person rated, rating, rated at). The pledges' ratings are an indicator of their own.
def wish_ratings(scope: Scope) -> Any:
    return select(
        Wish.grid_id.label("grid_id"),
        Wish.building_id.label("building_id"),
        Wish.claimer_id.label("person_id"),
        Wish.rating.label("rating"),
    ).where(
        Wish.community_id == scope.community_id,
        Wish.rating.is_not(None),
        _between(Wish.rated_at, scope),
    )


def mediation_ratings(scope: Scope) -> Any:
    return (
        select(
            MediationCase.grid_id.label("grid_id"),
            null().label("building_id"),
            MediationCase.mediator_id.label("person_id"),
            MediationParty.rating.label("rating"),
        )
        .join(MediationCase, MediationCase.id == MediationParty.case_id)
        .where(
            MediationCase.community_id == scope.community_id,
            MediationParty.rating.is_not(None),
            _between(MediationParty.rated_at, scope),
        )
    )


RATING_SOURCES: list[Callable[[Scope], Any]] = [wish_ratings, mediation_ratings]


def residents_rating(scope: Scope) -> Values:
    """Residents' ratings (1-5) given in the period, as 0-100: 1 is 0, 5 is 100."""
    rated = union_all(*(source(scope) for source in RATING_SOURCES)).subquery()
    query = select(
        rated.c.grid_id,
        rated.c.building_id,
        rated.c.person_id,
        func.count(),
        func.sum(rated.c.rating - literal(1)),
    ).group_by(rated.c.grid_id, rated.c.building_id, rated.c.person_id)
    grids: Tally = {}
    buildings: Tally = {}
    people: Tally = {}
    for grid_id, building_id, person_id, n, above_one in _rows(query):
        # counted/out of: points above 1 out of 4 per rating
        _add(grids, grid_id, float(above_one), 4.0 * n)
        _add(buildings, building_id, float(above_one), 4.0 * n)
        _add(people, person_id, float(above_one), 4.0 * n)
    return spread(scope, RATINGS_FOR, grids=grids, buildings=buildings, people=people)


# The heads whose pledges households rate once a quarter (双诺双评; services/pledges).
PLEDGES_RATED = frozenset({GRID, Role.GRID_LEADER, Role.BUILDING_HEAD})


def pledge_ratings(scope: Scope) -> Values:
    """Households' ratings (1-5) of a head's pledges for the quarters in the period, as 0-100:
    a post its own ratings, a grid all its heads'."""
    query = (
        select(
            PledgeRating.grid_id,
            PledgeRating.post_id,
            func.count(),
            func.sum(PledgeRating.value - literal(1)),
        )
        .join(PledgeRound, PledgeRound.id == PledgeRating.round_id)
        .where(
            PledgeRating.community_id == scope.community_id,
            PledgeRating.value.is_not(None),
            # A round rates the quarter that begins on quarter_first, whenever it was open.
            PledgeRound.quarter_first >= scope.period.starts,
            PledgeRound.quarter_first < scope.period.ends,
        )
        .group_by(PledgeRating.grid_id, PledgeRating.post_id)
    )
    grids: Tally = {}
    posts: Tally = {}
    for grid_id, post_id, n, above_one in _rows(query):
        _add(grids, grid_id, float(above_one), 4.0 * n)
        _add(posts, post_id, float(above_one), 4.0 * n)
    values: Values = {}
    for subject in scope.subjects:
        if subject.role == GRID:
            values[subject.key] = _share(grids.get(subject.grid_id))
        elif subject.role in PLEDGES_RATED:
            values[subject.key] = _share(posts.get(subject.key[1]))
    return values


def patrol_shifts_kept(scope: Scope) -> Values:
    """Shifts signed up for (not withdrawn, not cancelled) that began in the period and were
    patrolled (started), of those signed up for."""
    query = (
        select(
            PatrolShift.grid_id,
            PatrolSignup.person_id,
            func.count(),
            func.count().filter(PatrolSignup.started_at.is_not(None)),
        )
        .join(PatrolShift, PatrolShift.id == PatrolSignup.shift_id)
        .where(
            PatrolShift.community_id == scope.community_id,
            PatrolShift.cancelled_at.is_(None),
            PatrolSignup.withdrawn_at.is_(None),
            _between(PatrolShift.starts_at, scope),
            PatrolShift.starts_at < scope.now,
        )
        .group_by(PatrolShift.grid_id, PatrolSignup.person_id)
    )
    grids: Tally = {}
    people: Tally = {}
    for grid_id, person_id, signed, kept in _rows(query):
        _add(grids, grid_id, kept, signed)
        _add(people, person_id, kept, signed)
    return spread(
        scope,
        frozenset({GRID, Role.GRID_LEADER, Role.PATROLLER}),
        grids=grids,
        people=people,
    )


def meetings_attended(scope: Scope) -> Values:
    """Of the meetings in the period whose attendance was taken, those one came to (a grid:
    everyone invited to its meetings)."""
    query = (
        select(
            Meeting.grid_id,
            MeetingInvitee.person_id,
            func.count(),
            func.count().filter(MeetingInvitee.present.is_(True)),
        )
        .join(Meeting, Meeting.id == MeetingInvitee.meeting_id)
        .where(
            Meeting.community_id == scope.community_id,
            MeetingInvitee.present.is_not(None),
            _between(Meeting.starts_at, scope),
        )
        .group_by(Meeting.grid_id, MeetingInvitee.person_id)
    )
    grids: Tally = {}
    people: Tally = {}
    for grid_id, person_id, marked, present in _rows(query):
        _add(grids, grid_id, present, marked)
        _add(people, person_id, present, marked)
    everyone = frozenset({GRID, Role.GRID_LEADER, Role.BUILDING_HEAD}) | N_MEMBERS
    return spread(
        scope,
        everyone,
        grids=grids,
        people=people,
        own_work=everyone - {GRID},
    )


def campaign_reach(scope: Scope) -> Values:
    """Households told of the policies whose campaigns ended in the period, of those concerned."""
    query = (
        select(
            CampaignHousehold.grid_id,
            CampaignHousehold.building_id,
            func.count(),
            func.count().filter(CampaignHousehold.method.is_not(None)),
        )
        .join(Campaign, Campaign.id == CampaignHousehold.campaign_id)
        .where(
            Campaign.community_id == scope.community_id,
            Campaign.deadline >= scope.period.starts,
            Campaign.deadline < scope.period.ends,
        )
        .group_by(CampaignHousehold.grid_id, CampaignHousehold.building_id)
    )
    grids: Tally = {}
    buildings: Tally = {}
    for grid_id, building_id, concerned, told in _rows(query):
        _add(grids, grid_id, told, concerned)
        _add(buildings, building_id, told, concerned)
    return spread(
        scope,
        AREA_HOLDERS | {Role.PUBLICIST},
        grids=grids,
        buildings=buildings,
        own_work=frozenset(),
    )


VISIT_COVERAGE_FOR = AREA_HOLDERS
WISHES_FOR = AREA_HOLDERS | N_MEMBERS
RATINGS_FOR = AREA_HOLDERS | N_MEMBERS

INDICATORS: list[Indicator] = [
    Indicator("visit_coverage", _l("Visit coverage"), VISIT_COVERAGE_FOR, visit_coverage, 25),
    Indicator("needs_answered", _l("Needs answered in time"), AREA_HOLDERS, needs_answered, 20),
    Indicator("wishes_fulfilled", _l("Wish fulfilment rate"), WISHES_FOR, wishes_fulfilled, 15),
    Indicator(
        "wishes_not_escalated",
        _l("Wishes claimed without escalation"),
        AREA_HOLDERS,
        wishes_not_escalated,
        5,
    ),
    Indicator("residents_rating", _l("Residents' ratings"), RATINGS_FOR, residents_rating, 15),
    Indicator(
        "patrol_shifts_kept",
        _l("Patrol shifts kept"),
        frozenset({GRID, Role.GRID_LEADER, Role.PATROLLER}),
        patrol_shifts_kept,
        10,
    ),
    Indicator(
        "meetings_attended",
        _l("Meetings attended"),
        frozenset({GRID, Role.GRID_LEADER, Role.BUILDING_HEAD}) | N_MEMBERS,
        meetings_attended,
        10,
    ),
    Indicator(
        "campaign_reach",
        _l("Policy campaign reach"),
        AREA_HOLDERS | {Role.PUBLICIST},
        campaign_reach,
        10,
    ),
    Indicator("pledge_rating", _l("Pledges' ratings"), PLEDGES_RATED, pledge_ratings, 10),
]


def by_code() -> dict[str, Indicator]:
    return {indicator.code: indicator for indicator in INDICATORS}
