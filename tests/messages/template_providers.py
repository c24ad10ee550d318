"""What the tests of the template SMS providers (Alibaba, Tencent) share: a notice sent through
the outbox, its rows read back, and the checks that hold for either provider."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models import Delivery, DeliveryState, InboxItem, SmsProviderHold, db, utcnow
from notify.dispatch import Dispatcher
from notify.message import Message
from notify.outbox import send_later
from tests.fakes.callbacks import CallbackServer


def send_notice(community: Any, people: list[Any], text: str, key: str = "n:1") -> list[int]:
    ids = send_later(
        Message("notice", {"text": text}, batch_key=key, urgent=True, community_id=community.id),
        people,
    )
    db.session.commit()
    return ids


def rows_of(ids: list[int]) -> list[Delivery]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id))
    )


def empty_balance_stops_the_community(
    make: Any, fake: Any, dispatcher: Dispatcher, community: Any, provider: str, code: str
) -> None:
    """An empty balance holds the community's sending and tells its staff once; topped up, the
    next send goes and lifts the hold. `fake` has a `balance_empty` knob."""
    secretary = make.person()
    make.post(secretary, "secretary", community=community)
    fake.balance_empty = True
    ids = send_notice(community, [make.person(), make.person()], "停水")
    dispatcher.deliver(ids)
    held = rows_of(ids)
    assert {r.state for r in held} == {DeliveryState.DEFERRED}
    assert {r.error_code for r in held} == {code}
    hold = db.session.get(SmsProviderHold, (community.id, provider))
    assert hold is not None and hold.alerted_at is not None
    alerts = list(db.session.scalars(select(InboxItem).where(InboxItem.person_id == secretary.id)))
    assert len(alerts) == 1 and "余额不足" in alerts[0].body
    # While held, nothing is sent, even when due; no second alert.
    more = send_notice(community, [make.person()], "停电", "n:2")
    calls = len(fake.calls)
    dispatcher.deliver(more)
    assert rows_of(more)[0].state == DeliveryState.DEFERRED
    assert len(fake.calls) == calls  # held: not even tried
    # Topped up and the hold over: the next send goes and lifts the hold.
    fake.balance_empty = False
    hold.until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    dispatcher.deliver(more, now=utcnow() + timedelta(hours=1))
    assert rows_of(more)[0].state == DeliveryState.SENT
    db.session.expire_all()
    assert db.session.get(SmsProviderHold, (community.id, provider)) is None
    assert (
        db.session.scalar(select(InboxItem.id).where(InboxItem.person_id == secretary.id).offset(1))
        is None
    )


def report_is_pushed_again_until_accepted(
    fake: CallbackServer, client: Any, ids: list[int], configure: Callable[[], None], done: Any
) -> None:
    """Refused while the app has no push secret, the report stays and goes again; once the
    secret is set (`configure`), the app answers `done` and the row is delivered."""
    refused = fake.push_reports(client)
    assert refused is not None and refused.status == 404
    assert fake.pending_reports() == 1
    assert rows_of(ids)[0].state == DeliveryState.SENT
    configure()
    answer = fake.push_reports(client)
    assert answer is not None and answer.json() == done
    assert fake.pending_reports() == 0
    assert rows_of(ids)[0].state == DeliveryState.DELIVERED
