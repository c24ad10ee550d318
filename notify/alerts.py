"""Alerts to a community's staff about its own messaging (an SMS account's empty balance)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from models import Community, Person, Post, Role, clock, db
from notify import templates
from notify.message import Message
from notify.outbox import send_later

PROVIDER_NAMES = {"alibaba": "阿里云", "tencent": "腾讯云", "twilio": "Twilio"}


def balance_empty(community_id: int, provider: str, now: datetime) -> None:
    """Tell the community's secretary and staff, in their inbox and on Telegram if linked."""
    community = db.session.get(Community, community_id)
    today = clock.today_of(now)
    staff = list(
        db.session.scalars(
            select(Person)
            .join(Post, Post.person_id == Person.id)
            .where(
                Post.community_id == community_id,
                Post.role.in_([Role.SECRETARY, Role.STAFF]),
                Post.starts_on <= today,
                or_(Post.ends_on.is_(None), Post.ends_on >= today),
            )
            .distinct()
        )
    )
    if not staff:
        return
    send_later(
        Message(
            kind=templates.SMS_BALANCE_EMPTY.name,
            params={
                "community": community.name if community else "",
                "provider": PROVIDER_NAMES.get(provider, provider),
            },
            batch_key=f"sms-balance:{community_id}:{provider}:{now.isoformat(timespec='seconds')}",
            urgent=True,
            community_id=community_id,
        ),
        staff,
        now=now,
    )
