"""What a person may see and do of patrols: who manages a grid's patrols, who may sign up,
the shifts for a person, the one a "巡逻 …" text acts on, the month's log, the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import selectinload

from models import (
    Grid,
    PatrolEvent,
    PatrolFinding,
    PatrolRoute,
    PatrolShift,
    PatrolSignup,
    Person,
    Post,
    db,
)
from models.clock import at
from models.roles import Permission, Role
from services.errors import NotFound
from services.roster import permissions
from services.work_orders.queries import window_text

# A text sent this long before a shift starts acts on it ("巡逻 开始" a little early).
EARLY_MARGIN = timedelta(minutes=60)
# ... and this long after it ended (a late "巡逻 结束").
LATE_MARGIN = timedelta(hours=3)
WEEKDAY_NAMES = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "日"}


def when_text(shift: PatrolShift) -> str:
    """Return the shift's window in local time, short enough for an SMS."""
    return window_text(shift.starts_at, shift.ends_at)


def clock_text(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def managed_grid_ids(person: Person, today: date) -> set[int]:
    """Return the grids whose patrols the person organises (grid leader, secretary, staff).

    The posts must carry `dispatch`, as organising work orders does.
    """
    area = permissions.area_with(person, Permission.DISPATCH, today)
    grids = set(area.grid_ids)
    if area.community_ids:
        grids.update(
            db.session.scalars(select(Grid.id).where(Grid.community_id.in_(area.community_ids)))
        )
    return grids


def get_managed_grid(person: Person, grid_id: int, today: date) -> Grid:
    grid = db.session.get(Grid, grid_id) if grid_id in managed_grid_ids(person, today) else None
    if grid is None:
        raise NotFound(_("Not found."))
    return grid


def routes_of(grid_ids: set[int]) -> list[PatrolRoute]:
    if not grid_ids:
        return []
    return list(
        db.session.scalars(
            select(PatrolRoute)
            .where(PatrolRoute.grid_id.in_(grid_ids))
            .options(selectinload(PatrolRoute.schedules))
            .order_by(PatrolRoute.grid_id, PatrolRoute.name)
        )
    )


def may_patrol(person: Person, route: PatrolRoute, today: date) -> bool:
    """Return whether the person may sign up for the route's shifts.

    Those holding a patroller's post in the route's grid (a police officer or a guard given
    the post is one too), the grid's leader, and members of the partner units the route
    names (a police station, the property's security staff) without a post.
    """
    if person.partner_unit_id is not None and person.partner_unit_id in route.partner_unit_ids:
        return True
    held = db.session.scalar(
        select(Post.id)
        .where(
            Post.person_id == person.id,
            Post.grid_id == route.grid_id,
            Post.role.in_((Role.PATROLLER, Role.GRID_LEADER)),
            Post.active_on(today),
        )
        .limit(1)
    )
    return held is not None


def signup_of(shift: PatrolShift, person: Person) -> PatrolSignup | None:
    return db.session.scalar(
        select(PatrolSignup).where(
            PatrolSignup.shift_id == shift.id, PatrolSignup.person_id == person.id
        )
    )


def patrol_routes_for(person: Person, today: date) -> list[PatrolRoute]:
    """Return the active routes a person may sign up for."""
    grids = {
        p.grid_id
        for p in person.active_posts(today)
        if p.grid_id is not None and p.role in (Role.PATROLLER, Role.GRID_LEADER)
    }
    clauses: list[ColumnElement[bool]] = [PatrolRoute.grid_id.in_(grids)] if grids else []
    if person.partner_unit is not None:
        clauses.append(PatrolRoute.community_id == person.partner_unit.community_id)
    if not clauses:
        return []
    routes = db.session.scalars(
        select(PatrolRoute)
        .where(PatrolRoute.active.is_(True), or_(*clauses))
        .order_by(PatrolRoute.grid_id, PatrolRoute.name)
    ).all()
    return [r for r in routes if may_patrol(person, r, today)]


def upcoming_for(person: Person, today: date, now: datetime, days: int = 7) -> list[PatrolShift]:
    """Return the coming shifts a person may sign up for, and every one they hold."""
    routes = [r.id for r in patrol_routes_for(person, today)]
    mine = set(
        db.session.scalars(
            select(PatrolSignup.shift_id).where(
                PatrolSignup.person_id == person.id, PatrolSignup.withdrawn_at.is_(None)
            )
        )
    )
    clauses = []
    if routes:
        clauses.append(PatrolShift.route_id.in_(routes))
    if mine:
        clauses.append(PatrolShift.id.in_(mine))
    if not clauses:
        return []
    return list(
        db.session.scalars(
            select(PatrolShift)
            .where(
                or_(*clauses),
                PatrolShift.cancelled_at.is_(None),
                PatrolShift.ends_at > now - LATE_MARGIN,
                PatrolShift.starts_at < now + timedelta(days=days),
            )
            .options(selectinload(PatrolShift.signups), selectinload(PatrolShift.route))
            .order_by(PatrolShift.starts_at, PatrolShift.id)
        )
    )


@dataclass
class Current:
    """The sign-up a "巡逻 …" text acts on, or why there is none."""

    signup: PatrolSignup | None = None
    reason: str = ""


def current_signup(person: Person, now: datetime) -> Current:
    """Return the sender's current shift: under way or started, else the next one near now.

    One that is started and not finished comes first (it is what "结束" and "发现" are about);
    then one whose window holds now; then the next that starts within EARLY_MARGIN.
    """
    rows = db.session.scalars(
        select(PatrolSignup)
        .join(PatrolShift, PatrolShift.id == PatrolSignup.shift_id)
        .where(
            PatrolSignup.person_id == person.id,
            PatrolSignup.withdrawn_at.is_(None),
            PatrolShift.cancelled_at.is_(None),
            PatrolShift.starts_at <= now + EARLY_MARGIN,
            PatrolShift.ends_at >= now - LATE_MARGIN,
        )
        .order_by(PatrolShift.starts_at)
    ).all()
    if not rows:
        return Current(
            reason=_(
                "You have no patrol shift now. Send 巡逻 to see the shifts you can sign up for."
            )
        )
    under_way = [s for s in rows if s.started_at is not None and s.finished_at is None]
    if under_way:
        return Current(under_way[0])
    waiting = [s for s in rows if s.finished_at is None]
    if waiting:
        inside = [s for s in waiting if s.shift.starts_at <= now <= s.shift.ends_at]
        return Current((inside or waiting)[0])
    return Current(rows[-1])


def get_shift(shift_id: int) -> PatrolShift:
    shift = db.session.get(PatrolShift, shift_id)
    if shift is None:
        raise NotFound(_("Not found."))
    return shift


def get_managed_finding(person: Person, finding_id: int, today: date) -> PatrolFinding:
    finding = db.session.get(PatrolFinding, finding_id)
    if finding is None or finding.shift.grid_id not in managed_grid_ids(person, today):
        raise NotFound(_("Not found."))
    return finding


@dataclass
class MonthLog:
    grid: Grid
    month: date
    shifts: list[PatrolShift] = field(default_factory=list)

    @property
    def patrolled(self) -> int:
        return sum(1 for s in self.shifts if any(x.started_at for x in s.active_signups()))

    @property
    def findings(self) -> int:
        return sum(len(s.findings) for s in self.shifts)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_log(grid: Grid, month: date) -> MonthLog:
    """Return a grid's shifts of a month (local days) with who, started/finished, findings."""
    start = month.replace(day=1)
    shifts = db.session.scalars(
        select(PatrolShift)
        .where(
            PatrolShift.grid_id == grid.id,
            PatrolShift.day >= start,
            PatrolShift.day < next_month(start),
        )
        .options(
            selectinload(PatrolShift.signups).selectinload(PatrolSignup.person),
            selectinload(PatrolShift.findings),
            selectinload(PatrolShift.route),
        )
        .order_by(PatrolShift.starts_at, PatrolShift.id)
    ).all()
    return MonthLog(grid, start, list(shifts))


def events(
    community_id: int, start: datetime, end: datetime, grid_id: int | None = None
) -> list[PatrolEvent]:
    """Return a period's patrol events for a community (or one grid), oldest first.

    The ledger (台账) and the assessment count these: [start, end) in UTC moments.
    """
    query = select(PatrolEvent).where(
        PatrolEvent.community_id == community_id, PatrolEvent.at >= start, PatrolEvent.at < end
    )
    if grid_id is not None:
        query = query.where(PatrolEvent.grid_id == grid_id)
    return list(db.session.scalars(query.order_by(PatrolEvent.at, PatrolEvent.id)))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """Return a local month as UTC moments [start, end), for `events`."""
    start = month.replace(day=1)
    return at(start, datetime.min.time()), at(next_month(start), datetime.min.time())
