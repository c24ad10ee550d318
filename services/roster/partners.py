"""Partner units (共驻共建单位) and their in-service members (在职党员)."""

from __future__ import annotations

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
