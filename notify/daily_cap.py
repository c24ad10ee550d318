"""The daily cap: at most MESSAGES_PER_DAY non-urgent messages to one address a local day.

Counted in a row per address and day (`daily_sends`: how many were let through), not by
counting delivery rows: a count would see only what was sent and committed, so the rows of
one batch (not yet sent when each is checked) and a second worker's batch (not yet committed)
would all pass. A batch takes its places at once, under a lock on its addresses' rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Insert, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models import DailySends, Delivery, db
from models.clock import today_of
from notify import quiet

Slot = tuple[str, date]  # (address, local day) of a place taken


def take(rows: Sequence[Delivery], now: datetime, per_day: int) -> dict[int, Slot]:
    """Let through at most `per_day` non-urgent messages per address today.

    Returns {delivery id: (address, day)} of the rows let through; the caller holds the rest
    until tomorrow. The addresses' counter rows (DailySends) are locked in address order
    (SELECT … FOR UPDATE: on PostgreSQL a second worker waits there, then reads what the
    first committed; SQLite's IMMEDIATE transactions serialise writers anyway), so what is
    sent, plus what other workers have let through and are sending, never passes the cap,
    inside one batch or across batches. A counter row starts at what was already sent
    today, so the cap holds from the first batch after an upgrade too.
    """
    wanted: dict[str, list[Delivery]] = {}
    for d in sorted(rows, key=lambda row: row.id):
        wanted.setdefault(d.address, []).append(d)
    if not wanted:
        return {}
    day = today_of(now)
    addresses = sorted(wanted)
    known = set(
        db.session.scalars(
            select(DailySends.address).where(
                DailySends.day == day, DailySends.address.in_(addresses)
            )
        )
    )
    missing = [a for a in addresses if a not in known]
    if missing:
        sent = dict(
            db.session.execute(
                select(Delivery.address, func.count(Delivery.id))
                .where(
                    Delivery.address.in_(missing),
                    Delivery.urgent.is_(False),
                    Delivery.sent_at >= quiet.start_of_local_day(now),
                )
                .group_by(Delivery.address)
            ).all()
        )
        values = [{"address": a, "day": day, "used": int(sent.get(a, 0))} for a in missing]
        db.session.execute(_insert_missing(values))
    counters = db.session.scalars(
        select(DailySends)
        .where(DailySends.day == day, DailySends.address.in_(addresses))
        .order_by(DailySends.address)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    granted: dict[int, Slot] = {}
    for counter in counters:
        free = max(0, per_day - counter.used)
        let_through = wanted[counter.address][:free]
        counter.used += len(let_through)
        granted.update((d.id, (d.address, day)) for d in let_through)
    db.session.flush()
    return granted


def give_back(slots: Sequence[Slot]) -> None:
    """Return the places of messages that did not go (retry later, another channel).

    In address order, as `take` locks them: two workers never wait on each other in a circle.
    """
    for address, day in sorted(slots):
        db.session.execute(
            update(DailySends)
            .where(
                DailySends.address == address,
                DailySends.day == day,
                DailySends.used > 0,
            )
            .values(used=DailySends.used - 1)
        )


def _insert_missing(values: list[dict[str, Any]]) -> Insert:
    """Return an INSERT of counter rows that leaves alone those another worker just made."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(DailySends).values(values).on_conflict_do_nothing()
    return sqlite.insert(DailySends).values(values).on_conflict_do_nothing()
