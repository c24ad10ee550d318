"""Campaigns' state changes: create, attach the policy, mark households told, close (the
SMS: services.campaigns.sms).

Functions take typed values and the actor (`by=person`), flush and never commit, and raise
InvalidInput with a message a person can read. Every change writes a CampaignEvent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Protocol

from flask_babel import gettext as _
from sqlalchemy import func, insert, literal, or_, select, update

from models import (
    Building,
    Campaign,
    CampaignAttachment,
    CampaignEvent,
    CampaignHousehold,
    CampaignStatus,
    Community,
    Grid,
    Household,
    InformedBy,
    Person,
    Resident,
    db,
)
from models.clock import today_of
from notify import segments, templates
from notify.mainland import MAX_PARAM_CHARS
from services import photos
from services.broadcasts.queries import Criteria, residents_matching
from services.campaigns.messages import CAMPAIGN_NOTICE
from services.errors import InvalidInput
from services.messages.help import signature_of
from services.roster.areas import Area
from services.roster.operations import CARE_FLAGS

MAX_TITLE = 20
MAX_FULL_TEXT = 20_000
MAX_ATTACHMENT_BYTES = 10 * photos.MB
# The longest deadline a campaign may set, so a typo (2207) cannot keep it open for ever.
MAX_DAYS_AHEAD = 366
METHODS = tuple(InformedBy)


@dataclass(frozen=True)
class Reach:
    """What a target covers: households, residents, and residents an SMS can reach."""

    households: int
    residents: int
    by_sms: int


class Upload(Protocol):
    @property
    def stream(self) -> IO[bytes]: ...

    @property
    def filename(self) -> str | None: ...


# -- checks -----------------------------------------------------------------------------------


def sms_text(community_id: int | None, title: str, summary: str) -> str:
    """Return the SMS as a resident's phone shows it, signature included."""
    body = templates.render(CAMPAIGN_NOTICE.name, "zh", {"title": title, "summary": summary})
    return signature_of(community_id) + body


def check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Enter the policy's title."))
    if len(title) > MAX_TITLE:
        raise InvalidInput(_("The title is too long: at most %(n)d characters.", n=MAX_TITLE))
    return title


def check_summary(community_id: int | None, title: str, summary: str) -> str:
    """Refuse a summary that would not fit one SMS with the signature, saying by how much."""
    summary = " ".join((summary or "").split())
    if not summary:
        raise InvalidInput(_("Enter the summary the SMS will carry."))
    if len(summary) > MAX_PARAM_CHARS:
        raise InvalidInput(
            _(
                "The summary has %(n)d characters; the SMS providers take at most %(max)d.",
                n=len(summary),
                max=MAX_PARAM_CHARS,
            )
        )
    text = sms_text(community_id, title, summary)
    parts = segments.count(text)
    if parts.count > 1:
        over = parts.units - 70 if parts.encoding == "UCS-2" else parts.units - 160
        raise InvalidInput(
            _(
                "With the signature and the reply line the SMS is %(over)d characters too long "
                "for one message: shorten the summary or the title.",
                over=over,
            )
        )
    return summary


def check_deadline(deadline: date | None, today: date) -> date:
    if deadline is None:
        raise InvalidInput(_("Enter the deadline."))
    if deadline < today:
        raise InvalidInput(_("The deadline has already passed."))
    if (deadline - today).days > MAX_DAYS_AHEAD:
        raise InvalidInput(_("The deadline is more than a year away."))
    return deadline


def check_criteria(community: Community, criteria: Criteria) -> Criteria:
    if criteria.grids:
        found = set(
            db.session.scalars(
                select(Grid.id).where(
                    Grid.id.in_(criteria.grids), Grid.community_id == community.id
                )
            )
        )
        if found != set(criteria.grids):
            raise InvalidInput(_("That grid is not in your area."))
    unknown = [f for f in criteria.care_flags if f not in CARE_FLAGS]
    if unknown:
        raise InvalidInput(_("“%(flag)s” is not a care flag.", flag=unknown[0]))
    return criteria


def reach(community: Community, criteria: Criteria, today: date) -> Reach:
    """Count what the criteria select: the broadcast's own definition of a resident matching."""
    base = residents_matching(community, criteria, today).subquery()
    households, residents, by_sms = db.session.execute(
        select(
            func.count(func.distinct(base.c.household_id)),
            func.count(base.c.id),
            func.count(base.c.id).filter(
                or_(base.c.sms_consent.is_(True), base.c.person_id.isnot(None))
            ),
        )
    ).one()
    return Reach(int(households or 0), int(residents or 0), int(by_sms or 0))


def check_campaign(
    community: Community,
    *,
    title: str,
    summary: str,
    full_text: str,
    deadline: date | None,
    criteria: Criteria,
    today: date,
) -> Reach:
    """Refuse what create would refuse, saving nothing; return what the target reaches."""
    title = check_title(title)
    check_summary(community.id, title, summary)
    if len(full_text or "") > MAX_FULL_TEXT:
        raise InvalidInput(
            _("The full text is too long: at most %(n)d characters.", n=MAX_FULL_TEXT)
        )
    check_deadline(deadline, today)
    found = reach(community, check_criteria(community, criteria), today)
    if not found.households:
        raise InvalidInput(_("No resident matches: nobody would receive it."))
    return found


# -- creating ---------------------------------------------------------------------------------


def create(
    community: Community,
    *,
    title: str,
    summary: str,
    full_text: str,
    deadline: date | None,
    criteria: Criteria,
    by: Person,
    now: datetime,
    today: date,
) -> Campaign:
    """Record a campaign and fix its target: every current household with a matching resident."""
    check_campaign(
        community,
        title=title,
        summary=summary,
        full_text=full_text,
        deadline=deadline,
        criteria=criteria,
        today=today,
    )
    assert deadline is not None
    title = check_title(title)
    campaign = Campaign(
        community_id=community.id,
        title=title,
        summary=check_summary(community.id, title, summary),
        full_text=(full_text or "").strip(),
        deadline=deadline,
        criteria=criteria.as_json(),
        status=CampaignStatus.OPEN,
        created_by_id=by.id,
        created_at=now,
    )
    db.session.add(campaign)
    db.session.flush()
    # The households of the matching residents, from the same joins (resident → household →
    # building) once each: a join the planner walks by keys, where `IN (subquery)` was planned
    # as a loop over every household for each one once in a CI run.
    targets = (
        residents_matching(community, criteria, today)
        .with_only_columns(
            literal(campaign.id),
            Household.id,
            Household.building_id,
            Building.grid_id,
        )
        .distinct()
    )
    db.session.execute(
        insert(CampaignHousehold).from_select(
            ["campaign_id", "household_id", "building_id", "grid_id"], targets
        )
    )
    campaign.household_count = int(
        db.session.scalar(
            select(func.count(CampaignHousehold.id)).where(
                CampaignHousehold.campaign_id == campaign.id
            )
        )
        or 0
    )
    record(campaign, "created", now, by, detail=str(campaign.household_count))
    return campaign


def attach(campaign: Campaign, file: Upload, *, by: Person, now: datetime) -> CampaignAttachment:
    """Keep the policy's document: a PDF as sent, a picture cleaned as photos are."""
    check_open(campaign)
    stream = file.stream
    head = stream.read(5)
    stream.seek(0)
    name = _file_name(file.filename or "")
    if head == b"%PDF-":
        data = stream.read(MAX_ATTACHMENT_BYTES + 1)
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(_("The file is larger than %(mb)s MB.", mb=10))
        if b"%%EOF" not in data[-1024:]:
            raise InvalidInput(_("That PDF is incomplete or damaged. Send it again."))
        content_type = "application/pdf"
    elif not head:
        raise InvalidInput(_("The file is empty. Choose a PDF or a picture."))
    else:
        try:
            photo = photos.save_photo(stream, by=by, max_bytes=MAX_ATTACHMENT_BYTES)
        except InvalidInput:
            raise InvalidInput(
                _("Attach the policy as a PDF or a picture (JPEG or PNG), at most 10 MB.")
            ) from None
        data, content_type = photo.data, photo.content_type
        # The cleaned picture is kept with the campaign, not as a free-standing photo.
        db.session.delete(photo)
    attachment = CampaignAttachment(
        content_type=content_type,
        filename=name,
        size_bytes=len(data),
        data=data,
        uploaded_by_id=by.id,
        created_at=now,
    )
    db.session.add(attachment)
    db.session.flush()
    campaign.attachment_id = attachment.id
    record(campaign, "attached", now, by, detail=name)
    return attachment


def _file_name(raw: str) -> str:
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')[:120]


# -- households told --------------------------------------------------------------------------


def mark_informed(
    campaign: Campaign,
    household_id: int,
    method: str,
    *,
    area: Area,
    by: Person,
    now: datetime,
    via: str = "app",
) -> CampaignHousehold:
    """Tick one household of the campaign as told, in person, by phone or by SMS."""
    check_open(campaign)
    if method not in METHODS:
        raise InvalidInput(_("Choose how the household was told."))
    row = db.session.scalar(
        select(CampaignHousehold)
        .join(Building, Building.id == CampaignHousehold.building_id)
        .where(
            CampaignHousehold.campaign_id == campaign.id,
            CampaignHousehold.household_id == household_id,
            area.building_clause(),
        )
    )
    if row is None:
        raise InvalidInput(_("This household is not one this campaign concerns in your area."))
    if row.method is not None:
        raise InvalidInput(_("This household was already marked as told."))
    row.method, row.informed_at, row.informed_by_id = method, now, by.id
    record(
        campaign,
        "informed",
        now,
        by,
        via=via,
        method=method,
        household_id=household_id,
        grid=row.grid_id,
    )
    return row


def acknowledge(
    campaign: Campaign, resident: Resident, *, via: str, now: datetime, by: Person | None
) -> bool:
    """Record a resident's "1" to the campaign's SMS; the household counts as told by SMS.

    Returns whether this marked the household (False when it was already told).
    """
    row = db.session.scalar(
        select(CampaignHousehold).where(
            CampaignHousehold.campaign_id == campaign.id,
            CampaignHousehold.household_id == resident.household_id,
        )
    )
    if row is None:
        return False
    record(
        campaign,
        "acknowledged",
        now,
        by,
        via=via,
        method=InformedBy.SMS,
        household_id=row.household_id,
        resident_id=resident.id,
        grid=row.grid_id,
    )
    if row.method is not None:
        return False
    marked = db.session.execute(
        update(CampaignHousehold)
        .where(CampaignHousehold.id == row.id, CampaignHousehold.method.is_(None))
        .values(method=InformedBy.SMS, informed_at=now, informed_by_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    db.session.refresh(row)
    return bool(marked)


# -- closing ----------------------------------------------------------------------------------


def close(campaign: Campaign, *, by: Person | None, now: datetime) -> Campaign:
    check_open(campaign)
    campaign.status, campaign.closed_at = CampaignStatus.CLOSED, now
    record(campaign, "closed", now, by)
    return campaign


def close_past_deadline(now: datetime) -> int:
    """Close every open campaign whose deadline day is over; return how many."""
    due = db.session.scalars(
        select(Campaign)
        .where(Campaign.status == CampaignStatus.OPEN, Campaign.deadline < today_of(now))
        .order_by(Campaign.id)
    ).all()
    for campaign in due:
        close(campaign, by=None, now=now)
    return len(due)


def check_open(campaign: Campaign) -> None:
    """Refuse a change to a closed campaign."""
    if campaign.status != CampaignStatus.OPEN:
        raise InvalidInput(_("This campaign is closed."))


def record(
    campaign: Campaign,
    action: str,
    now: datetime,
    person: Person | None = None,
    *,
    via: str = "app",
    method: str | None = None,
    household_id: int | None = None,
    resident_id: int | None = None,
    grid: int | None = None,
    detail: str = "",
) -> None:
    db.session.add(
        CampaignEvent(
            campaign_id=campaign.id,
            community_id=campaign.community_id,
            grid_id=grid,
            household_id=household_id,
            resident_id=resident_id,
            person_id=person.id if person else None,
            action=action,
            method=method,
            via=via,
            detail=detail[:500],
            at=now,
        )
    )
    db.session.flush()
