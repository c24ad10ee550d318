"""A person's in-app inbox: every message sent to them, whatever channel carried it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from models import Delivery, DeliveryState, InboxItem, Person, db

PAGE_SIZE = 30


def items(person: Person, page: int = 1) -> list[InboxItem]:
    """Return one page of the person's messages, newest first."""
    return list(
        db.session.scalars(
            select(InboxItem)
            .where(InboxItem.person_id == person.id)
            .order_by(InboxItem.created_at.desc(), InboxItem.id.desc())
            .offset((max(page, 1) - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )


def unread_count(person: Person) -> int:
    return int(
        db.session.scalar(
            select(func.count(InboxItem.id)).where(
                InboxItem.person_id == person.id, InboxItem.read_at.is_(None)
            )
        )
        or 0
    )


def mark_all_read(person: Person, now: datetime) -> int:
    """Mark every unread message of the person as read; return how many."""
    result = db.session.execute(
        update(InboxItem)
        .where(InboxItem.person_id == person.id, InboxItem.read_at.is_(None))
        .values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def held(person: Person, shown: list[InboxItem]) -> dict[str, datetime]:
    """Return when the messages among these that are still held (quiet hours, the daily cap)
    go by SMS or Telegram, by batch_key: the inbox copy is there already, the text is not."""
    keys = [item.batch_key for item in shown]
    if not keys:
        return {}
    rows = db.session.execute(
        select(Delivery.batch_key, Delivery.not_before).where(
            Delivery.batch_key.in_(keys),
            Delivery.recipient_key == f"p{person.id}",
            Delivery.state == DeliveryState.DEFERRED,
            Delivery.not_before.is_not(None),
        )
    )
    return {key: moment for key, moment in rows if moment is not None}
