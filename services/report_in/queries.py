"""What the report-in pages and commands read: units by name, the waiting list, members,
a unit's quarter and its figures."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    Community,
    PartnerUnit,
    Person,
    ReportIn,
    ReportKind,
    ReportStatus,
    UnitQuarter,
    db,
)
from services.errors import InvalidInput, NotFound
from services.report_in.quarters import Quarter
from services.report_in.records import ServiceRecord, records_of

# How many near names an answer to an unknown unit suggests.
SUGGESTIONS = 3


def folded(name: str) -> str:
    """A unit's name as compared: full-width folded, no spaces, upper case."""
    return "".join(unicodedata.normalize("NFKC", name).split()).upper()


def units(community_id: int) -> list[PartnerUnit]:
    """The units taking part in the community, by name."""
    return list(
        db.session.scalars(
            select(PartnerUnit)
            .where(PartnerUnit.community_id == community_id, PartnerUnit.taking_part())
            .order_by(PartnerUnit.name)
        )
    )


def near_names(community_id: int, name: str) -> list[str]:
    """Names of units that hold the typed name or are held in it ("供电局" → "区供电局")."""
    wanted = folded(name)
    if not wanted:
        return []
    return [
        u.name for u in units(community_id) if wanted in folded(u.name) or folded(u.name) in wanted
    ][:SUGGESTIONS]


def community_by_code(code: str) -> Community | None:
    return db.session.scalar(select(Community).where(Community.code == code))


def open_report(community_id: int, phone: str, kind: str = ReportKind.MEMBER) -> ReportIn | None:
    """The phone's report-in waiting or approved in the community, if any."""
    return db.session.scalar(
        select(ReportIn)
        .where(
            ReportIn.community_id == community_id,
            ReportIn.phone == phone,
            ReportIn.kind == kind,
            ReportIn.status.in_((ReportStatus.PENDING, ReportStatus.APPROVED)),
        )
        .order_by(ReportIn.id.desc())
        .limit(1)
    )


def pending(community_id: int) -> list[ReportIn]:
    return list(
        db.session.scalars(
            select(ReportIn)
            .where(ReportIn.community_id == community_id, ReportIn.status == ReportStatus.PENDING)
            .order_by(ReportIn.created_at)
        )
    )


def recent_decided(community_id: int, limit: int = 20) -> list[ReportIn]:
    return list(
        db.session.scalars(
            select(ReportIn)
            .where(ReportIn.community_id == community_id, ReportIn.status != ReportStatus.PENDING)
            .order_by(ReportIn.decided_at.desc())
            .limit(limit)
        )
    )


def get_report(community_id: int, report_id: int) -> ReportIn | None:
    return db.session.scalar(
        select(ReportIn).where(ReportIn.id == report_id, ReportIn.community_id == community_id)
    )


def get_unit(community_id: int, unit_id: int) -> PartnerUnit | None:
    return db.session.scalar(
        select(PartnerUnit).where(
            PartnerUnit.id == unit_id, PartnerUnit.community_id == community_id
        )
    )


def chosen_unit(community_id: int, raw: str) -> PartnerUnit:
    """The unit a form's list chose (its id as sent), refused when it is not the community's."""
    if not raw.strip().isdigit():
        raise InvalidInput(_("Choose the unit."))
    unit = get_unit(community_id, int(raw))
    if unit is None:
        raise InvalidInput(_("Choose one of the community's partner units."))
    return unit


def community_of(unit: PartnerUnit) -> Community:
    community = db.session.get(Community, unit.community_id)
    if community is None:  # a foreign key: only a broken database lands here
        raise NotFound(_("Not found."))
    return community


def liaison_units(person: Person) -> list[PartnerUnit]:
    """The units taking part whose liaison (contact phone) is this person's phone."""
    return list(
        db.session.scalars(
            select(PartnerUnit)
            .where(PartnerUnit.contact_phone == person.phone, PartnerUnit.taking_part())
            .order_by(PartnerUnit.id)
        )
    )


def members(unit: PartnerUnit) -> list[Person]:
    return list(
        db.session.scalars(
            select(Person)
            .where(Person.partner_unit_id == unit.id, Person.active.is_(True))
            .order_by(Person.name, Person.id)
        )
    )


def quarter_row(unit: PartnerUnit, quarter: Quarter) -> UnitQuarter | None:
    return db.session.scalar(
        select(UnitQuarter).where(
            UnitQuarter.partner_unit_id == unit.id, UnitQuarter.quarter == quarter.first
        )
    )


@dataclass
class MemberService:
    person: Person
    records: list[ServiceRecord] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return sum(r.hours for r in self.records)


@dataclass
class UnitService:
    unit: PartnerUnit
    quarter: Quarter
    members: list[MemberService]

    @property
    def times(self) -> int:
        return sum(len(m.records) for m in self.members)

    @property
    def hours(self) -> float:
        return sum(m.hours for m in self.members)

    @property
    def serving(self) -> int:
        """Members with at least one record in the quarter."""
        return sum(1 for m in self.members if m.records)


def unit_service(unit: PartnerUnit, quarter: Quarter) -> UnitService:
    """Each member's records and hours over the quarter."""
    people = members(unit)
    return UnitService(unit, quarter, _by_member(people, quarter.start, quarter.end))


def _by_member(people: list[Person], start: datetime, end: datetime) -> list[MemberService]:
    grouped: dict[int, list[ServiceRecord]] = defaultdict(list)
    for record in records_of([p.id for p in people], start, end):
        grouped[record.person_id].append(record)
    return [MemberService(p, grouped.get(p.id, [])) for p in people]


def hours_text(hours: float) -> str:
    """Hours as a person reads them: 3, 2.5."""
    return f"{hours:g}"
