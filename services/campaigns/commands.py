"""A bare "1" answers the latest campaign SMS: the resident has read it, their household is told.

ANSWERERS is declared to the registry (pwa.features), which registers it with notify.replies
when the app is built; the reply goes to whichever question was put to the sender last.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from models import Campaign, CampaignStatus, Delivery, Resident, db
from notify.commands import Inbound, Reply
from notify.replies import Answerer, Question
from services.campaigns import operations
from services.campaigns.messages import CAMPAIGN_NOTICE, CAMPAIGN_THANKS

# A "1" answers a campaign's SMS for this long after it was queued (and while it is open).
REPLY_WINDOW = timedelta(days=14)


def _answer(campaign_id: int, resident_id: int, message: Inbound, value: int) -> Reply | None:
    if value != 1:
        return None  # only 1 means "read"; any other number gets the unknown-text answer
    campaign = db.session.get(Campaign, campaign_id)
    resident = db.session.get(Resident, resident_id)
    assert campaign is not None and resident is not None
    operations.acknowledge(
        campaign, resident, via=message.channel, now=message.now, by=message.person
    )
    return Reply(CAMPAIGN_THANKS.name, {"title": campaign.title})


def latest_question(message: Inbound) -> Question | None:
    """Return the latest open campaign whose SMS reached this sender."""
    who = []
    if message.person is not None:
        who.append(Delivery.person_id == message.person.id)
    if message.phone:
        who.append(Delivery.address == message.phone)
    if not who:
        return None
    row = db.session.execute(
        select(Campaign.id, Delivery.resident_id, Delivery.created_at)
        .join(Campaign, Delivery.batch_key == "campaign:" + Campaign.id.cast(db.String))
        .where(
            or_(*who),
            Delivery.kind == CAMPAIGN_NOTICE.name,
            Delivery.resident_id.isnot(None),
            Delivery.created_at > message.now - REPLY_WINDOW,
            Campaign.status == CampaignStatus.OPEN,
        )
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    campaign_id, resident_id, asked_at = int(row[0]), int(row[1] or 0), row[2]
    return Question(
        asked_at=asked_at,
        answer=lambda inbound, value: _answer(campaign_id, resident_id, inbound, value),
    )


ANSWERERS: tuple[tuple[str, Answerer], ...] = (("campaign", latest_question),)
