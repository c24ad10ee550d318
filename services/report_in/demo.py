"""Report-in's demo data: members of the first partner units reported in and approved, one
member and one unit waiting, and last quarter's work so a unit's report has hours."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from models import (
    Community,
    OrderStatus,
    PartnerUnit,
    Person,
    Post,
    ReportIn,
    ReportKind,
    ReportStatus,
    UnitQuarter,
    WorkOrder,
    WorkOrderClaim,
    db,
)
from models.clock import at
from models.roles import Role
from services.report_in.quarters import Quarter

NEW_MEMBERS = (("钱立新", "sms"), ("孙海燕", "page"), ("周国强", "liaison"))


def _phone(rng: random.Random) -> str:
    while True:
        phone = f"+86137{rng.randint(0, 99_999_999):08d}"
        if db.session.scalar(select(Person.id).where(Person.phone == phone)) is None:
            return phone


def _moment(day: date, hour: int) -> datetime:
    return at(day, time(hour, 0))


def load(today: date, rng: random.Random, community_code: str) -> None:
    """Flush only."""
    community = db.session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return
    units = list(
        db.session.scalars(
            select(PartnerUnit)
            .where(PartnerUnit.community_id == community.id)
            .order_by(PartnerUnit.id)
        )
    )
    secretary = db.session.scalar(
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(
            Post.community_id == community.id,
            Post.role == Role.SECRETARY,
            Post.active_on(today),
        )
        .limit(1)
    )
    if len(units) < 2 or secretary is None:
        return
    first, second = units[0], units[1]
    quarter = Quarter.of(today).previous
    decided = _moment(quarter.first + timedelta(days=3), 10)

    # The first unit itself reported in on the QR page, through its liaison, and was approved.
    if first.contact_phone:
        db.session.add(
            ReportIn(
                community_id=community.id,
                kind=ReportKind.UNIT,
                partner_unit_id=first.id,
                unit_name=first.name,
                name=first.contact_name or first.name,
                phone=first.contact_phone,
                via="page",
                status=ReportStatus.APPROVED,
                created_at=decided - timedelta(days=2),
                decided_at=decided - timedelta(days=1),
                decided_by_id=secretary.id,
            )
        )
    # Two members of the first unit reported in last quarter, by SMS and by the QR page.
    joined: list[Person] = []
    for name, via in NEW_MEMBERS[:2]:
        person = Person(name=name, phone=_phone(rng), partner_unit_id=first.id)
        db.session.add(person)
        db.session.flush()
        joined.append(person)
        db.session.add(
            ReportIn(
                community_id=community.id,
                kind=ReportKind.MEMBER,
                partner_unit_id=first.id,
                name=name,
                phone=person.phone,
                person_id=person.id,
                via=via,
                status=ReportStatus.APPROVED,
                created_at=decided - timedelta(days=1),
                decided_at=decided,
                decided_by_id=secretary.id,
            )
        )
    # Waiting for the secretary: a member entered by the second unit's liaison, and a unit.
    name, via = NEW_MEMBERS[2]
    db.session.add(
        ReportIn(
            community_id=community.id,
            kind=ReportKind.MEMBER,
            partner_unit_id=second.id,
            name=name,
            phone=_phone(rng),
            via=via,
            created_at=_moment(today, 9) - timedelta(days=1),
        )
    )
    db.session.add(
        ReportIn(
            community_id=community.id,
            kind=ReportKind.UNIT,
            unit_name="市第一中学",
            name="韩老师",
            phone=_phone(rng),
            via="page",
            created_at=_moment(today, 8) - timedelta(days=2),
        )
    )

    # Last quarter's work: two Saturday clean-ups the first unit's members did.
    members = list(db.session.scalars(select(Person).where(Person.partner_unit_id == first.id)))
    for weeks, title in ((3, "东岳小区楼道清理"), (8, "背街小巷垃圾清运")):
        day = quarter.first + timedelta(weeks=weeks)
        order = WorkOrder(
            community_id=community.id,
            title=title,
            location="东岳小区",
            starts_at=_moment(day, 9),
            ends_at=_moment(day, 12),
            places_needed=len(members),
            places_claimed=len(members),
            status=OrderStatus.VERIFIED,
            created_by_id=secretary.id,
            created_at=_moment(day, 0) - timedelta(days=2),
            done_at=_moment(day, 12),
            verified_at=_moment(day, 15),
            verified_by_id=secretary.id,
        )
        db.session.add(order)
        db.session.flush()
        for person in members:
            db.session.add(
                WorkOrderClaim(
                    order_id=order.id,
                    person_id=person.id,
                    claimed_at=order.created_at,
                    done_at=order.ends_at,
                )
            )
    db.session.add(
        UnitQuarter(
            partner_unit_id=first.id,
            community_id=community.id,
            quarter=quarter.first,
            summary_sent_at=_moment(quarter.next.first, 9),
            feedback="社区安排及时，希望下季度多安排周末活动。",
            feedback_via="sms",
            feedback_at=_moment(quarter.next.first, 11),
            score=5,
            comment="党员参与积极，清理任务完成好。",
            evaluated_at=_moment(quarter.next.first, 15),
            evaluated_by_id=secretary.id,
        )
    )
    db.session.flush()
