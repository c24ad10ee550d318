"""Granting administrators, creating communities, their settings and their secretary."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from models import Administrator, Community, Person, Post, Street, db
from models.roles import Role
from services import audit
from services.administration import settings
from services.administration.settings import CommunitySettings
from services.errors import InvalidInput
from services.roster import posts

CODE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$")
MAX_NAME = 100


def clean_code(raw: str) -> str:
    """Return a URL-safe code (lowercase letters, digits, inner hyphens; 2–40), or refuse."""
    code = (raw or "").strip().lower()
    if not CODE_RE.match(code):
        raise InvalidInput(
            _(
                "A short code is 2 to 40 lowercase letters, digits or hyphens (not at either "
                "end), e.g. xinfeng-lu: it appears in web addresses."
            )
        )
    return code


def clean_name(raw: str, missing: str) -> str:
    """Return the name stripped, or refuse: `missing` when it is empty, or too long."""
    name = (raw or "").strip()
    if not name:
        raise InvalidInput(missing)
    if len(name) > MAX_NAME:
        raise InvalidInput(_("A name is at most %(n)d characters.", n=MAX_NAME))
    return name


def find_or_add_street(name: str, code: str | None = None) -> tuple[Street, bool]:
    """Return the street with this name, or add it; True when it was added."""
    name = clean_name(name, _("Please give the street's name."))
    street = db.session.scalar(select(Street).where(Street.name == name))
    if street is not None:
        if code and clean_code(code) != street.code:
            raise InvalidInput(
                _(
                    "The street “%(name)s” already has the code “%(code)s”.",
                    name=name,
                    code=street.code,
                )
            )
        return street, False
    if code:
        code = clean_code(code)
    else:
        # A Chinese name makes no URL; number the streets instead.
        number = int(db.session.scalar(select(func.count(Street.id))) or 0) + 1
        code = f"street-{number}"
        while db.session.scalar(select(Street.id).where(Street.code == code)) is not None:
            number += 1
            code = f"street-{number}"
    if db.session.scalar(select(Street.id).where(Street.code == code)) is not None:
        raise InvalidInput(_("Another street already has the code “%(code)s”.", code=code))
    street = Street(name=name, code=code)
    db.session.add(street)
    db.session.flush()
    return street, True


def grant(
    person: Person,
    *,
    street: Street | None = None,
    community: Community | None = None,
    by: Person | None,
    today: date,
) -> tuple[Administrator, bool]:
    """Make the person an administrator of a street or a community; an existing grant is kept
    (False), so granting twice changes nothing."""
    if (street is None) == (community is None):
        raise InvalidInput(_("Name either a street or a community, not both."))
    held = db.session.scalar(
        select(Administrator).where(
            Administrator.person_id == person.id,
            Administrator.street_id == street.id if street else Administrator.street_id.is_(None),
            Administrator.community_id == community.id
            if community
            else Administrator.community_id.is_(None),
            Administrator.active_on(today),
        )
    )
    if held is not None:
        return held, False
    row = Administrator(
        person_id=person.id,
        street_id=street.id if street else None,
        community_id=community.id if community else None,
        granted_by_id=by.id if by else None,
    )
    db.session.add(row)
    db.session.flush()
    if community is not None:
        audit.record(
            actor=by,
            community_id=community.id,
            action="admin.grant",
            subject_type="administrator",
            subject_id=row.id,
            detail=person.name,
        )
    return row, True


def add_administrator(
    *,
    name: str,
    phone: str,
    street: str | None = None,
    community_code: str | None = None,
    street_code: str | None = None,
    today: date,
) -> tuple[Administrator, bool]:
    """`flask admin add`: find or add the person (and the street), then grant; idempotent."""
    if bool(street) == bool(community_code):
        raise InvalidInput(_("Name either a street (--street) or a community (--community)."))
    person = posts.find_or_add_person(name, phone)
    if community_code:
        community = db.session.scalar(
            select(Community).where(Community.code == community_code.strip())
        )
        if community is None:
            raise InvalidInput(
                _("There is no community with the code “%(code)s”.", code=community_code)
            )
        return grant(person, community=community, by=None, today=today)
    found, _added = find_or_add_street(street or "", street_code)
    return grant(person, street=found, by=None, today=today)


def create_community(
    *,
    street: Street,
    name: str,
    code: str,
    values: CommunitySettings,
    secretary: tuple[str, str] | None,
    by: Person,
    today: date,
) -> Community:
    """Add a community to a street, with its settings and (if named) its secretary."""
    name = clean_name(name, _("Please give the community's name."))
    code = clean_code(code)
    if db.session.scalar(select(Community.id).where(Community.code == code)) is not None:
        raise InvalidInput(_("Another community already has the code “%(code)s”.", code=code))
    values = settings.check(values)
    community = Community(
        name=name, code=code, district=street.name, street_id=street.id, sms_signature=""
    )
    db.session.add(community)
    db.session.flush()
    settings.apply(community, values)
    audit.record(
        actor=by,
        community_id=community.id,
        action="community.create",
        subject_type="community",
        subject_id=community.id,
        detail=f"{code} {name} {street.name}",
    )
    if secretary is not None:
        name_secretary(community, name=secretary[0], phone=secretary[1], by=by, today=today)
    return community


def change_settings(community: Community, values: CommunitySettings, *, by: Person) -> list[str]:
    """Change a community's settings; every change goes to its audit trail."""
    changes = settings.apply(community, values)
    if changes:
        audit.record(
            actor=by,
            community_id=community.id,
            action="community.settings",
            subject_type="community",
            subject_id=community.id,
            detail="; ".join(changes),
        )
    return changes


def name_secretary(community: Community, *, name: str, phone: str, by: Person, today: date) -> Post:
    """Give the person (found by phone, or added) the community's secretary post from today."""
    person = posts.find_or_add_person(name, phone)
    return posts.assign(
        person,
        community_id=community.id,
        role=Role.SECRETARY,
        grid=None,
        building=None,
        duties="",
        starts_on=today,
        by=by,
    )
