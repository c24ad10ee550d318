"""Patrols' state changes: routes and schedules, the coming shifts, signing up and
withdrawing, starting and finishing a patrol, findings, and a finding made a need or an order.

Every rule lives here so the app, SMS and Telegram (services.patrols.commands) behave the
same. Functions flush, never commit; the caller owns the transaction. Every change writes a
PatrolEvent.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models import (
    Grid,
    Need,
    NeedSource,
    PartnerUnit,
    PatrolEvent,
    PatrolFinding,
    PatrolRoute,
    PatrolSchedule,
    PatrolShift,
    PatrolSignup,
    Person,
    db,
)
from models.clock import at, today_of
from services.errors import DomainError, InvalidInput
from services.needs import operations as needs
from services.needs.queries import CATEGORIES
from services.patrols.queries import clock_text, may_patrol, signup_of
from services.work_orders import from_need

MAX_NAME = 100
MAX_COVERS = 500
MAX_TEXT = 500
MAX_PLACES = 50
# Shifts exist this many days ahead (the periodic job keeps the horizon filled).
DAYS_AHEAD = 14
MAX_MINUTES = 12 * 60
CLOCK_RE = re.compile(r"^\s*(\d{1,2})\s*[:：]\s*(\d{2})\s*$")


class SignUpOutcome(enum.StrEnum):
    SIGNED_UP = "signed_up"
    ALREADY = "already"
    FULL = "full"
    CLOSED = "closed"  # cancelled or over
    NOT_FOR_YOU = "not_for_you"


# What a sign-up's outcome says, in the app and by SMS.
SIGN_UP_ANSWERS = {
    SignUpOutcome.SIGNED_UP: _l("You signed up."),
    SignUpOutcome.ALREADY: _l("You have already signed up for this shift."),
    SignUpOutcome.FULL: _l("This shift is full. Thank you!"),
    SignUpOutcome.CLOSED: _l("This shift is over or called off."),
    SignUpOutcome.NOT_FOR_YOU: _l("This shift is not on your routes."),
}


def record(
    shift: PatrolShift,
    action: str,
    now: datetime,
    person: Person | None = None,
    via: str = "app",
    detail: str = "",
    finding: PatrolFinding | None = None,
) -> None:
    db.session.add(
        PatrolEvent(
            community_id=shift.community_id,
            grid_id=shift.grid_id,
            shift_id=shift.id,
            finding_id=finding.id if finding else None,
            person_id=person.id if person else None,
            action=action,
            via=via,
            detail=detail[:MAX_TEXT],
            at=now,
        )
    )


def _text(value: str, what: str, limit: int, *, required: bool) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise InvalidInput(_("Enter %(what)s.", what=what))
    if len(value) > limit:
        raise InvalidInput(_("%(what)s is too long: at most %(n)d characters.", what=what, n=limit))
    return value


# -- routes and schedules ---------------------------------------------------------------------


def add_route(
    grid: Grid,
    *,
    name: str,
    covers: str,
    partner_unit_ids: Iterable[int] = (),
    by: Person,
    now: datetime,
) -> PatrolRoute:
    """Add a patrol area or route to a grid; names are unique within the grid."""
    name = _text(name, _("the route's name"), MAX_NAME, required=True)
    covers = _text(covers, _("what the route covers"), MAX_COVERS, required=False)
    units = sorted(set(partner_unit_ids))
    if units:
        found = set(
            db.session.scalars(
                select(PartnerUnit.id).where(
                    PartnerUnit.id.in_(units),
                    PartnerUnit.community_id == grid.community_id,
                    PartnerUnit.taking_part(),
                )
            )
        )
        if found != set(units):
            raise InvalidInput(_("Choose partner units of this community."))
    taken = db.session.scalar(
        select(PatrolRoute.id).where(PatrolRoute.grid_id == grid.id, PatrolRoute.name == name)
    )
    if taken is not None:
        raise InvalidInput(
            _("%(grid)s already has a route named %(name)s.", grid=grid.name, name=name)
        )
    route = PatrolRoute(
        community_id=grid.community_id,
        grid_id=grid.id,
        name=name,
        covers=covers,
        partner_unit_ids=units,
        active=True,
        created_by_id=by.id,
        created_at=now,
    )
    db.session.add(route)
    db.session.flush()
    return route


def parse_clock(value: str, what: str) -> int:
    """Return "19:00" (or "19：00") as minutes after midnight."""
    found = CLOCK_RE.match(value or "")
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise InvalidInput(_("Enter %(what)s as a time such as 19:00.", what=what))
    return int(found.group(1)) * 60 + int(found.group(2))


def parse_weekdays(values: Iterable[str | int]) -> str:
    days = set()
    for value in values:
        try:
            day = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("Choose the weekdays it runs on.")) from None
        if not 1 <= day <= 7:
            raise InvalidInput(_("Choose the weekdays it runs on."))
        days.add(day)
    if not days:
        raise InvalidInput(_("Choose the weekdays it runs on."))
    return "".join(str(d) for d in sorted(days))


def add_schedule(
    route: PatrolRoute,
    *,
    weekdays: Iterable[str | int],
    starts: str,
    ends: str,
    places_needed: int | str,
    by: Person,
    now: datetime,
) -> PatrolSchedule:
    """Add a recurring shift to a route and make its shifts for the coming days.

    A window ending at or before its start passes midnight (22:00-02:00).
    """
    days = parse_weekdays(weekdays)
    start = parse_clock(starts, _("the start"))
    end = parse_clock(ends, _("the end"))
    minutes = (end - start) % (24 * 60)
    if minutes == 0 or minutes > MAX_MINUTES:
        raise InvalidInput(_("A shift lasts more than nothing and at most 12 hours."))
    try:
        places = int(str(places_needed).strip())
    except ValueError:
        raise InvalidInput(_("Enter how many people are needed, as a number.")) from None
    if not 1 <= places <= MAX_PLACES:
        raise InvalidInput(_("A shift needs 1 to %(n)d people.", n=MAX_PLACES))
    if not route.active:
        raise DomainError(_("This route is no longer patrolled."))
    schedule = PatrolSchedule(
        route_id=route.id,
        weekdays=days,
        start_minute=start,
        minutes=minutes,
        places_needed=places,
        active=True,
        created_by_id=by.id,
        created_at=now,
    )
    db.session.add(schedule)
    db.session.flush()
    make_shifts(now, schedules=[schedule])
    return schedule


def schedule_text(schedule: PatrolSchedule) -> str:
    """Return "每周一三五 19:00-21:00" (the days, then the local window)."""
    names = {"1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六", "7": "日"}
    days = (
        "每天"
        if schedule.weekdays == "1234567"
        else "每周" + "".join(names[d] for d in schedule.weekdays)
    )
    end = clock_text(schedule.start_minute + schedule.minutes)
    return f"{days} {clock_text(schedule.start_minute)}-{end}"


def end_schedule(schedule: PatrolSchedule, *, by: Person, now: datetime) -> int:
    """Stop a schedule: its coming shifts nobody holds are cancelled. Returns how many.

    Shifts someone signed up for stay (they were promised); they end with their day.
    """
    if not schedule.active:
        raise DomainError(_("These shifts were already stopped."))
    schedule.active = False
    coming = db.session.scalars(
        select(PatrolShift).where(
            PatrolShift.schedule_id == schedule.id,
            PatrolShift.starts_at > now,
            PatrolShift.cancelled_at.is_(None),
        )
    ).all()
    cancelled = 0
    for shift in coming:
        if not shift.active_signups():
            shift.cancelled_at = now
            record(shift, "cancelled", now, by)
            cancelled += 1
    db.session.flush()
    return cancelled


def make_shifts(
    now: datetime, *, days: int = DAYS_AHEAD, schedules: Iterable[PatrolSchedule] | None = None
) -> int:
    """Make the dated shifts of active schedules for the coming days; return how many.

    Safe to repeat: (schedule, day) is unique, and a shift already made is left alone.
    """
    if schedules is None:
        schedules = db.session.scalars(
            select(PatrolSchedule)
            .join(PatrolRoute, PatrolRoute.id == PatrolSchedule.route_id)
            .where(PatrolSchedule.active.is_(True), PatrolRoute.active.is_(True))
        ).all()
    first = today_of(now)
    made = 0
    for schedule in schedules:
        route = schedule.route
        existing = set(
            db.session.scalars(
                select(PatrolShift.day).where(
                    PatrolShift.schedule_id == schedule.id, PatrolShift.day >= first
                )
            )
        )
        for offset in range(days):
            day = first + timedelta(days=offset)
            if day in existing or str(day.isoweekday()) not in schedule.weekdays:
                continue
            starts_at = at(day, time(0)) + timedelta(minutes=schedule.start_minute)
            if starts_at <= now:
                continue  # a window already begun is not offered any more
            try:
                with db.session.begin_nested():
                    db.session.add(
                        PatrolShift(
                            schedule_id=schedule.id,
                            route_id=route.id,
                            community_id=route.community_id,
                            grid_id=route.grid_id,
                            day=day,
                            starts_at=starts_at,
                            ends_at=starts_at + timedelta(minutes=schedule.minutes),
                            places_needed=schedule.places_needed,
                            places_taken=0,
                        )
                    )
                    db.session.flush()
            except IntegrityError:
                continue  # another run made it at the same moment
            made += 1
    return made


# -- signing up -------------------------------------------------------------------------------


@dataclass
class SignUpResult:
    outcome: SignUpOutcome
    signup: PatrolSignup | None = None


def sign_up(
    shift: PatrolShift, *, by: Person, via: str, now: datetime, today: date
) -> SignUpResult:
    """Take a place on a shift if one is free; exactly places_needed sign-ups ever win.

    As a work order's claim: one conditional UPDATE (taken < needed) takes the place.
    """
    if shift.cancelled_at is not None or shift.ends_at <= now:
        return SignUpResult(SignUpOutcome.CLOSED)
    if not may_patrol(by, shift.route, today):
        return SignUpResult(SignUpOutcome.NOT_FOR_YOU)
    existing = signup_of(shift, by)
    if existing is not None and existing.withdrawn_at is None:
        return SignUpResult(SignUpOutcome.ALREADY, existing)
    won = db.session.execute(
        update(PatrolShift)
        .where(PatrolShift.id == shift.id, PatrolShift.places_taken < PatrolShift.places_needed)
        .values(places_taken=PatrolShift.places_taken + 1)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount == 0:  # type: ignore[attr-defined]
        return SignUpResult(SignUpOutcome.FULL)
    if existing is None:
        existing = PatrolSignup(shift_id=shift.id, person_id=by.id, via=via, signed_up_at=now)
        db.session.add(existing)
    else:
        existing.withdrawn_at = None
        existing.signed_up_at = now
        existing.via = via
    db.session.flush()
    db.session.refresh(shift)
    record(shift, "signed_up", now, by, via)
    return SignUpResult(SignUpOutcome.SIGNED_UP, existing)


def _held(shift: PatrolShift, person: Person) -> PatrolSignup:
    found = signup_of(shift, person)
    if found is None or found.withdrawn_at is not None:
        raise DomainError(_("You have not signed up for this shift."))
    return found


def withdraw(shift: PatrolShift, *, by: Person, via: str, now: datetime) -> PatrolSignup:
    """Give up a place before patrolling; it opens for someone else."""
    signup = _held(shift, by)
    if signup.started_at is not None:
        raise DomainError(_("You have already started this patrol: finish it instead."))
    signup.withdrawn_at = now
    db.session.execute(
        update(PatrolShift)
        .where(PatrolShift.id == shift.id, PatrolShift.places_taken > 0)
        .values(places_taken=PatrolShift.places_taken - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(shift)
    record(shift, "withdrew", now, by, via)
    return signup


# -- patrolling -------------------------------------------------------------------------------


def start(signup: PatrolSignup, *, via: str, now: datetime) -> PatrolSignup:
    """Say the patrol has begun (from an hour before the window to its end)."""
    shift = signup.shift
    if signup.withdrawn_at is not None:
        raise DomainError(_("You have not signed up for this shift."))
    if signup.finished_at is not None:
        raise DomainError(_("This patrol is already finished."))
    if signup.started_at is not None:
        raise DomainError(_("This patrol was already started."))
    if now < shift.starts_at - timedelta(hours=1):
        raise DomainError(_("This shift has not begun yet: start it within an hour of it."))
    if now > shift.ends_at:
        raise DomainError(_("This shift is over."))
    signup.started_at = now
    record(shift, "started", now, signup.person, via)
    db.session.flush()
    return signup


def finish(signup: PatrolSignup, *, via: str, now: datetime, report: str = "") -> PatrolSignup:
    """End the patrol with a word on how it went ("正常", or what was found)."""
    report = _text(report, _("the report"), MAX_TEXT, required=False)
    if signup.withdrawn_at is not None:
        raise DomainError(_("You have not signed up for this shift."))
    if signup.finished_at is not None:
        raise DomainError(_("This patrol is already finished."))
    if signup.started_at is None:
        raise DomainError(_("This patrol was not started: start it first."))
    signup.finished_at = now
    signup.report = report
    record(signup.shift, "finished", now, signup.person, via, report)
    db.session.flush()
    return signup


def report_finding(
    signup: PatrolSignup, *, text: str, via: str, now: datetime, photo_id: int | None = None
) -> PatrolFinding:
    """Record something seen on the patrol (the patrol is started by it if it was not)."""
    text = _text(text, _("what was found"), MAX_TEXT, required=True)
    if signup.withdrawn_at is not None:
        raise DomainError(_("You have not signed up for this shift."))
    shift = signup.shift
    if now < shift.starts_at - timedelta(hours=1):
        raise DomainError(_("This shift has not begun yet: start it within an hour of it."))
    if signup.started_at is None:
        start(signup, via=via, now=now)
    finding = PatrolFinding(
        shift_id=shift.id,
        person_id=signup.person_id,
        text=text,
        via=via,
        photo_id=photo_id,
        at=now,
    )
    db.session.add(finding)
    db.session.flush()
    record(shift, "finding", now, signup.person, via, text, finding)
    return finding


# -- a finding taken up -----------------------------------------------------------------------


def _need_text(finding: PatrolFinding) -> str:
    shift = finding.shift
    return f"{finding.text}（巡逻发现{finding.ref}，{shift.route.name}）"[: needs.TEXT_LIMIT]


def to_need(finding: PatrolFinding, *, by: Person, category: str, now: datetime) -> Need:
    """Put a finding on the grid's needs list (once); the finding keeps the link."""
    if finding.need_id is not None:
        raise DomainError(_("This finding has already been taken up."))
    if category not in CATEGORIES:
        raise InvalidInput(_("Choose a category for the need."))
    shift = finding.shift
    need = needs.raise_need(
        community_id=shift.community_id,
        household=None,
        source=NeedSource.PATROL,
        by=finding.person,
        category=category,
        text=_need_text(finding),
        now=now,
    )
    # A finding belongs to no household: the route's grid is where it is decided.
    need.grid_id = shift.grid_id
    finding.need_id = need.id
    finding.handled_by_id = by.id
    finding.handled_at = now
    db.session.flush()
    record(shift, "to_need", now, by, detail=need.ref, finding=finding)
    return need


def to_order(
    finding: PatrolFinding, *, by: Person, category: str, today: date, now: datetime
) -> str:
    """Make a finding a work order in one step: a need decided "work order" at once.

    The order goes to the route's grid, as a need's order does; returns its code ("T34").
    """
    need = to_need(finding, by=by, category=category, now=now)
    needs.decide(
        need,
        by=by,
        decision="work_order",
        today=today,
        now=now,
        conversions={"work_order": from_need.to_order},
    )
    finding.order_ref = need.converted_ref
    db.session.flush()
    record(finding.shift, "to_order", now, by, detail=need.converted_ref or "", finding=finding)
    return need.converted_ref or ""
