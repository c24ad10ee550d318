"""A campaign's SMS to the residents of its target who agreed to SMS (or have an account):
asked for once, then handed to the outbox in chunks by the campaigns' periodic job.
Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from models import (
    Campaign,
    CampaignHousehold,
    Community,
    Household,
    Person,
    Resident,
    db,
)
from models.clock import today_of
from notify.message import Message
from notify.outbox import send_later
from services.broadcasts.queries import Criteria, residents_matching
from services.campaigns.messages import CAMPAIGN_NOTICE
from services.campaigns.operations import check_open, record
from services.errors import InvalidInput

SEND_CHUNK = 1000


def sms_recipients(campaign: Campaign) -> Any:
    """Return the query of residents the SMS goes to: the target's, with consent or an account."""
    community = db.session.get(Community, campaign.community_id)
    assert community is not None
    return (
        residents_matching(
            community, Criteria.from_json(campaign.criteria), today_of(campaign.created_at)
        )
        .join(
            CampaignHousehold,
            (CampaignHousehold.household_id == Resident.household_id)
            & (CampaignHousehold.campaign_id == campaign.id),
        )
        .where(or_(Resident.sms_consent.is_(True), Resident.person_id.isnot(None)))
    )


def count_sms(campaign: Campaign) -> int:
    query = sms_recipients(campaign).subquery()
    return int(db.session.scalar(select(func.count()).select_from(query)) or 0)


def check_sms(campaign: Campaign) -> int:
    """Refuse what request_sms would refuse; return how many residents it would reach."""
    check_open(campaign)
    if campaign.sms_requested_at is not None:
        raise InvalidInput(_("The SMS of this campaign has already been sent."))
    n = count_sms(campaign)
    if not n:
        raise InvalidInput(_("None of these residents agreed to receive SMS."))
    return n


def request_sms(campaign: Campaign, *, by: Person, now: datetime) -> int:
    """Ask for the SMS; the campaigns' periodic job hands it to the outbox in chunks."""
    n = check_sms(campaign)
    campaign.sms_requested_at, campaign.sms_requested_by_id = now, by.id
    campaign.sms_count = n
    record(campaign, "sent", now, by, via="sms", detail=str(n))
    return n


def send_step(campaign: Campaign, now: datetime, size: int = SEND_CHUNK) -> int:
    """Hand the next chunk of residents to the outbox; return how many (0: all handed over).

    The outbox keeps one delivery per batch and recipient, so a chunk repeated after a crash
    sends nothing twice.
    """
    if campaign.sms_requested_at is None or campaign.sms_done_at is not None:
        return 0
    residents = list(
        db.session.scalars(
            sms_recipients(campaign)
            .where(Resident.id > campaign.sms_prepared_through)
            .order_by(Resident.id)
            .limit(size)
            .options(
                selectinload(Resident.household).selectinload(Household.building),
                selectinload(Resident.person),
            )
        )
    )
    if not residents:
        campaign.sms_done_at = now
        db.session.flush()
        return 0
    send_later(
        Message(
            CAMPAIGN_NOTICE.name,
            {"title": campaign.title, "summary": campaign.summary},
            batch_key=campaign.batch_key,
            community_id=campaign.community_id,
        ),
        to=residents,
        now=now,
    )
    campaign.sms_prepared_through = residents[-1].id
    db.session.flush()
    return len(residents)
