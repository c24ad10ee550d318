"""Pledges: who may write and approve them, what the board shows, the rating card, and the
quarter's figures (`ratings`) the assessment counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import (
    Household,
    MediationCase,
    MediationParty,
    Person,
    Pledge,
    PledgeEvent,
    PledgeRating,
    PledgeRound,
    PledgeStatus,
    Post,
    Wish,
    db,
)
from models.clock import at
from models.roles import STAFF_ROLES, Role
from services.report_in.quarters import Quarter
from services.roster import areas

# The posts residents rate (评诺): the heads of their building and of their grid.
RATED_ROLES = (Role.BUILDING_HEAD, Role.GRID_LEADER)
# What an SMS calls them (always Chinese: the question's template is).
ROLE_ZH: dict[str, str] = {Role.BUILDING_HEAD: "楼栋长", Role.GRID_LEADER: "网格长"}
# Days a round stays open after it is opened.
ROUND_DAYS = 30


def office_of(person: Person | None, today: date) -> set[int]:
    """The communities whose office (secretary or staff) this person works in."""
    if person is None:
        return set()
    return {p.community_id for p in person.active_posts(today) if p.role in STAFF_ROLES}


def is_secretary(person: Person | None, community_id: int, today: date) -> bool:
    return person is not None and any(
        p.role == Role.SECRETARY and p.community_id == community_id
        for p in person.active_posts(today)
    )


def led_grids(person: Person | None, today: date) -> set[int]:
    """The grids this person leads (grid leader)."""
    if person is None:
        return set()
    return {
        p.grid_id
        for p in person.active_posts(today)
        if p.role == Role.GRID_LEADER and p.grid_id is not None
    }


def own_posts(person: Person, today: date) -> list[Post]:
    """The posts a person writes pledges for: every post they hold today."""
    return person.active_posts(today)


def may_write(person: Person, post: Post, today: date) -> bool:
    return (post.person_id == person.id and post.is_active(today)) or (
        post.community_id in office_of(person, today)
    )


def community_posts(community_id: int, today: date) -> list[Post]:
    """Every post held in a community today, grouped as the notice board groups them."""
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.community_id == community_id, Post.active_on(today))
            .options(selectinload(Post.person), selectinload(Post.grid))
            .order_by(Post.grid_id.is_(None).desc(), Post.grid_id, Post.role, Post.id)
        )
    )


def pledges_of(post_ids: list[int]) -> dict[int, list[Pledge]]:
    """Every pledge of these posts, newest period first."""
    found: dict[int, list[Pledge]] = defaultdict(list)
    if not post_ids:
        return found
    for pledge in db.session.scalars(
        select(Pledge)
        .where(Pledge.post_id.in_(post_ids))
        .order_by(Pledge.starts_on.desc(), Pledge.period, Pledge.id)
    ):
        found[pledge.post_id].append(pledge)
    return found


def waiting(community_id: int) -> list[Pledge]:
    """Pledges written by their holders and not approved yet."""
    return list(
        db.session.scalars(
            select(Pledge)
            .where(Pledge.community_id == community_id, Pledge.status == PledgeStatus.SUBMITTED)
            .options(selectinload(Pledge.post).selectinload(Post.person))
            .order_by(Pledge.written_at)
        )
    )


def get_pledge(pledge_id: int) -> Pledge | None:
    return db.session.get(Pledge, pledge_id)


def on_board(community_id: int, today: date) -> dict[int, list[str]]:
    """The approved pledges in force today, as lines, by post (year's first, then quarter's)."""
    lines: dict[int, list[str]] = defaultdict(list)
    for pledge in db.session.scalars(
        select(Pledge)
        .where(
            Pledge.community_id == community_id,
            Pledge.status == PledgeStatus.APPROVED,
            Pledge.starts_on <= today,
            Pledge.ends_on > today,
        )
        .order_by(Pledge.post_id, Pledge.period.desc(), Pledge.id)
    ):
        lines[pledge.post_id].extend(pledge.lines)
    return dict(lines)


def get_round(community_id: int, quarter: Quarter) -> PledgeRound | None:
    return db.session.scalar(
        select(PledgeRound).where(
            PledgeRound.community_id == community_id,
            PledgeRound.quarter_first == quarter.first,
        )
    )


def is_open(round_: PledgeRound, today: date) -> bool:
    return today < round_.closes_on


def card_for(
    person: Person, today: date, household_ids: Sequence[int] | None = None
) -> list[PledgeRating]:
    """The rating rows of the person's own households in rounds still open (the home's card).

    `household_ids`: those households, when the caller has them already (the home has).
    """
    households = (
        list(household_ids)
        if household_ids is not None
        else [h.id for h in db.session.scalars(areas.own_households(person))]
    )
    if not households:
        return []
    return list(
        db.session.scalars(
            select(PledgeRating)
            .join(PledgeRound, PledgeRating.round_id == PledgeRound.id)
            .where(PledgeRating.household_id.in_(households), PledgeRound.closes_on > today)
            .options(
                selectinload(PledgeRating.post).selectinload(Post.person),
                selectinload(PledgeRating.round),
            )
            .order_by(PledgeRating.household_id, PledgeRating.id)
        )
    )


def rating_for(person: Person, rating_id: int) -> PledgeRating | None:
    """A rating row of one of the person's own households, or None (anyone else's)."""
    rating = db.session.get(PledgeRating, rating_id)
    if rating is None:
        return None
    own = {h.id for h in db.session.scalars(areas.own_households(person))}
    return rating if rating.household_id in own else None


@dataclass(frozen=True)
class Figure:
    """An average of 1-5 ratings and how many there were (average None: none)."""

    total: int = 0
    count: int = 0

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 2) if self.count else None

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.total + other.total, self.count + other.count)


@dataclass(frozen=True)
class Ratings:
    """A community's residents' ratings in a period.

    posts: pledge ratings per rated post; grids: pledge ratings per grid; satisfaction: every
    rating residents gave, per grid (pledges, fulfilled wishes, mediation cases).
    """

    posts: dict[int, Figure] = field(default_factory=dict)
    grids: dict[int, Figure] = field(default_factory=dict)
    satisfaction: dict[int, Figure] = field(default_factory=dict)


def ratings(community_id: int, start: date, end: date) -> Ratings:
    """Residents' ratings of a community from `start` to before `end` (local days).

    Pledge ratings count for the quarter they rate (a round whose quarter begins in the
    period, whenever the household answered); a wish's and a mediation party's rating count
    when they were given. Three grouped queries whatever the size of the community.
    """
    posts: dict[int, Figure] = {}
    grids: dict[int, Figure] = defaultdict(Figure)
    satisfaction: dict[int, Figure] = defaultdict(Figure)
    pledge_rows = db.session.execute(
        select(
            PledgeRating.post_id,
            PledgeRating.grid_id,
            func.sum(PledgeRating.value),
            func.count(PledgeRating.value),
        )
        .join(PledgeRound, PledgeRating.round_id == PledgeRound.id)
        .where(
            PledgeRound.community_id == community_id,
            PledgeRound.quarter_first >= start,
            PledgeRound.quarter_first < end,
            PledgeRating.value.is_not(None),
        )
        .group_by(PledgeRating.post_id, PledgeRating.grid_id)
    )
    for post_id, grid_id, total, count in pledge_rows:
        figure = Figure(int(total or 0), int(count or 0))
        posts[post_id] = posts.get(post_id, Figure()) + figure
        grids[grid_id] += figure
        satisfaction[grid_id] += figure
    begin, stop = at(start, time(0, 0)), at(end, time(0, 0))
    wish_rows = db.session.execute(
        select(Wish.grid_id, func.sum(Wish.rating), func.count(Wish.rating))
        .where(
            Wish.community_id == community_id,
            Wish.rating.is_not(None),
            Wish.rated_at >= begin,
            Wish.rated_at < stop,
        )
        .group_by(Wish.grid_id)
    )
    for grid_id, total, count in wish_rows:
        satisfaction[grid_id] += Figure(int(total or 0), int(count or 0))
    case_rows = db.session.execute(
        select(MediationCase.grid_id, func.sum(MediationParty.rating), func.count())
        .join(MediationCase, MediationParty.case_id == MediationCase.id)
        .where(
            MediationCase.community_id == community_id,
            MediationParty.rating.is_not(None),
            MediationParty.rated_at >= begin,
            MediationParty.rated_at < stop,
        )
        .group_by(MediationCase.grid_id)
    )
    for grid_id, total, count in case_rows:
        satisfaction[grid_id] += Figure(int(total or 0), int(count or 0))
    return Ratings(posts=posts, grids=dict(grids), satisfaction=dict(satisfaction))


def rated_posts(community_id: int, day: date) -> list[Post]:
    """The building heads and grid leaders of a community on a day (the posts residents rate)."""
    return list(
        db.session.scalars(
            select(Post)
            .where(
                Post.community_id == community_id,
                Post.role.in_(RATED_ROLES),
                Post.active_on(day),
            )
            .options(selectinload(Post.person), selectinload(Post.building))
            .order_by(Post.id)
        )
    )


def households_of(community_id: int) -> list[Household]:
    """The community's households living there, with their residents and building."""
    return list(
        db.session.scalars(
            areas.visible_households(areas.Area(community_ids=frozenset({community_id})))
            .options(selectinload(Household.residents), selectinload(Household.building))
            .order_by(Household.id)
        )
    )


def events(
    community_id: int, start: datetime, end: datetime, grid_id: int | None = None
) -> list[PledgeEvent]:
    """The pledge events of a community (or one grid) from `start` to before `end`."""
    query = select(PledgeEvent).where(
        PledgeEvent.community_id == community_id,
        PledgeEvent.at >= start,
        PledgeEvent.at < end,
    )
    if grid_id is not None:
        query = query.where(PledgeEvent.grid_id == grid_id)
    return list(db.session.scalars(query.order_by(PledgeEvent.at, PledgeEvent.id)))
