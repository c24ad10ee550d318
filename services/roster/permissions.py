"""What each post may see or do: a role's permissions, a community's choice, and one check.

Every role has default permissions that fit its duties (`models.roles.DEFAULT_PERMISSIONS`);
a community's secretary may set others for a role (`RolePermissions`). A person may do what
any of their active posts' roles may do in that post's community; the area still bounds
which records (a grid leader's households are their grid's).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import Person, Post, RolePermissions, db
from models.roles import (
    CUSTOM_ROLE_PERMISSIONS,
    DEFAULT_PERMISSIONS,
    PARTNER_MEMBER_PERMISSIONS,
    Permission,
    Role,
)
from services import audit
from services.errors import InvalidInput
from services.roster.areas import Area

_VALUES = frozenset(p.value for p in Permission)

# What each permission is called on the role's page, in vocabulary order.
PERMISSION_NAMES = {
    Permission.SEE_HOUSEHOLDS: _l("See households and residents"),
    Permission.EDIT_HOUSEHOLDS: _l("Add and correct residents and households"),
    Permission.SEE_VISIT_NOTES: _l("See visit notes and history"),
    Permission.LOG_VISITS: _l("Visit households and log visits"),
    Permission.SEE_COVERAGE: _l("See visit coverage"),
    Permission.EXPORT: _l("Export coverage with contact names"),
    Permission.SEE_NEEDS: _l("See the needs list"),
    Permission.RAISE_NEEDS: _l("Note a need"),
    Permission.DECIDE_NEEDS: _l("Decide needs"),
    Permission.SEE_WALL: _l("See the problem wall"),
    Permission.CLAIM_WISHES: _l("Claim and fulfil wishes"),
    Permission.DISPATCH: _l("Dispatch work orders"),
    Permission.BROADCAST: _l("Send broadcasts"),
    Permission.HOLD_MEETINGS: _l("Call and hold meetings"),
    Permission.MANAGE_ROSTER: _l("Manage the roster, posts and messages"),
    Permission.SEE_AUDIT: _l("See the audit trail"),
    Permission.SEE_MEDIATION: _l(
        "See the grid's mediation cases (mediators, grid leaders and the secretary only)"
    ),
    Permission.INFORM_HOUSEHOLDS: _l("Tick households told of a policy"),
    Permission.SEE_LEDGERS: _l("See ledgers (the community's or grid's, or one's own work)"),
}


def defaults_of(role: str) -> frozenset[Permission]:
    return DEFAULT_PERMISSIONS.get(role, CUSTOM_ROLE_PERMISSIONS)


def is_fixed(role: str) -> bool:
    """The secretary's own permissions are all of them, always: nobody can lock the branch out."""
    return role == Role.SECRETARY


# A page asks for the same role's permissions several times (the route's guard, its menu, the
# area it shows): kept on the database session for one request (auth clears it as a request
# begins; set_for_role when it changes them), never outside a request.
MEMO = "role_permissions"


def forget() -> None:
    """Drop the permissions remembered for this request."""
    db.session.info.pop(MEMO, None)


def of_role(community_id: int, role: str) -> frozenset[Permission]:
    """Return what the role may do in the community: its community's choice, else defaults."""
    if is_fixed(role):
        return defaults_of(role)
    memo: dict[tuple[int, str], frozenset[Permission]] | None = (
        db.session.info.setdefault(MEMO, {}) if has_request_context() else None
    )
    if memo is not None and (community_id, role) in memo:
        return memo[(community_id, role)]
    row = db.session.scalar(
        select(RolePermissions).where(
            RolePermissions.community_id == community_id, RolePermissions.role == role
        )
    )
    found = (
        defaults_of(role)
        if row is None
        else frozenset(Permission(p) for p in row.permissions if p in _VALUES)
    )
    if memo is not None:
        memo[(community_id, role)] = found
    return found


def of_roles(community_id: int, roles: Iterable[str]) -> dict[str, frozenset[Permission]]:
    """Return every listed role's permissions in the community, in one query."""
    chosen = {
        row.role: row.permissions
        for row in db.session.scalars(
            select(RolePermissions).where(RolePermissions.community_id == community_id)
        )
    }
    return {
        role: frozenset(Permission(p) for p in chosen[role] if p in _VALUES)
        if role in chosen and not is_fixed(role)
        else defaults_of(role)
        for role in roles
    }


def posts_with(person: Person, permission: Permission, today: date) -> list[Post]:
    """Return the person's active posts whose role carries the permission."""
    return [
        post
        for post in person.active_posts(today)
        if permission in of_role(post.community_id, post.role)
    ]


def may(person: Person | None, permission: Permission, today: date) -> bool:
    """Return whether any of the person's active posts carries the permission.

    An in-service member of a partner unit volunteers without a post: the wall and claiming,
    while the unit takes part (an ended unit's members keep only what their posts give).
    """
    if person is None:
        return False
    unit = person.partner_unit
    if unit is not None and unit.ended_on is None and permission in PARTNER_MEMBER_PERMISSIONS:
        return True
    return bool(posts_with(person, permission, today))


def area_with(person: Person, permission: Permission, today: date) -> Area:
    """Return the area of the person's posts that carry the permission.

    A secretary or staff post covers its community, a grid leader's its grid, a building
    head's its building; an N member's (or a community's own role's) the grid or building it
    is placed in, and nothing when it is held community-wide (the staff share that out).
    """
    communities: set[int] = set()
    grids: set[int] = set()
    buildings: set[int] = set()
    for post in posts_with(person, permission, today):
        if post.role in (Role.SECRETARY, Role.STAFF):
            communities.add(post.community_id)
        elif post.building_id is not None:
            buildings.add(post.building_id)
        elif post.grid_id is not None:
            grids.add(post.grid_id)
    return Area(frozenset(communities), frozenset(grids), frozenset(buildings))


def parse(values: Iterable[str]) -> frozenset[Permission]:
    """Return the permissions named; an unknown name is refused with its name."""
    chosen: set[Permission] = set()
    for value in values:
        try:
            chosen.add(Permission(value.strip()))
        except ValueError:
            raise InvalidInput(_("“%(value)s” is not a permission.", value=value)) from None
    return frozenset(chosen)


def set_for_role(
    community_id: int, role: str, permissions: frozenset[Permission], *, by: Person
) -> RolePermissions:
    """Set what a role may do in the community (the secretary's choice); record it."""
    if is_fixed(role):
        raise InvalidInput(_("The secretary may always do everything."))
    row = db.session.scalar(
        select(RolePermissions).where(
            RolePermissions.community_id == community_id, RolePermissions.role == role
        )
    )
    if row is None:
        row = RolePermissions(community_id=community_id, role=role)
        db.session.add(row)
    row.permissions = sorted(p.value for p in permissions)
    db.session.flush()
    forget()
    audit.record(
        actor=by,
        community_id=community_id,
        action="role.permissions",
        subject_type="role",
        subject_id=row.id,
        detail=f"{role}: {', '.join(row.permissions) or '-'}",
    )
    return row
