"""Nobody is left pending: announce once more, escalate, remind claimers before the window —
in daylight only, at most once a day per order and person, and idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from models import Delivery, WorkOrderReminder, db
from models.clock import ZONE
from services.work_orders import chase as chasing
from services.work_orders import claims
from services.work_orders.audiences import Audience
from tests.work_orders.test_work_orders import NOW, TODAY, World


def _kinds(order_id: int) -> Counter[str]:
    return Counter(
        db.session.scalars(
            select(Delivery.kind).where(Delivery.batch_key.like(f"work_order:{order_id}:%"))
        )
    )


def _told(kind: str) -> set[int]:
    return set(db.session.scalars(select(Delivery.person_id).where(Delivery.kind == kind)))


def _chase(at: datetime) -> chasing.ChaseReport:
    report = chasing.chase(at)
    db.session.commit()
    return report


def test_unclaimed_order_is_announced_again_then_escalated_once(make: Any) -> None:
    world = World(make, volunteers=3)
    # Tomorrow 07:00-09:00; created 10:00 today.
    start = datetime(2026, 11, 26, 7, 0, tzinfo=ZONE)
    order = world.order(places_needed=3, starts_at=start, ends_at=start + timedelta(hours=2))
    a = world.volunteers[0]
    claims.claim(order, by=a, via="app", now=NOW, today=TODAY)
    db.session.commit()
    assert _chase(NOW + timedelta(hours=1)).announced_again == 0
    report = _chase(NOW + timedelta(hours=2))
    # Everyone told but the one who already claimed.
    assert report.announced_again == 2
    assert _told("work_order_again") == {v.id for v in world.volunteers[1:]}
    # Run again (twice, as a restarted scheduler might): nothing new.
    assert _chase(NOW + timedelta(hours=2, minutes=15)).announced_again == 0
    assert _chase(NOW + timedelta(hours=3)).escalated == 0  # not yet: 2 h after the 2nd call
    report = _chase(NOW + timedelta(hours=4))
    assert report.escalated == 2
    assert _told("work_order_escalate") == {world.secretary.id, world.leader1.id}
    assert _chase(NOW + timedelta(hours=5)).escalated == 0
    kinds = _kinds(order.id)
    assert kinds["work_order_again"] == 2 and kinds["work_order_escalate"] == 2


def test_filled_order_is_not_chased(make: Any) -> None:
    world = World(make, volunteers=2)
    order = world.order(places_needed=1)
    claims.claim(order, by=world.volunteers[0], via="sms", now=NOW, today=TODAY)
    db.session.commit()
    report = _chase(NOW + timedelta(hours=5))
    assert (report.announced_again, report.escalated) == (0, 0)


def test_claimer_reminded_once_before_the_window_in_the_evening_not_in_quiet_hours(
    make: Any,
) -> None:
    world = World(make, volunteers=3)
    start = datetime(2026, 11, 26, 7, 0, tzinfo=ZONE)
    order = world.order(places_needed=3, starts_at=start, ends_at=start + timedelta(hours=2))
    waiting, started, _ = world.volunteers
    for v in (waiting, started):
        claims.claim(order, by=v, via="app", now=NOW, today=TODAY)
    claims.start(order, by=started, via="app", now=NOW)
    db.session.commit()
    # 18:00: the 07:00 start is far and the evening is still free: no reminder yet.
    assert _chase(datetime(2026, 11, 25, 18, 0, tzinfo=ZONE)).reminded == 0
    # 20:10: from 21:00 it is quiet until 08:00, after the start: remind now, once.
    assert _chase(datetime(2026, 11, 25, 20, 10, tzinfo=ZONE)).reminded == 1
    assert _chase(datetime(2026, 11, 25, 20, 40, tzinfo=ZONE)).reminded == 0
    assert _told("work_order_before_window") == {waiting.id}
    reminder = db.session.scalar(
        select(Delivery).where(Delivery.kind == "work_order_before_window")
    )
    assert reminder is not None and reminder.params["_actions"] == [
        ["开始 Start", f"开始 {order.ref}"],
        ["退出 Withdraw", f"退出 {order.ref}"],
    ]
    # 23:00 and 05:30: quiet hours, nothing at all is sent.
    for at in (
        datetime(2026, 11, 25, 23, 0, tzinfo=ZONE),
        datetime(2026, 11, 26, 5, 30, tzinfo=ZONE),
    ):
        report = _chase(at)
        assert report.skipped_quiet == 1 and report.reminded == 0


def test_daytime_order_reminded_two_hours_before(make: Any) -> None:
    world = World(make, volunteers=1)
    start = datetime(2026, 11, 25, 15, 0, tzinfo=ZONE)
    order = world.order(places_needed=1, starts_at=start, ends_at=start + timedelta(hours=1))
    claims.claim(order, by=world.volunteers[0], via="app", now=NOW, today=TODAY)
    db.session.commit()
    assert _chase(datetime(2026, 11, 25, 12, 30, tzinfo=ZONE)).reminded == 0
    assert _chase(datetime(2026, 11, 25, 13, 5, tzinfo=ZONE)).reminded == 1
    assert _chase(datetime(2026, 11, 25, 16, 0, tzinfo=ZONE)).reminded == 0


def test_never_more_than_once_a_day_per_order_and_person(make: Any) -> None:
    world = World(make, volunteers=1)
    start = datetime(2026, 11, 27, 9, 0, tzinfo=ZONE)
    # The grid leader is in the audience: called again at noon, and due for the escalation
    # at 14:00 the same day, which waits for the next morning for them (not for the secretary).
    order = world.order(
        places_needed=2,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        audience=Audience(roles=("patroller", "grid_leader")),
    )
    _chase(NOW + timedelta(hours=2))
    assert world.leader1.id in _told("work_order_again")
    _chase(NOW + timedelta(hours=4))
    assert _told("work_order_escalate") == {world.secretary.id}
    _chase(datetime(2026, 11, 26, 9, 0, tzinfo=ZONE))
    leaders = {world.leader1.id, world.leader2.id}  # both serve the patrollers' grids
    assert _told("work_order_escalate") == {world.secretary.id} | leaders
    per_day = db.session.execute(
        select(WorkOrderReminder.person_id, WorkOrderReminder.day, func.count())
        .where(WorkOrderReminder.order_id == order.id)
        .group_by(WorkOrderReminder.person_id, WorkOrderReminder.day)
    ).all()
    assert all(n == 1 for _p, _d, n in per_day)


def test_the_job_runs_the_chase(make: Any) -> None:
    from tasks import work_orders as jobs

    world = World(make, volunteers=1)
    world.order(places_needed=1)
    db.session.commit()
    result = jobs.chase()
    assert set(result) == {"announced_again", "escalated", "reminded", "skipped_quiet"}
