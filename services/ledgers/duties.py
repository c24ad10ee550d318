"""Ledger rows of the N members' duties: mediation, policy campaigns, meetings, and the
service of partner units' in-service members (双报到, from their service records)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, func, or_, select, true
from sqlalchemy.orm import aliased

from models import (
    Campaign,
    CampaignHousehold,
    Grid,
    MediationCase,
    Meeting,
    MeetingInvitee,
    PartnerUnit,
    Person,
    db,
)
from services.ledgers import labels
from services.ledgers.community_work import names_by
from services.ledgers.periods import Period
from services.ledgers.rows import (
    Figure,
    Part,
    Row,
    Scope,
    Viewer,
    count,
    cut,
    day_of,
    matches,
    short,
)
from services.mediation.queries import CATEGORIES as DISPUTE_CATEGORIES
from services.mediation.queries import OUTCOMES
from services.report_in.records import kind_label, records_of

# --------------------------------------------------------------------------- mediation


def mediation(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    opened_in = (MediationCase.opened_at >= period.start) & (MediationCase.opened_at < period.end)
    concluded_in = (MediationCase.concluded_at >= period.start) & (
        MediationCase.concluded_at < period.end
    )
    base = (
        MediationCase.community_id == scope.community_id,
        matches(MediationCase.grid_id, scope.grid_id),
        matches(MediationCase.mediator_id, scope.person_id),
    )
    (opened,) = db.session.execute(select(func.count()).where(*base, opened_in)).one()
    concluded, agreed = db.session.execute(
        select(func.count(), func.count().filter(MediationCase.outcome == "agreed")).where(
            *base, concluded_in
        )
    ).one()
    part = Part(
        figures=[
            Figure("opened", _("Cases taken up"), int(opened or 0)),
            Figure("concluded", _("Cases concluded"), int(concluded or 0)),
            Figure("agreed", _("Agreements reached"), int(agreed or 0)),
        ]
    )
    found = db.session.execute(
        select(
            MediationCase.id,
            MediationCase.opened_at,
            MediationCase.grid_id,
            Grid.name,
            Person.name,
            MediationCase.category,
            MediationCase.summary,
            MediationCase.outcome,
            MediationCase.concluded_at,
        )
        .join(Grid, Grid.id == MediationCase.grid_id)
        .join(Person, Person.id == MediationCase.mediator_id)
        .where(*base, or_(opened_in, concluded_in))
        .order_by(MediationCase.opened_at, MediationCase.id)
        .limit(limit + 1)
    ).all()
    kept, part.more = cut(found, limit)
    for cid, opened_at, grid_id, grid, mediator, category, summary, outcome, done in kept:
        what = labels.label(DISPUTE_CATEGORIES, category)
        # The dispute itself only to those who may open the case (its mediators, its grid's
        # leader, the secretary): others see that it was handled and how it ended.
        if viewer.sees_dispute(scope.community_id, grid_id):
            what = f"{what}: {short(summary)}"
        result = labels.label(OUTCOMES, outcome) if outcome else _("Being mediated")
        done_day = day_of(done)
        if done_day is not None:
            result = f"{result} {done_day.isoformat()}"
        part.rows.append(
            Row(f"M{cid}", day_of(opened_at) or period.first, grid, mediator, what, result)
        )
    return part


# --------------------------------------------------------------------------- campaigns


def campaigns(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    informed_in = (
        CampaignHousehold.method.is_not(None)
        & (CampaignHousehold.informed_at >= period.start)
        & (CampaignHousehold.informed_at < period.end)
    )
    households: tuple[ColumnElement[bool], ...] = (
        matches(CampaignHousehold.grid_id, scope.grid_id),
        matches(CampaignHousehold.informed_by_id, scope.person_id),
    )
    touched = exists().where(CampaignHousehold.campaign_id == Campaign.id, informed_in, *households)
    created_in: ColumnElement[bool] = (
        (Campaign.created_at >= period.start) & (Campaign.created_at < period.end)
        if scope.person_id is None
        else (Campaign.created_by_id == scope.person_id)
        & (Campaign.created_at >= period.start)
        & (Campaign.created_at < period.end)
    )
    base = (Campaign.community_id == scope.community_id, or_(created_in, touched))
    informed = count(
        select(func.count())
        .select_from(CampaignHousehold)
        .join(Campaign, Campaign.id == CampaignHousehold.campaign_id)
        .where(Campaign.community_id == scope.community_id, informed_in, *households)
    )
    found = db.session.execute(
        select(Campaign.id, Campaign.created_at, Campaign.title, Campaign.deadline, Person.name)
        .join(Person, Person.id == Campaign.created_by_id)
        .where(*base)
        .order_by(Campaign.created_at, Campaign.id)
        .limit(limit + 1)
    ).all()
    kept, more = cut(found, limit)
    part = Part(
        figures=[
            Figure("campaigns", _("Campaigns"), count(select(func.count()).where(*base))),
            Figure("told", _("Households told in the period"), informed),
        ],
        more=more,
    )
    ids = [r[0] for r in kept]
    target: dict[int, int] = {}
    told: dict[int, int] = {}
    for chunk in [ids[i : i + 500] for i in range(0, len(ids), 500)]:
        for key, n, reached in db.session.execute(
            select(
                CampaignHousehold.campaign_id,
                func.count(),
                func.count().filter(informed_in),
            )
            .where(
                CampaignHousehold.campaign_id.in_(chunk),
                matches(CampaignHousehold.grid_id, scope.grid_id),
            )
            .group_by(CampaignHousehold.campaign_id)
        ):
            target[key], told[key] = int(n), int(reached)
    tellers = names_by(
        lambda chunk: (
            select(CampaignHousehold.campaign_id, Person.name)
            .join(Person, Person.id == CampaignHousehold.informed_by_id)
            .where(CampaignHousehold.campaign_id.in_(chunk), informed_in, *households)
            .group_by(CampaignHousehold.campaign_id, Person.name)
            .order_by(CampaignHousehold.campaign_id, Person.name)
        ),
        ids,
    )
    for cid, created, title, deadline, by in kept:
        part.rows.append(
            Row(
                f"C{cid}",
                day_of(created) or period.first,
                scope.grid_name or _("Whole community"),
                "、".join(tellers.get(cid, [])) or by,
                _("%(title)s (until %(day)s)", title=short(title), day=deadline.isoformat()),
                _(
                    "%(told)d of %(target)d households told in the period",
                    told=told.get(cid, 0),
                    target=target.get(cid, 0),
                ),
            )
        )
    return part


# ---------------------------------------------------------------------------- meetings


def meetings(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    # An alias: the attendance count below selects from MeetingInvitee itself.
    their = aliased(MeetingInvitee)
    attended: ColumnElement[bool] = (
        or_(
            Meeting.called_by_id == scope.person_id,
            exists().where(
                their.meeting_id == Meeting.id,
                their.person_id == scope.person_id,
                their.present.is_(True),
            ),
        )
        if scope.person_id is not None
        else true()
    )
    base = (
        Meeting.community_id == scope.community_id,
        matches(Meeting.grid_id, scope.grid_id),
        attended,
        Meeting.starts_at >= period.start,
        Meeting.starts_at < period.end,
    )
    total, with_minutes = db.session.execute(
        select(func.count(), func.count().filter(Meeting.minutes_at.is_not(None))).where(*base)
    ).one()
    present = count(
        select(func.count())
        .select_from(MeetingInvitee)
        .join(Meeting, Meeting.id == MeetingInvitee.meeting_id)
        .where(*base, MeetingInvitee.present.is_(True))
    )
    part = Part(
        figures=[
            Figure("meetings", _("Meetings"), int(total or 0)),
            Figure("with_minutes", _("With minutes"), int(with_minutes or 0)),
            Figure("attendances", _("Attendances"), present),
        ]
    )
    found = db.session.execute(
        select(
            Meeting.id,
            Meeting.starts_at,
            Grid.name,
            Meeting.place,
            Meeting.kind,
            Meeting.title,
            Person.name,
            Meeting.minutes_at,
        )
        .outerjoin(Grid, Grid.id == Meeting.grid_id)
        .join(Person, Person.id == Meeting.called_by_id)
        .where(*base)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit + 1)
    ).all()
    kept, part.more = cut(found, limit)
    ids = [r[0] for r in kept]
    tallies: dict[int, tuple[int, int]] = {}
    for chunk in [ids[i : i + 500] for i in range(0, len(ids), 500)]:
        for key, invited, came in db.session.execute(
            select(
                MeetingInvitee.meeting_id,
                func.count().filter(MeetingInvitee.walk_in.is_(False)),
                func.count().filter(MeetingInvitee.present.is_(True)),
            )
            .where(MeetingInvitee.meeting_id.in_(chunk))
            .group_by(MeetingInvitee.meeting_id)
        ):
            tallies[key] = (int(invited), int(came))
    for mid, starts, grid, where, kind, title, by, minutes_at in kept:
        invited, came = tallies.get(mid, (0, 0))
        outcome = _("%(present)d present of %(invited)d invited", present=came, invited=invited)
        outcome = f"{outcome} · " + (_("minutes kept") if minutes_at else _("no minutes yet"))
        part.rows.append(
            Row(
                f"H{mid}",
                day_of(starts) or period.first,
                " · ".join(p for p in (grid or _("Whole community"), where) if p),
                by,
                f"{labels.label(labels.MEETING_KIND, kind)}: {short(title)}",
                outcome,
            )
        )
    return part


# --------------------------------------------------------------------- partner service


def partner_service(scope: Scope, period: Period, viewer: Viewer, limit: int) -> Part:
    """In-service members' service (双报到), from the records 双报到's unit reports read."""
    members = db.session.execute(
        select(Person.id, Person.name, PartnerUnit.name)
        .join(PartnerUnit, PartnerUnit.id == Person.partner_unit_id)
        .where(
            PartnerUnit.community_id == scope.community_id,
            matches(Person.id, scope.person_id),
        )
    ).all()
    who = {pid: (name, unit) for pid, name, unit in members}
    found = records_of(list(who), period.start, period.end)
    kept, more = cut(found, limit)
    part = Part(
        figures=[
            Figure("records", _("Service records"), len(found)),
            Figure("members", _("Members who served"), len({r.person_id for r in found})),
            Figure("units", _("Units"), len({who[r.person_id][1] for r in found})),
            Figure("hours", _("Hours"), sum(r.hours for r in found)),
        ],
        more=more,
    )
    for r in kept:
        name, unit = who[r.person_id]
        part.rows.append(
            Row(
                r.ref,
                r.day,
                unit,
                name,
                f"{kind_label(r.kind)}: {short(r.title)}",
                _("%(hours)s hours", hours=f"{r.hours:g}"),
            )
        )
    return part
