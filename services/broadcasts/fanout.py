"""Fanning a broadcast out off the request: queued → preparing → sending → done.

The send request only records the broadcast ("queued") and, once it commits, hands its id to
RQ from a background thread with short Redis timeouts (as notify.queueing does for
deliveries). The job (tasks.broadcasts.prepare) resolves the recipients in chunks, in id
order; each chunk records its BroadcastRecipient rows, hands its deliveries to
notify.send_later and moves the cursor (prepared_through), all in one transaction. A job that
dies is resumed after the cursor, and anything recorded twice is skipped (the recipient and
delivery keys are unique), so nobody gets the message twice. When every recipient has a
delivery the broadcast is "sending"; when every delivery is final, "done".

If Redis is down the broadcast stays queued with no enqueued_at, and the sweep
(tasks.broadcasts.sweep) queues it when Redis is back; it also resumes a preparation whose
job died, and marks sent broadcasts done.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue
from sqlalchemy import event, func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from models import (
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    Community,
    Delivery,
    DeliveryState,
    Household,
    Person,
    Post,
    Resident,
    db,
    utcnow,
)
from models.base import refresh_statistics
from models.clock import today_of
from notify import queueing
from notify.message import Message
from notify.outbox import send_later
from services.broadcasts.queries import Criteria, count_matching, residents_matching
from services.work_orders.audiences import Audience, audience_query, count_reached

log = logging.getLogger(__name__)

JOB = "tasks.broadcasts.prepare"
# Recipients per transaction: small enough that one chunk takes well under a second.
CHUNK = 1000
# A job hands the rest to a fresh job after this long, so no size ever meets its timeout.
TIME_BUDGET_SECONDS = 120.0
JOB_TIMEOUT_SECONDS = 600
# The sweep queues a broadcast again when it was never handed to Redis this long after it was
# made, when its job was lost, or when a preparing job made no progress for this long.
NEVER_QUEUED_SECONDS = 10
LOST_JOB_SECONDS = 600
STALE_SECONDS = 300
UNFINISHED = (DeliveryState.QUEUED, DeliveryState.DEFERRED, DeliveryState.SENDING)
PENDING_KEY = "linli_pending_broadcasts"
# The roster tables each kind's chunks read.
_ROSTER_READ: dict[str, tuple[str, ...]] = {
    BroadcastKind.MOBILISATION: (Person.__tablename__, Post.__tablename__),
    BroadcastKind.INFORMATION: (
        Resident.__tablename__,
        Household.__tablename__,
        Person.__tablename__,
    ),
}


# -- after the request's commit ---------------------------------------------------------------


def prepare_soon(broadcast: Broadcast) -> None:
    """Have the broadcast prepared by a job once the caller commits (nothing if it rolls back)."""
    db.session.info.setdefault(PENDING_KEY, []).append(broadcast.id)


@event.listens_for(Session, "after_commit")
def _queue_after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if pending and has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _executor(app).submit(_enqueue_in_background, app, list(pending))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def _executor(app: Flask) -> ThreadPoolExecutor:
    found: ThreadPoolExecutor | None = app.extensions.get("linli_broadcast_enqueuer")
    if found is None:
        found = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-broadcasts")
        app.extensions["linli_broadcast_enqueuer"] = found
    return found


def _enqueue_in_background(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        try:
            enqueue_now(
                ids,
                redis=queueing.redis_for_queueing(app.config["REDIS_URL"]),
                queue_name=app.config["RQ_QUEUE"],
            )
        except Exception:  # Redis down or hung: the sweep will queue them
            log.warning("could not queue broadcasts %s; the sweep will", ids)
        finally:
            db.session.remove()


def wait_enqueued(app: Flask, timeout: float = 10.0) -> None:
    """Wait until every broadcast committed so far has been handed over (tests use this)."""
    executor = app.extensions.get("linli_broadcast_enqueuer")
    if executor is not None:
        wait([executor.submit(lambda: None)], timeout=timeout)


def enqueue_now(ids: Sequence[int], *, redis: Redis, queue_name: str) -> None:
    """Put a preparing job per broadcast on the queue and record when; raises if Redis fails."""
    q = Queue(queue_name, connection=redis)
    for broadcast_id in sorted(set(ids)):
        q.enqueue(
            JOB,
            broadcast_id,
            job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=60,
            failure_ttl=86400,
        )
        db.session.execute(
            update(Broadcast).where(Broadcast.id == broadcast_id).values(enqueued_at=utcnow())
        )
        db.session.commit()


# -- the job ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    status: str
    finished: bool  # nothing more for the job to do (sending, done, or gone)
    recorded: int = 0  # recipients recorded by this step


def prepare_step(broadcast_id: int, now: datetime, size: int | None = None) -> Step:
    """Take the broadcast one step further: start, one chunk, or on to sending; flush only."""
    size = size or CHUNK
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return Step("gone", True)
    if broadcast.status in (BroadcastStatus.SENDING, BroadcastStatus.DONE):
        finish_if_sent(broadcast, now)
        return Step(broadcast.status, True)
    if broadcast.status == BroadcastStatus.QUEUED:
        _start(broadcast, now)
        return Step(broadcast.status, False)
    if broadcast.kind == BroadcastKind.MOBILISATION:
        recorded = _mobilisation_chunk(broadcast, now, size)
    else:
        recorded = _information_chunk(broadcast, now, size)
    broadcast.touched_at = now
    if recorded is None:
        broadcast.status = BroadcastStatus.SENDING
        finish_if_sent(broadcast, now)
        if (broadcast.recipient_count or 0) >= size:
            # The report page is asked for at once (it polls while sending) and joins these
            # rows: planned with statistics from before them, a 10,000-recipient report took
            # 41 s on PostgreSQL in CI. Autovacuum would analyse them only a minute later.
            refresh_statistics(Delivery.__tablename__, BroadcastRecipient.__tablename__)
        db.session.flush()
        return Step(broadcast.status, True)
    db.session.flush()
    return Step(broadcast.status, False, recorded)


def prepare_now(broadcast: Broadcast, now: datetime) -> str:
    """Prepare a small broadcast in the caller's transaction (the demo data); flush only."""
    while not (step := prepare_step(broadcast.id, now)).finished:
        pass
    return step.status


def _day(broadcast: Broadcast) -> date:
    """The day whose posts decide the audience: the day it was sent, however late the job."""
    return today_of(broadcast.created_at)


def _start(broadcast: Broadcast, now: datetime) -> None:
    community = db.session.get(Community, broadcast.community_id)
    assert community is not None
    if broadcast.kind == BroadcastKind.MOBILISATION:
        order = broadcast.order
        assert order is not None
        broadcast.recipient_count = count_reached(
            broadcast.community_id,
            Audience.from_json(broadcast.audience),
            _day(broadcast),
            order.grid_id,
        )
    else:
        total, reachable = count_matching(
            community, Criteria.from_json(broadcast.audience), _day(broadcast)
        )
        broadcast.recipient_count, broadcast.skipped_count = reachable, total - reachable
    if (broadcast.recipient_count or 0) >= CHUNK:
        # The chunks read the roster in id order, a thousand at a time. A roster imported a
        # minute before (autovacuum has not analysed it yet) is planned with the statistics
        # from before it: each chunk of a 10,000-volunteer mobilisation then took 4-6 s on
        # PostgreSQL here and 25 s in CI, against well under a second once analysed.
        refresh_statistics(*_ROSTER_READ[broadcast.kind])
    broadcast.status = BroadcastStatus.PREPARING
    broadcast.touched_at = now
    db.session.flush()


def _mobilisation_chunk(broadcast: Broadcast, now: datetime, size: int) -> int | None:
    order = broadcast.order
    assert order is not None
    day = _day(broadcast)
    people = list(
        db.session.scalars(
            audience_query(
                broadcast.community_id, Audience.from_json(broadcast.audience), day, order.grid_id
            )
            .where(Person.id > broadcast.prepared_through)
            .limit(size)
        )
    )
    if not people:
        return None
    grid_of = _attribution(broadcast.community_id, [p.id for p in people], day)
    recorded = _add_recipients(
        broadcast,
        [
            {
                "recipient_key": f"p{p.id}",
                "person_id": p.id,
                "resident_id": None,
                "grid_id": grid_of.get(p.id),
                "partner_unit_id": p.partner_unit_id,
            }
            for p in people
        ],
    )
    send_later(
        Message(
            "mobilisation",
            {"text": broadcast.text},
            batch_key=broadcast.batch_key,
            urgent=True,
            ref=order.ref,
            community_id=broadcast.community_id,
            actions=(("报名 Join", f"认领 {order.ref}"),),
        ),
        to=people,
        now=now,
    )
    broadcast.prepared_through = people[-1].id
    return recorded


def _information_chunk(broadcast: Broadcast, now: datetime, size: int) -> int | None:
    community = db.session.get(Community, broadcast.community_id)
    assert community is not None
    residents = list(
        db.session.scalars(
            residents_matching(community, Criteria.from_json(broadcast.audience), _day(broadcast))
            .where(
                Resident.id > broadcast.prepared_through,
                or_(Resident.sms_consent.is_(True), Resident.person_id.isnot(None)),
            )
            .order_by(Resident.id)
            .limit(size)
            .options(
                selectinload(Resident.household).selectinload(Household.building),
                selectinload(Resident.person),
            )
        )
    )
    if not residents:
        return None
    rows = [
        {
            "recipient_key": f"p{r.person_id}" if r.person_id is not None else f"r{r.id}",
            "person_id": r.person_id,
            "resident_id": r.id,
            "grid_id": r.household.building.grid_id,
            "partner_unit_id": None,
        }
        for r in residents
    ]
    recorded = _add_recipients(broadcast, rows)
    send_later(
        Message(
            "policy_notice",
            {"text": broadcast.text},
            batch_key=broadcast.batch_key,
            community_id=broadcast.community_id,
        ),
        to=residents,
        now=now,
    )
    broadcast.prepared_through = residents[-1].id
    return recorded


def _attribution(community_id: int, person_ids: list[int], today: date) -> dict[int, int | None]:
    """Return the grid each person is counted under (their first post in a grid)."""
    rows = db.session.execute(
        select(Post.person_id, func.min(Post.grid_id))
        .where(
            Post.person_id.in_(person_ids),
            Post.community_id == community_id,
            Post.grid_id.isnot(None),
            Post.active_on(today),
        )
        .group_by(Post.person_id)
    )
    return {pid: gid for pid, gid in rows}


def _add_recipients(broadcast: Broadcast, rows: list[dict[str, Any]]) -> int:
    """Record the chunk's recipients, each once, skipping those recorded before."""
    keys = [row["recipient_key"] for row in rows]
    seen = set(
        db.session.scalars(
            select(BroadcastRecipient.recipient_key).where(
                BroadcastRecipient.broadcast_id == broadcast.id,
                BroadcastRecipient.recipient_key.in_(keys),
            )
        )
    )
    fresh = []
    for row in rows:
        if row["recipient_key"] in seen:
            continue
        seen.add(row["recipient_key"])
        fresh.append({**row, "broadcast_id": broadcast.id, "reply": ""})
    if fresh:
        db.session.execute(insert(BroadcastRecipient), fresh)
    return len(fresh)


def finish_if_sent(broadcast: Broadcast, now: datetime) -> bool:
    """Mark a sending broadcast done when none of its deliveries is still on its way."""
    if broadcast.status != BroadcastStatus.SENDING:
        return broadcast.status == BroadcastStatus.DONE
    waiting = db.session.scalar(
        select(Delivery.id)
        .where(Delivery.batch_key == broadcast.batch_key, Delivery.state.in_(UNFINISHED))
        .limit(1)
    )
    if waiting is not None:
        return False
    broadcast.status = BroadcastStatus.DONE
    broadcast.done_at = now
    db.session.flush()
    return True


# -- the sweep --------------------------------------------------------------------------------


def finish_sent(now: datetime) -> int:
    """Mark done every sending broadcast whose deliveries are all final; flush only."""
    sending = db.session.scalars(
        select(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING).order_by(Broadcast.id)
    ).all()
    return sum(1 for b in sending if finish_if_sent(b, now))


def due(now: datetime) -> list[int]:
    """Return the broadcasts a job should take up: never queued, lost, or left by a dead job."""
    never = Broadcast.enqueued_at.is_(None) & (
        Broadcast.created_at < now - timedelta(seconds=NEVER_QUEUED_SECONDS)
    )
    lost = Broadcast.enqueued_at < now - timedelta(seconds=LOST_JOB_SECONDS)
    stale = Broadcast.touched_at < now - timedelta(seconds=STALE_SECONDS)
    return list(
        db.session.scalars(
            select(Broadcast.id)
            .where(
                or_(
                    (Broadcast.status == BroadcastStatus.QUEUED) & (never | lost),
                    (Broadcast.status == BroadcastStatus.PREPARING) & stale,
                )
            )
            .order_by(Broadcast.id)
        )
    )
