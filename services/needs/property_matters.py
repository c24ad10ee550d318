"""Property matters (物业): a need of the property category goes to the property company.

The company is a partner unit whose kind says so (物业, e.g. "物业公司"): its name, contact,
members and end date are kept on the partner units page like any unit's, not in a table of
their own. A property need is referred to it as soon as it is raised (operations.raise_need);
a grid leader may also refer any need to it. The referral carries a deadline (the community's
`property_answer_days`, else PROPERTY_ANSWER_DAYS) and the company answers as any partner
unit does: "答复 N12 …" from the contact's phone, or the page its link opens.

A late answer is chased once at each stage: the company's contact when the deadline passes,
then PROPERTY_CHASE_LEADER_DAYS later, still unanswered, the grid leader (the secretary when
the grid has none). Each stage's mark is set by a conditional UPDATE, so two runs at once tell
nobody twice; every chase is a NeedEvent ("property_chased").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select, update

from models import (
    Community,
    Need,
    NeedEvent,
    NeedReferral,
    NeedStatus,
    PartnerUnit,
    Person,
    Post,
    db,
)
from models.clock import today_of
from models.roles import Role
from notify.message import Message
from notify.outbox import send_later

CATEGORY = "property"
# A partner unit is the property company when its kind holds this word.
KIND_MARK = "物业"
DEFAULTS = {"PROPERTY_ANSWER_DAYS": 3.0, "PROPERTY_CHASE_LEADER_DAYS": 1.0}
# Referrals taken per stage per run: the next run takes the rest.
BATCH = 500
MAX_REFS = 6
# The NeedEvent actions of property matters, as the ledger counts them.
SENT = "to_property"
ANSWERED = "property_answered"
CHASED = "property_chased"


def setting(name: str) -> float:
    if has_app_context():
        return float(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


def is_company(unit: PartnerUnit | None) -> bool:
    return unit is not None and (KIND_MARK in (unit.kind or "") or unit.kind == "property")


def company_of(community_id: int) -> PartnerUnit | None:
    """Return the community's property company that can be reached (taking part, a phone)."""
    return db.session.scalar(
        select(PartnerUnit)
        .where(
            PartnerUnit.community_id == community_id,
            PartnerUnit.taking_part(),
            PartnerUnit.kind.contains(KIND_MARK),
            PartnerUnit.contact_phone.isnot(None),
            PartnerUnit.contact_phone != "",
        )
        .order_by(PartnerUnit.id)
        .limit(1)
    )


def answer_days(community_id: int) -> int:
    community = db.session.get(Community, community_id)
    if community is not None and community.property_answer_days:
        return community.property_answer_days
    return int(setting("PROPERTY_ANSWER_DAYS"))


def due_at(community_id: int, now: datetime) -> datetime:
    return now + timedelta(days=answer_days(community_id))


def is_late(referral: NeedReferral, now: datetime) -> bool:
    return referral.answered_at is None and referral.due_at is not None and referral.due_at <= now


@dataclass
class ChaseReport:
    contacts: int = 0  # referrals whose contact was chased
    leaders: int = 0  # referrals whose grid leader (or secretary) was told
    told: int = 0  # messages sent


def _take(referral: NeedReferral, column: str, now: datetime) -> bool:
    taken = db.session.execute(
        update(NeedReferral)
        .where(NeedReferral.id == referral.id, getattr(NeedReferral, column).is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _holders(role: Role, need: Need, today: date) -> list[Person]:
    query = (
        select(Person)
        .join(Post, Post.person_id == Person.id)
        .where(Post.role == role, Post.community_id == need.community_id, Post.active_on(today))
    )
    if role == Role.GRID_LEADER:
        if need.grid_id is None:
            return []
        query = query.where(Post.grid_id == need.grid_id)
    return list(db.session.scalars(query.distinct()))


def _refs(needs: list[Need]) -> str:
    return "、".join(n.ref for n in needs[:MAX_REFS]) + ("等" if len(needs) > MAX_REFS else "")


def _late(now: datetime, *conditions: object) -> list[NeedReferral]:
    return list(
        db.session.scalars(
            select(NeedReferral)
            .join(Need, Need.id == NeedReferral.need_id)
            .where(
                NeedReferral.due_at.isnot(None),
                NeedReferral.answered_at.is_(None),
                Need.status == NeedStatus.IN_HAND,
                *conditions,  # type: ignore[arg-type]
            )
            .order_by(NeedReferral.id)
            .limit(BATCH)
        )
    )


def _event(need: Need, detail: str, now: datetime) -> None:
    db.session.add(NeedEvent(need_id=need.id, actor_id=None, action=CHASED, detail=detail, at=now))


def chase(now: datetime) -> ChaseReport:
    """Chase late property answers: the company's contact, later the grid leader, once each."""
    report = ChaseReport()
    today = today_of(now)
    contacts: dict[str, list[Need]] = defaultdict(list)
    due = _late(now, NeedReferral.chased_contact_at.is_(None), NeedReferral.due_at <= now)
    for referral in due:
        if not _take(referral, "chased_contact_at", now):
            continue
        report.contacts += 1
        contacts[referral.contact_phone].append(referral.need)
        _event(referral.need, "contact", now)
    after = now - timedelta(days=setting("PROPERTY_CHASE_LEADER_DAYS"))
    leaders: dict[int, list[Need]] = defaultdict(list)
    for referral in _late(
        now,
        NeedReferral.chased_contact_at.isnot(None),
        NeedReferral.chased_leader_at.is_(None),
        NeedReferral.chased_contact_at <= after,
    ):
        if not _take(referral, "chased_leader_at", now):
            continue
        report.leaders += 1
        need = referral.need
        told = _holders(Role.GRID_LEADER, need, today) or _holders(Role.SECRETARY, need, today)
        for person in told:
            leaders[person.id].append(need)
        _event(need, "leader", now)
    for phone, found in contacts.items():
        send_later(
            Message(
                "property_chase_contact",
                {"count": len(found), "refs": _refs(found), "ref": found[0].ref},
                batch_key=f"property_chase_contact:{found[0].id}:{now.isoformat()}",
                community_id=found[0].community_id,
            ),
            to=[phone],
            now=now,
        )
        report.told += 1
    for person_id, found in leaders.items():
        leader = db.session.get(Person, person_id)
        if leader is None:
            continue
        send_later(
            Message(
                "property_chase_leader",
                {"count": len(found), "refs": _refs(found)},
                batch_key=f"property_chase_leader:{found[0].id}:{now.isoformat()}",
                community_id=found[0].community_id,
            ),
            to=[leader],
            now=now,
        )
        report.told += 1
    db.session.flush()
    return report
