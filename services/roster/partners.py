"""Partner units (共驻共建单位) and their in-service members (在职党员)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from models import PartnerUnit, Person, db
from services import audit
from services.errors import InvalidInput
from services.roster import operations as roster
from services.roster.posts import find_or_add_person


def add_unit(
    community_id: int, *, name: str, kind: str, contact_name: str, contact_phone: str, by: Person
) -> PartnerUnit:
    """Add a partner unit to the community; names are unique within it."""
    name = roster.clean_text(name, limit=100, what=_("Name"), required=True)
    exists = db.session.scalar(
        select(PartnerUnit.id).where(
            PartnerUnit.community_id == community_id, PartnerUnit.name == name
        )
    )
    if exists:
        raise InvalidInput(_("%(name)s is already a partner unit.", name=name))
    unit = PartnerUnit(
        community_id=community_id,
        name=name,
        kind=roster.clean_text(kind, limit=50, what=_("Kind")),
        contact_name=roster.clean_text(contact_name, limit=roster.MAX_NAME, what=_("Contact")),
        contact_phone=roster.parse_phone(contact_phone),
    )
    db.session.add(unit)
    db.session.flush()
    audit.record(
        actor=by,
        community_id=community_id,
        action="create",
        subject_type="partner_unit",
        subject_id=unit.id,
        detail=name,
    )
    return unit


def add_member(unit: PartnerUnit, *, name: str, phone: str, by: Person) -> Person:
    """Record a person as an in-service member of the unit (one unit per person)."""
    person = find_or_add_person(name, phone)
    if person.partner_unit_id not in (None, unit.id):
        raise InvalidInput(_("%(name)s is already a member of another unit.", name=person.name))
    person.partner_unit_id = unit.id
    db.session.flush()
    audit.record(
        actor=by,
        community_id=unit.community_id,
        action="partner.member",
        subject_type="person",
        subject_id=person.id,
        detail=unit.name,
    )
    return person


def update_unit(
    unit: PartnerUnit, *, name: str, kind: str, contact_name: str, contact_phone: str, by: Person
) -> list[str]:
    """Change a partner unit's name, kind or contact; return what changed (audited)."""
    name = roster.clean_text(name, limit=100, what=_("Name"), required=True)
    if name != unit.name:
        taken = db.session.scalar(
            select(PartnerUnit.id).where(
                PartnerUnit.community_id == unit.community_id,
                PartnerUnit.name == name,
                PartnerUnit.id != unit.id,
            )
        )
        if taken:
            raise InvalidInput(_("%(name)s is already a partner unit.", name=name))
    changed = []
    for field, value in (
        ("name", name),
        ("kind", roster.clean_text(kind, limit=50, what=_("Kind"))),
        ("contact_name", roster.clean_text(contact_name, limit=roster.MAX_NAME, what=_("Contact"))),
        ("contact_phone", roster.parse_phone(contact_phone)),
    ):
        if getattr(unit, field) != value:
            setattr(unit, field, value)
            changed.append(field)
    db.session.flush()
    if changed:
        audit.record(
            actor=by,
            community_id=unit.community_id,
            action="update",
            subject_type="partner_unit",
            subject_id=unit.id,
            detail=", ".join(changed),
        )
    return changed


def end_unit(unit: PartnerUnit, *, on: date, today: date, by: Person) -> PartnerUnit:
    """End a unit's part in the community: kept for the ledgers, gone from the choices."""
    if unit.ended_on is not None:
        raise InvalidInput(_("%(name)s has already ended.", name=unit.name))
    if on > today:
        # An end to come would take the unit off every list at once: end it on the day.
        raise InvalidInput(_("End a partner unit on the day it stops, not before."))
    unit.ended_on = on
    db.session.flush()
    audit.record(
        actor=by,
        community_id=unit.community_id,
        action="partner.end",
        subject_type="partner_unit",
        subject_id=unit.id,
        detail=f"{unit.name} {on.isoformat()}",
    )
    return unit


def restore_unit(unit: PartnerUnit, *, by: Person) -> PartnerUnit:
    """Take an ended unit back (ended by mistake, or it returns)."""
    if unit.ended_on is None:
        raise InvalidInput(_("%(name)s has not ended.", name=unit.name))
    unit.ended_on = None
    db.session.flush()
    audit.record(
        actor=by,
        community_id=unit.community_id,
        action="partner.restore",
        subject_type="partner_unit",
        subject_id=unit.id,
        detail=unit.name,
    )
    return unit
