"""Campaigns by SMS and Telegram, one grammar for both.

    告知 C3 3-2-501 电话     a head or publicist records household 3-2-501 told of campaign C3
                            (当面 / 上门 in person, the default; 电话 by phone; 短信 by SMS)
    TOLD C3 3-2-501 PHONE   the English form (IN, PHONE, SMS)
    1                       a resident acknowledges the latest campaign SMS they received

ANSWERERS and COMMANDS are declared to the registry (pwa.features); a bare number goes to
whichever question was put to the sender last (notify.replies).
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select

from models import Campaign, CampaignStatus, Delivery, InformedBy, Permission, Resident, db
from models.clock import today_of
from notify.commands import Command, Help, Inbound, Reply
from notify.replies import Answerer, Question
from services.campaigns import operations, queries
from services.campaigns.messages import (
    CAMPAIGN_CORRECTION,
    CAMPAIGN_LIST,
    CAMPAIGN_NOTICE,
    CAMPAIGN_THANKS,
    CAMPAIGN_TOLD,
)
from services.errors import DomainError, InvalidInput, NotFound
from services.visits.queries import address_code, find_by_code

# The words after the household that say how it was told (matched upper-cased).
METHOD_WORDS = {
    "": InformedBy.IN_PERSON,
    "当面": InformedBy.IN_PERSON,
    "上门": InformedBy.IN_PERSON,
    "IN": InformedBy.IN_PERSON,
    "电话": InformedBy.PHONE,
    "PHONE": InformedBy.PHONE,
    "短信": InformedBy.SMS,
    "SMS": InformedBy.SMS,
}

# 告知 alone lists this many open campaigns: more would not fit one SMS.
LISTED = 3

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


def _problem(message: str) -> Reply:
    return Reply(CAMPAIGN_CORRECTION.name, {"problem": message})


def _told(message: Inbound) -> Reply | None:
    """Record a household told, from a head's or publicist's phone or Telegram."""
    person = message.person
    if person is None or not message.ref or not message.ref.startswith("C"):
        return None
    area = queries.area_of(person, today_of(message.now))
    with force_locale(person.language):
        if area.is_empty:
            return _problem(_("Only heads and publicists record households told."))
        code, _sep, how = message.rest.strip().partition(" ")
        method = METHOD_WORDS.get(how.strip())
        try:
            campaign = queries.get_visible(area, int(message.ref[1:]))
        except NotFound:
            return _problem(_("There is no campaign %(ref)s in your area.", ref=message.ref))
        try:
            if not code:
                raise InvalidInput(_("Name the household as building-unit-room, e.g. 3-2-501."))
            if method is None:
                raise InvalidInput(_("Say how it was told: in person, by phone or by SMS."))
            household = find_by_code(area, code)
            operations.mark_informed(
                campaign,
                household.id,
                method,
                area=area,
                by=person,
                now=message.now,
                via=message.channel,
            )
        except DomainError as error:
            return _problem(error.message)
        return Reply(
            CAMPAIGN_TOLD.name,
            {
                "address": address_code(household),
                "title": campaign.title,
                "how": str(queries.METHOD_LABELS[method]),
                "left": queries.count_unreached(campaign, area),
            },
        )


def _list(message: Inbound) -> Reply | None:
    """告知 alone: the open campaigns of the sender's area and how many households are left."""
    person = message.person
    if person is None or message.rest.strip():
        return None
    area = queries.area_of(person, today_of(message.now))
    with force_locale(person.language):
        if area.is_empty:
            return _problem(_("Only heads and publicists record households told."))
        open_ones = [
            c for c in queries.visible(area, limit=LISTED) if c.status == CampaignStatus.OPEN
        ]
        if not open_ones:
            return _problem(_("There is no open campaign in your area now."))
        lines = [
            _(
                "%(ref)s %(title)s (%(left)s households left)",
                ref=c.ref,
                title=c.title,
                left=queries.count_unreached(c, area),
            )
            for c in open_ones
        ]
        return Reply(CAMPAIGN_LIST.name, {"campaigns": "；".join(lines)})


COMMANDS: tuple[Command, ...] = (
    Command("campaign_list", ("告知", "TOLD"), _list),
    Command(
        "campaign_told",
        ("告知", "TOLD"),
        _told,
        shape="ref",
        help=(
            Help(
                "“告知 C3 房号”记宣传",
                "TOLD C3 room",
                permission=Permission.INFORM_HOUSEHOLDS,
            ),
        ),
    ),
)
ANSWERERS: tuple[tuple[str, Answerer], ...] = (("campaign", latest_question),)
