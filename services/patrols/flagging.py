"""A shift nobody started, N minutes after its start, is flagged to the grid leader (once)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select, update

from models import Grid, PatrolShift, PatrolSignup, Person, Post, db
from models.clock import today_of
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later
from services.patrols.operations import record
from services.patrols.queries import when_text

DEFAULT_MINUTES = 30
# Shifts that began longer ago than this are left alone (a job down for a day does not
# flag last week's evenings all at once).
LOOK_BACK = timedelta(hours=12)


def flag_minutes() -> int:
    if has_app_context():
        return int(current_app.config.get("PATROL_FLAG_MINUTES", DEFAULT_MINUTES))
    return DEFAULT_MINUTES


def leaders_of(grid_id: int, now: datetime) -> list[Person]:
    return list(
        db.session.scalars(
            select(Person)
            .join(Post, Post.person_id == Person.id)
            .where(
                Post.grid_id == grid_id,
                Post.role == Role.GRID_LEADER,
                Post.active_on(today_of(now)),
                Person.active.is_(True),
            )
            .order_by(Person.id)
        )
    )


def flag_unstarted(now: datetime) -> int:
    """Flag every shift that should have begun and nobody started; return how many.

    Safe to repeat: flagged_at is set by a conditional UPDATE, so a shift is flagged once
    even when two runs overlap, and its message has a batch key of its own.
    """
    minutes = flag_minutes()
    started = select(PatrolSignup.id).where(
        PatrolSignup.shift_id == PatrolShift.id,
        PatrolSignup.withdrawn_at.is_(None),
        PatrolSignup.started_at.isnot(None),
    )
    due = db.session.scalars(
        select(PatrolShift)
        .where(
            PatrolShift.flagged_at.is_(None),
            PatrolShift.cancelled_at.is_(None),
            PatrolShift.starts_at <= now - timedelta(minutes=minutes),
            PatrolShift.starts_at > now - LOOK_BACK,
            ~started.exists(),
        )
        .order_by(PatrolShift.id)
    ).all()
    flagged = 0
    for shift in due:
        won = db.session.execute(
            update(PatrolShift)
            .where(PatrolShift.id == shift.id, PatrolShift.flagged_at.is_(None))
            .values(flagged_at=now)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount == 0:  # type: ignore[attr-defined]
            continue
        held = len(shift.active_signups())
        record(shift, "flagged", now, via="system", detail=str(held))
        grid = db.session.get(Grid, shift.grid_id)
        send_later(
            Message(
                "patrol_unstarted",
                {
                    "ref": shift.ref,
                    "route": shift.route.name,
                    "when": when_text(shift),
                    "grid": grid.name if grid else "",
                    "minutes": minutes,
                },
                batch_key=f"patrol:{shift.id}:unstarted",
                # An evening shift cannot wait for the morning.
                urgent=True,
                community_id=shift.community_id,
            ),
            to=leaders_of(shift.grid_id, now),
            now=now,
        )
        flagged += 1
    db.session.flush()
    return flagged
