"""A bare "1" answers the latest mobilisation: it records the reply and claims a place.

ANSWERERS is declared to the registry (pwa.features), which registers it with
notify.replies when the app is built.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from models import Broadcast, BroadcastKind, BroadcastRecipient, Person, WorkOrder, db
from models.clock import today_of
from notify.commands import Inbound, Reply
from notify.replies import Answerer, Question
from services.work_orders import claims
from services.work_orders.commands import claim_reply

# A "1" answers a mobilisation for this long after it went out (and while its order is live).
REPLY_WINDOW = timedelta(hours=48)


def _sender(message: Inbound) -> Person | None:
    if message.person is not None:
        return message.person
    if message.phone:
        return db.session.scalar(select(Person).where(Person.phone == message.phone))
    return None


def answer_join(recipient_id: int, message: Inbound, value: int) -> Reply:
    """Take a "1" as joining: record the reply and claim a place on the order."""
    row = db.session.get(BroadcastRecipient, recipient_id)
    assert row is not None
    broadcast = db.session.get(Broadcast, row.broadcast_id)
    assert broadcast is not None and broadcast.order_id is not None
    order = db.session.get(WorkOrder, broadcast.order_id)
    assert order is not None
    if value != 1:
        return Reply("mobilisation_how", {"ref": order.ref})
    db.session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.id == recipient_id)
        .values(replied_at=func.coalesce(BroadcastRecipient.replied_at, message.now), reply="1")
        .execution_options(synchronize_session=False)
    )
    person = _sender(message)
    if person is None:
        return Reply("work_order_who", {})
    today = today_of(message.now)
    result = claims.claim(
        order, by=person, via=message.channel, now=message.now, today=today, check_audience_of=False
    )
    return claim_reply(order, result)


def latest_question(message: Inbound) -> Question | None:
    """Return the latest live mobilisation this sender was asked to answer with "1"."""
    person = _sender(message)
    if person is None:
        return None
    row = db.session.execute(
        select(BroadcastRecipient.id, Broadcast.sent_at)
        .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
        .join(WorkOrder, WorkOrder.id == Broadcast.order_id)
        .where(
            BroadcastRecipient.person_id == person.id,
            Broadcast.kind == BroadcastKind.MOBILISATION,
            Broadcast.sent_at > message.now - REPLY_WINDOW,
            WorkOrder.ends_at > message.now,
        )
        .order_by(Broadcast.sent_at.desc(), Broadcast.id.desc())
        .limit(1)
    ).first()
    if row is None or row[1] is None:
        return None
    recipient_id, sent_at = int(row[0]), row[1]
    assert sent_at is not None
    return Question(
        asked_at=sent_at, answer=lambda inbound, value: answer_join(recipient_id, inbound, value)
    )


ANSWERERS: tuple[tuple[str, Answerer], ...] = (("mobilisation", latest_question),)
