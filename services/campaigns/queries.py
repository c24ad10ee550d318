"""What campaigns a person may open, progress per grid, households not yet reached, events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from models import (
    Building,
    Campaign,
    CampaignEvent,
    CampaignHousehold,
    CampaignStatus,
    Grid,
    Household,
    InformedBy,
    Permission,
    Person,
    Resident,
    db,
)
from services.errors import NotFound
from services.roster import permissions
from services.roster.areas import Area

METHOD_ORDER = (InformedBy.IN_PERSON, InformedBy.PHONE, InformedBy.SMS)
# How each way of telling reads (pages, the SMS answer, buttons).
METHOD_LABELS: dict[str, Any] = {
    InformedBy.IN_PERSON: lazy_gettext("In person"),
    InformedBy.PHONE: lazy_gettext("By phone"),
    InformedBy.SMS: lazy_gettext("By SMS"),
}


def area_of(person: Person, today: date) -> Area:
    """The households a person follows in campaigns: where their posts may tick households."""
    return permissions.area_with(person, Permission.INFORM_HOUSEHOLDS, today)


def community_ids(area: Area) -> set[int]:
    """Return the communities an area lies in (a grid's or a building's community)."""
    found = set(area.community_ids)
    if area.grid_ids:
        found.update(
            db.session.scalars(select(Grid.community_id).where(Grid.id.in_(area.grid_ids)))
        )
    if area.building_ids:
        found.update(
            db.session.scalars(
                select(Building.community_id).where(Building.id.in_(area.building_ids))
            )
        )
    return found


def _in_area(area: Area) -> Any:
    """A WHERE clause: the campaign has a household in the area."""
    if area.is_empty:
        return false()
    if area.community_ids and not (area.grid_ids or area.building_ids):
        return Campaign.community_id.in_(area.community_ids)
    return or_(
        Campaign.community_id.in_(area.community_ids),
        select(CampaignHousehold.id)
        .join(Building, Building.id == CampaignHousehold.building_id)
        .where(CampaignHousehold.campaign_id == Campaign.id, area.building_clause())
        .exists(),
    )


def visible(area: Area, *, limit: int = 100) -> list[Campaign]:
    """The campaigns concerning the area, open ones first, newest first."""
    return list(
        db.session.scalars(
            select(Campaign)
            .where(_in_area(area))
            .order_by((Campaign.status == CampaignStatus.OPEN).desc(), Campaign.created_at.desc())
            .limit(limit)
        )
    )


def get_visible(area: Area, campaign_id: int) -> Campaign:
    found = db.session.scalar(select(Campaign).where(Campaign.id == campaign_id, _in_area(area)))
    if found is None:
        raise NotFound(_("No such campaign."))
    return found


# -- progress ---------------------------------------------------------------------------------


@dataclass
class Tally:
    label: str
    target: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    @property
    def informed(self) -> int:
        return sum(self.by_method.values())

    @property
    def not_reached(self) -> int:
        return self.target - self.informed

    @property
    def percent(self) -> int:
        return round(100 * self.informed / self.target) if self.target else 0


@dataclass(frozen=True)
class Progress:
    overall: Tally
    by_grid: list[Tally]


def progress(campaign: Campaign, area: Area) -> Progress:
    """Informed / target per grid, by method, over the area's part of the target."""
    rows = db.session.execute(
        select(CampaignHousehold.grid_id, CampaignHousehold.method, func.count())
        .join(Building, Building.id == CampaignHousehold.building_id)
        .where(CampaignHousehold.campaign_id == campaign.id, area.building_clause())
        .group_by(CampaignHousehold.grid_id, CampaignHousehold.method)
    ).all()
    names = dict(
        db.session.execute(
            select(Grid.id, Grid.name).where(Grid.community_id == campaign.community_id)
        ).all()
    )
    overall = Tally(_("All"))
    grids: dict[int | None, Tally] = {}
    for grid_id, method, n in rows:
        label = names.get(grid_id, _("No grid")) if grid_id is not None else _("No grid")
        for tally in (overall, grids.setdefault(grid_id, Tally(label))):
            tally.target += int(n)
            if method is not None:
                tally.by_method[method] = tally.by_method.get(method, 0) + int(n)
    return Progress(overall, sorted(grids.values(), key=lambda t: t.label))


# -- households not yet reached ---------------------------------------------------------------


def _unreached(campaign: Campaign, area: Area) -> Select[Any]:
    return (
        select(Household)
        .join(CampaignHousehold, CampaignHousehold.household_id == Household.id)
        .join(Building, Building.id == Household.building_id)
        .where(
            CampaignHousehold.campaign_id == campaign.id,
            CampaignHousehold.method.is_(None),
            Household.current(),
            area.building_clause(),
        )
    )


def count_unreached(campaign: Campaign, area: Area) -> int:
    query = _unreached(campaign, area).subquery()
    return int(db.session.scalar(select(func.count()).select_from(query)) or 0)


def unreached(campaign: Campaign, area: Area, *, limit: int, offset: int) -> list[Household]:
    """The area's households of the target nobody has told yet, building by building."""
    return list(
        db.session.scalars(
            _unreached(campaign, area)
            .order_by(
                Building.compound,
                Building.name,
                Household.unit,
                Household.floor,
                Household.room,
                Household.id,
            )
            .limit(limit)
            .offset(offset)
            .options(
                selectinload(Household.building),
                selectinload(Household.residents),
            )
        )
    )


# -- residents --------------------------------------------------------------------------------


def for_resident(person: Person) -> list[Campaign]:
    """The campaigns whose target holds a household this person lives in."""
    households = select(Resident.household_id).where(
        Resident.person_id == person.id, Resident.living()
    )
    # EXISTS rather than DISTINCT: PostgreSQL cannot compare the JSON criteria column.
    concerns = (
        select(CampaignHousehold.id)
        .where(
            CampaignHousehold.campaign_id == Campaign.id,
            CampaignHousehold.household_id.in_(households),
        )
        .exists()
    )
    return list(
        db.session.scalars(
            select(Campaign).where(concerns).order_by(Campaign.created_at.desc()).limit(50)
        )
    )


def get_for_resident(person: Person, campaign_id: int) -> Campaign:
    for campaign in for_resident(person):
        if campaign.id == campaign_id:
            return campaign
    raise NotFound(_("No such campaign."))


# -- the ledger -------------------------------------------------------------------------------


def events_between(
    community_id: int, start: datetime, end: datetime, *, grid_id: int | None = None
) -> list[CampaignEvent]:
    """The community's (or one grid's) campaign events in [start, end), oldest first."""
    query = select(CampaignEvent).where(
        CampaignEvent.community_id == community_id,
        CampaignEvent.at >= start,
        CampaignEvent.at < end,
    )
    if grid_id is not None:
        query = query.where(CampaignEvent.grid_id == grid_id)
    return list(db.session.scalars(query.order_by(CampaignEvent.at, CampaignEvent.id)))
