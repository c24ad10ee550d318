"""Reporting a public problem (民情观察员): a blocked drain, a broken light, seen in the area.

A report is a need with no household (services/needs): source observer, the reporter as
raised_by, where it is (a building of the reporter's area, or a place typed) and a photo. It
lands on the needs list of the grid leader and the secretary; the answer goes back to the
reporter (needs.operations.recipient_of falls back to who raised it). A report of the property
category goes to the property company at once (services/needs/property_matters.py).

Observers report, and anyone whose post may note needs (raise_needs): heads and visiting
N members. The first event of a report is "reported" (a need heard from a resident is "raised").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from models import Building, Need, NeedSource, Person, Photo, Post, db
from models.roles import Permission
from services.errors import DomainError, InvalidInput
from services.needs import operations as needs
from services.roster import permissions
from services.roster.areas import Area, visible_buildings

REPORTED = "reported"
# Buildings offered on the form; a community-wide reporter types the place instead.
BUILDINGS_LIMIT = 200


@dataclass(frozen=True)
class Reporter:
    """Where a person may report from: their posts that may note needs, and their area."""

    person: Person
    posts: tuple[Post, ...]
    area: Area

    @property
    def community_id(self) -> int:
        return self.posts[0].community_id

    def grid_id(self) -> int | None:
        """The grid a report with only a typed place belongs to (None: community-wide)."""
        for post in self.posts:
            if post.grid_id is not None:
                return post.grid_id
            if post.building is not None:
                return post.building.grid_id
        return None


def reporter(person: Person | None, today: date) -> Reporter | None:
    """Return the person as a reporter, or None when no post of theirs may note needs."""
    if person is None or not person.active:
        return None
    posts = permissions.posts_with(person, Permission.RAISE_NEEDS, today)
    if not posts:
        return None
    return Reporter(
        person, tuple(posts), permissions.area_with(person, Permission.RAISE_NEEDS, today)
    )


def buildings(who: Reporter) -> list[Building]:
    """Return the buildings the reporter may pick: those of their grid or their building."""
    if who.area.is_empty:
        return []
    query = visible_buildings(who.area).order_by(Building.grid_id, Building.name)
    return list(db.session.scalars(query.limit(BUILDINGS_LIMIT)))


def building_in_text(who: Reporter, text: str) -> Building | None:
    """Return the reporter's building named in a text ("5号楼路灯坏了"), longest name first."""
    found = [b for b in buildings(who) if b.name and b.name in text]
    return max(found, key=lambda b: len(b.name)) if found else None


def report(
    who: Reporter,
    *,
    category: str,
    text: str,
    now: datetime,
    building_id: int | None = None,
    place: str = "",
    photo: Photo | None = None,
) -> Need:
    """Put a public problem on the needs list, with where it is; checked first."""
    building: Building | None = None
    if building_id is not None:
        building = db.session.scalar(visible_buildings(who.area).where(Building.id == building_id))
        if building is None:
            raise InvalidInput(_("Choose a building of your area, or type the place."))
    elif not place.strip():
        raise InvalidInput(
            _("Say where the problem is: pick a building or type the place (e.g. the east gate).")
        )
    return needs.raise_need(
        community_id=building.community_id if building else who.community_id,
        household=None,
        source=NeedSource.OBSERVER,
        by=who.person,
        category=category,
        text=text,
        now=now,
        building=building,
        grid_id=None if building else who.grid_id(),
        place=place,
        photo=photo,
        action=REPORTED,
    )


def my_reports(person: Person, limit: int = 50) -> list[Need]:
    """Return the problems this person reported, newest first."""
    return list(
        db.session.scalars(
            select(Need)
            .where(Need.raised_by_id == person.id, Need.household_id.is_(None))
            .order_by(Need.created_at.desc())
            .limit(limit)
        )
    )


def not_a_reporter() -> DomainError:
    return DomainError(_("Only observers, heads and volunteers with a post can report problems."))
