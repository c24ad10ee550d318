"""Rectification (整改): grids whose residents' satisfaction in a quarter fell below the
threshold, the secretary's plan for one (actions, each with a holder and a deadline, and a
re-check date), the grid leader's "done", the re-check's result, and the reminders.

Who may do what: the community's office (secretary, staff) sees every plan, opens them and
records the re-check; a grid leader sees their own grid's plans and marks their actions done.
Everyone else is answered as if the plan did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import (
    Community,
    Grid,
    Person,
    PlanStatus,
    Post,
    RectificationAction,
    RectificationEvent,
    RectificationPlan,
    db,
)
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later
from services import audit
from services.errors import DomainError, InvalidInput, NotFound
from services.pledges import messages
from services.pledges.queries import Figure, led_grids, office_of, ratings
from services.report_in.quarters import Quarter

DEFAULTS = {"RECTIFICATION_THRESHOLD": 3.5, "RECTIFICATION_MIN_RATINGS": 5}
# Days before an action's deadline its holder is reminded.
REMIND_DAYS_BEFORE = 3
MAX_ACTIONS = 10


def setting(name: str) -> float:
    if has_app_context():
        return float(current_app.config.get(name, DEFAULTS[name]))
    return float(DEFAULTS[name])


@dataclass(frozen=True)
class LowGrid:
    grid: Grid
    figure: Figure
    plan: RectificationPlan | None


@dataclass(frozen=True)
class ActionLine:
    text: str
    holder_id: int
    due_on: date


def low_grids(community_id: int, quarter: Quarter) -> list[LowGrid]:
    """The community's grids whose satisfaction in the quarter is below the threshold, counted
    over at least the minimum number of ratings, lowest first, with their plan if any."""
    threshold = setting("RECTIFICATION_THRESHOLD")
    minimum = setting("RECTIFICATION_MIN_RATINGS")
    figures = ratings(community_id, quarter.first, quarter.next.first).satisfaction
    grids = {
        g.id: g for g in db.session.scalars(select(Grid).where(Grid.community_id == community_id))
    }
    plans = {
        p.grid_id: p
        for p in db.session.scalars(
            select(RectificationPlan).where(
                RectificationPlan.community_id == community_id,
                RectificationPlan.quarter_first == quarter.first,
            )
        )
    }
    low = [
        LowGrid(grids[grid_id], figure, plans.get(grid_id))
        for grid_id, figure in figures.items()
        if grid_id in grids
        and figure.count >= minimum
        and figure.average is not None
        and figure.average < threshold
    ]
    return sorted(low, key=lambda g: (g.figure.average or 0, g.grid.name))


def plans_for(
    person: Person, today: date, community_id: int | None = None
) -> list[RectificationPlan]:
    """The plans this person may open, newest quarter first."""
    office = office_of(person, today)
    grids = led_grids(person, today)
    if not office and not grids:
        return []
    query = select(RectificationPlan).options(
        selectinload(RectificationPlan.grid), selectinload(RectificationPlan.actions)
    )
    if community_id is not None and community_id in office:
        query = query.where(RectificationPlan.community_id == community_id)
    elif office:
        query = query.where(
            RectificationPlan.community_id.in_(office) | RectificationPlan.grid_id.in_(grids)
        )
    else:
        query = query.where(RectificationPlan.grid_id.in_(grids))
    return list(
        db.session.scalars(
            query.order_by(RectificationPlan.quarter_first.desc(), RectificationPlan.id)
        )
    )


def get_plan(person: Person, plan_id: int, today: date) -> RectificationPlan:
    plan = db.session.get(RectificationPlan, plan_id)
    if plan is None or not (
        plan.community_id in office_of(person, today) or plan.grid_id in led_grids(person, today)
    ):
        raise NotFound(_("No such plan."))
    return plan


def holders(community_id: int, today: date) -> list[Post]:
    """Whom an action may be given to: the community's post-holders today."""
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.community_id == community_id, Post.active_on(today))
            .options(selectinload(Post.person))
            .order_by(Post.grid_id.is_(None).desc(), Post.grid_id, Post.role, Post.id)
        )
    )


def _event(
    plan: RectificationPlan,
    action: str,
    *,
    by: Person | None,
    now: datetime,
    line: RectificationAction | None = None,
    detail: str = "",
) -> None:
    db.session.add(
        RectificationEvent(
            plan_id=plan.id,
            community_id=plan.community_id,
            grid_id=plan.grid_id,
            action_id=line.id if line else None,
            person_id=by.id if by else None,
            action=action,
            detail=detail,
            at=now,
        )
    )


def open_plan(
    community: Community,
    grid: Grid,
    quarter: Quarter,
    *,
    by: Person,
    actions: list[ActionLine],
    recheck_on: date,
    now: datetime,
    today: date,
) -> RectificationPlan:
    """Open a grid's plan for a quarter of low satisfaction (one plan per grid and quarter)."""
    if community.id not in office_of(by, today):
        raise DomainError(_("Only the community's office opens a rectification plan."))
    if grid.community_id != community.id:
        raise NotFound(_("No such grid."))
    low = {g.grid.id: g for g in low_grids(community.id, quarter)}
    if grid.id not in low:
        raise DomainError(
            _("%(grid)s is not below the threshold in %(q)s.", grid=grid.name, q=quarter.label())
        )
    if low[grid.id].plan is not None:
        raise DomainError(
            _("%(grid)s already has a plan for %(q)s.", grid=grid.name, q=quarter.label())
        )
    if not actions:
        raise InvalidInput(_("Write at least one action, with who does it and by when."))
    if len(actions) > MAX_ACTIONS:
        raise InvalidInput(_("At most %(n)d actions.", n=MAX_ACTIONS))
    allowed = {p.person_id for p in holders(community.id, today)}
    for line in actions:
        if not line.text.strip():
            raise InvalidInput(_("Each action needs its words."))
        if line.holder_id not in allowed:
            raise InvalidInput(_("Each action's holder is one of the community's post-holders."))
        if line.due_on < today:
            raise InvalidInput(_("An action's deadline cannot be in the past."))
    if recheck_on < max(line.due_on for line in actions):
        raise InvalidInput(_("The re-check comes after the last action's deadline."))
    figure = low[grid.id].figure
    plan = RectificationPlan(
        community_id=community.id,
        grid_id=grid.id,
        quarter_first=quarter.first,
        satisfaction=figure.average or 0.0,
        ratings=figure.count,
        recheck_on=recheck_on,
        opened_by_id=by.id,
        opened_at=now,
    )
    db.session.add(plan)
    db.session.flush()
    for line in actions:
        db.session.add(
            RectificationAction(
                plan_id=plan.id,
                text=line.text.strip()[:500],
                holder_id=line.holder_id,
                due_on=line.due_on,
            )
        )
    _event(plan, "opened", by=by, now=now, detail=f"{quarter.code} {figure.average}/{figure.count}")
    audit.record(
        actor=by,
        community_id=community.id,
        action="rectification.open",
        subject_type="grid",
        subject_id=grid.id,
        detail=quarter.code,
    )
    db.session.flush()
    return plan


def mark_done(
    plan: RectificationPlan,
    line: RectificationAction,
    *,
    by: Person,
    note: str,
    now: datetime,
    today: date,
) -> RectificationAction:
    """The grid leader (or the office) marks an action done, with what was done."""
    if line.plan_id != plan.id:
        raise NotFound(_("No such action."))
    if not (plan.grid_id in led_grids(by, today) or plan.community_id in office_of(by, today)):
        raise DomainError(_("Only the grid's leader or the community's office marks actions done."))
    if plan.status != PlanStatus.OPEN:
        raise DomainError(_("This plan is re-checked already."))
    if line.done_at is not None:
        raise DomainError(_("This action is already done."))
    if not note.strip():
        raise InvalidInput(_("Write what was done."))
    line.done_at = now
    line.done_by_id = by.id
    line.done_note = note.strip()[:1000]
    _event(plan, "action_done", by=by, now=now, line=line)
    audit.record(
        actor=by,
        community_id=plan.community_id,
        action="rectification.done",
        subject_type="grid",
        subject_id=plan.grid_id,
        detail=f"plan {plan.id} action {line.id}",
    )
    db.session.flush()
    return line


def record_result(
    plan: RectificationPlan,
    *,
    by: Person,
    passed: bool,
    comment: str,
    now: datetime,
    today: date,
) -> RectificationPlan:
    """The re-check: passed or not, with a comment (from the re-check date on)."""
    if plan.community_id not in office_of(by, today):
        raise DomainError(_("Only the community's office records the re-check."))
    if plan.status != PlanStatus.OPEN:
        raise DomainError(_("This plan is re-checked already."))
    if today < plan.recheck_on:
        raise DomainError(_("The re-check is on %(day)s.", day=plan.recheck_on.isoformat()))
    if not comment.strip():
        raise InvalidInput(_("Write a comment on the re-check."))
    plan.status = PlanStatus.PASSED if passed else PlanStatus.NOT_PASSED
    plan.result_comment = comment.strip()[:2000]
    plan.result_by_id = by.id
    plan.result_at = now
    _event(plan, "rechecked", by=by, now=now, detail=plan.status)
    audit.record(
        actor=by,
        community_id=plan.community_id,
        action="rectification.result",
        subject_type="grid",
        subject_id=plan.grid_id,
        detail=f"plan {plan.id} {plan.status}",
    )
    db.session.flush()
    return plan


def following_figure(plan: RectificationPlan, today: date) -> Figure:
    """The grid's satisfaction in the quarter after the plan's (so far, if under way)."""
    quarter = Quarter(plan.quarter_first).next
    end = min(quarter.next.first, today + timedelta(days=1))
    if end <= quarter.first:
        return Figure()
    return ratings(plan.community_id, quarter.first, end).satisfaction.get(plan.grid_id, Figure())


def _secretaries(community_id: int, today: date) -> list[Person]:
    return list(
        db.session.scalars(
            select(Person)
            .join(Post, Post.person_id == Person.id)
            .where(
                Post.community_id == community_id,
                Post.role == Role.SECRETARY,
                Post.active_on(today),
            )
        )
    )


def remind(now: datetime, today: date) -> int:
    """The periodic job: each open action's holder a few days before its deadline, and the
    secretary on the re-check date; each once (reminded_at)."""
    sent = 0
    soon = today + timedelta(days=REMIND_DAYS_BEFORE)
    for line in db.session.scalars(
        select(RectificationAction)
        .join(RectificationPlan, RectificationAction.plan_id == RectificationPlan.id)
        .where(
            RectificationPlan.status == PlanStatus.OPEN,
            RectificationAction.done_at.is_(None),
            RectificationAction.reminded_at.is_(None),
            RectificationAction.due_on <= soon,
        )
        .options(selectinload(RectificationAction.plan).selectinload(RectificationPlan.grid))
    ):
        plan = line.plan
        line.reminded_at = now
        send_later(
            Message(
                kind=messages.RECTIFICATION_ACTION_DUE.name,
                params={
                    "grid": plan.grid.name,
                    "action": line.text[:20],
                    "due": line.due_on.strftime("%m-%d"),
                },
                batch_key=f"rectification:{plan.id}:action:{line.id}:due",
                community_id=plan.community_id,
            ),
            [line.holder],
            now=now,
        )
        _event(plan, "reminded", by=None, now=now, line=line)
        sent += 1
    for plan in db.session.scalars(
        select(RectificationPlan)
        .where(
            RectificationPlan.status == PlanStatus.OPEN,
            RectificationPlan.recheck_reminded_at.is_(None),
            RectificationPlan.recheck_on <= today,
        )
        .options(selectinload(RectificationPlan.grid))
    ):
        plan.recheck_reminded_at = now
        send_later(
            Message(
                kind=messages.RECTIFICATION_RECHECK_DUE.name,
                params={"grid": plan.grid.name, "due": plan.recheck_on.strftime("%m-%d")},
                batch_key=f"rectification:{plan.id}:recheck",
                community_id=plan.community_id,
            ),
            _secretaries(plan.community_id, today),
            now=now,
        )
        _event(plan, "recheck_due", by=None, now=now)
        sent += 1
    db.session.flush()
    return sent


def events(
    community_id: int, start: datetime, end: datetime, grid_id: int | None = None
) -> list[RectificationEvent]:
    """A period's rectification events of a community (or one grid), for the ledger."""
    query = select(RectificationEvent).where(
        RectificationEvent.community_id == community_id,
        RectificationEvent.at >= start,
        RectificationEvent.at < end,
    )
    if grid_id is not None:
        query = query.where(RectificationEvent.grid_id == grid_id)
    return list(db.session.scalars(query.order_by(RectificationEvent.at, RectificationEvent.id)))
