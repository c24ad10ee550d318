"""Posts: assigning a person a role over a scope with duties, and ending it (定格、定岗、定责)."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import Building, CustomRole, Grid, Person, Post, db
from models.roles import N_MEMBER_ROLES, REQUIRED_SCOPE, Role, Scope
from services import audit, phones
from services.errors import InvalidInput

ROLE_NAMES = {
    Role.SECRETARY: _l("Secretary"),
    Role.STAFF: _l("Community staff"),
    Role.GRID_LEADER: _l("Grid leader"),
    Role.BUILDING_HEAD: _l("Building head"),
    Role.PATROLLER: _l("Patroller"),
    Role.OBSERVER: _l("Observer"),
    Role.PUBLICIST: _l("Policy publicist"),
    Role.MEDIATOR: _l("Mediator"),
    Role.PROPERTY_LIAISON: _l("Property liaison"),
    Role.CIVILITY_ADVOCATE: _l("Civility advocate"),
}
DEFAULT_DUTIES = {
    Role.PATROLLER: _l("Patrol the assigned area at the assigned hours and record each patrol."),
    Role.OBSERVER: _l("Listen to residents, keep the needs list current, report problems."),
    Role.PUBLICIST: _l("Explain policies: medical-insurance review, old-age subsidy, laws."),
    Role.MEDIATOR: _l("Take up disputes between neighbours early and record the outcome."),
    Role.PROPERTY_LIAISON: _l("Carry residents' needs to the property-management company."),
    Role.CIVILITY_ADVOCATE: _l("Promote family virtues and civic habits."),
    Role.GRID_LEADER: _l("Lead the grid party group; visit households and answer their needs."),
    Role.BUILDING_HEAD: _l("Visit every household of the building each month and note needs."),
}
MAX_DUTIES = 2000
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def role_name(role: str, community_id: int | None = None) -> str:
    """Return the name people read for a built-in or a community's own role."""
    try:
        return str(ROLE_NAMES[Role(role)])
    except ValueError:
        pass
    if community_id is not None:
        custom = db.session.scalar(
            select(CustomRole).where(
                CustomRole.community_id == community_id, CustomRole.code == role
            )
        )
        if custom is not None:
            return custom.name
    return role


def roles_for(community_id: int) -> list[tuple[str, str]]:
    """Return (code, name) of every role a post in this community can take."""
    builtin = [(r.value, str(ROLE_NAMES[r])) for r in Role]
    custom = db.session.scalars(
        select(CustomRole).where(CustomRole.community_id == community_id).order_by(CustomRole.name)
    ).all()
    return builtin + [(c.code, c.name) for c in custom]


def define_role(community_id: int, *, code: str, name: str, duties: str, by: Person) -> CustomRole:
    """Add a post the community defines itself (因需设岗)."""
    code = code.strip().lower()
    name = name.strip()
    if not CODE_RE.match(code):
        raise InvalidInput(
            _("A role code is 2–40 lowercase letters, digits or _ and starts with a letter.")
        )
    if code in {r.value for r in Role}:
        raise InvalidInput(_("“%(code)s” is already a built-in role.", code=code))
    if not name or len(name) > 50:
        raise InvalidInput(_("A role needs a name of at most 50 characters."))
    exists = db.session.scalar(
        select(CustomRole.id).where(
            CustomRole.community_id == community_id, CustomRole.code == code
        )
    )
    if exists:
        raise InvalidInput(_("This community already has a role “%(code)s”.", code=code))
    role = CustomRole(community_id=community_id, code=code, name=name, duties=duties[:MAX_DUTIES])
    db.session.add(role)
    db.session.flush()
    audit.record(
        actor=by,
        community_id=community_id,
        action="role.define",
        subject_type="custom_role",
        subject_id=role.id,
        detail=f"{code} {name}",
    )
    return role


def find_or_add_person(name: str, raw_phone: str) -> Person:
    """Return the person with this phone, or add one; a name is required for a new person."""
    phone = phones.normalize(raw_phone)
    person = db.session.scalar(select(Person).where(Person.phone == phone))
    if person is not None:
        return person
    name = name.strip()
    if not name:
        raise InvalidInput(_("Please give the person's name."))
    if len(name) > 50:
        raise InvalidInput(_("A name is at most 50 characters."))
    person = Person(name=name, phone=phone)
    db.session.add(person)
    db.session.flush()
    return person


def _checked(
    community_id: int, role: str, grid: Grid | None, building: Building | None, duties: str
) -> tuple[Grid | None, str]:
    """Check a role over a scope with duties; return the grid (a building's own) and duties."""
    valid = {code for code, _name in roles_for(community_id)}
    if role not in valid:
        raise InvalidInput(_("Unknown role “%(role)s”.", role=role))
    if grid is not None and grid.community_id != community_id:
        raise InvalidInput(_("That grid is not in this community."))
    if building is not None and building.community_id != community_id:
        raise InvalidInput(_("That building is not in this community."))
    if building is not None and grid is not None and building.grid_id != grid.id:
        raise InvalidInput(_("That building is not in that grid."))
    if building is not None and grid is None:
        grid = db.session.get(Grid, building.grid_id)
    scope = Scope.BUILDING if building else Scope.GRID if grid else Scope.COMMUNITY
    try:
        required = REQUIRED_SCOPE.get(Role(role))
    except ValueError:
        required = None
    if required is Scope.COMMUNITY and scope is not Scope.COMMUNITY:
        raise InvalidInput(_("This role is held for the whole community: choose no grid."))
    if required is Scope.GRID and scope is not Scope.GRID:
        raise InvalidInput(_("A grid leader needs a grid (and no building)."))
    if required is Scope.BUILDING and scope is not Scope.BUILDING:
        raise InvalidInput(_("A building head needs a building."))
    if len(duties) > MAX_DUTIES:
        raise InvalidInput(_("Duties are at most %(n)d characters.", n=MAX_DUTIES))
    duties = duties.strip()
    if not duties:
        try:
            duties = str(DEFAULT_DUTIES.get(Role(role), ""))
        except ValueError:
            custom = db.session.scalar(
                select(CustomRole).where(
                    CustomRole.community_id == community_id, CustomRole.code == role
                )
            )
            duties = custom.duties if custom else ""
    return grid, duties


def assign(
    person: Person,
    *,
    community_id: int,
    role: str,
    grid: Grid | None,
    building: Building | None,
    duties: str,
    starts_on: date,
    by: Person,
) -> Post:
    """Give the person a post; built-in roles must be held at their scope (a head per building)."""
    grid, duties = _checked(community_id, role, grid, building, duties)
    same = db.session.scalar(
        select(Post.id).where(
            Post.person_id == person.id,
            Post.role == role,
            Post.community_id == community_id,
            Post.grid_id == grid.id if grid else Post.grid_id.is_(None),
            Post.building_id == building.id if building else Post.building_id.is_(None),
            (Post.ends_on.is_(None)) | (Post.ends_on > starts_on),
        )
    )
    if same:
        raise InvalidInput(_("%(name)s already holds this post.", name=person.name))
    post = Post(
        person_id=person.id,
        role=role,
        community_id=community_id,
        grid_id=grid.id if grid else None,
        building_id=building.id if building else None,
        duties=duties,
        starts_on=starts_on,
    )
    db.session.add(post)
    db.session.flush()
    audit.record(
        actor=by,
        community_id=community_id,
        action="post.assign",
        subject_type="post",
        subject_id=post.id,
        detail=f"{person.name} {role}",
    )
    return post


def end(post: Post, *, on: date, by: Person) -> Post:
    """End a post on a date (today by default); the record stays for the ledgers."""
    if post.ends_on is not None and post.ends_on <= on:
        raise InvalidInput(_("This post has already ended."))
    if on < post.starts_on:
        raise InvalidInput(_("A post cannot end before it starts."))
    post.ends_on = on
    db.session.flush()
    audit.record(
        actor=by,
        community_id=post.community_id,
        action="post.end",
        subject_type="post",
        subject_id=post.id,
        detail=f"{post.person.name} {post.role}",
    )
    return post


def is_n_member_role(role: str) -> bool:
    try:
        return Role(role) in N_MEMBER_ROLES
    except ValueError:
        return True


def update(
    post: Post,
    *,
    role: str,
    grid: Grid | None,
    building: Building | None,
    duties: str,
    today: date,
    by: Person,
) -> list[str]:
    """Change a post's role, area or duties; return what changed (audited)."""
    if post.ends_on is not None and post.ends_on <= today:
        raise InvalidInput(_("This post has ended: assign a new one instead."))
    grid, duties = _checked(post.community_id, role, grid, building, duties)
    changed = []
    for name, value in (
        ("role", role),
        ("grid_id", grid.id if grid else None),
        ("building_id", building.id if building else None),
        ("duties", duties),
    ):
        if getattr(post, name) != value:
            setattr(post, name, value)
            changed.append(name)
    db.session.flush()
    if changed:
        db.session.refresh(post)
        audit.record(
            actor=by,
            community_id=post.community_id,
            action="post.update",
            subject_type="post",
            subject_id=post.id,
            detail=f"{post.person.name} {', '.join(changed)}",
        )
    return changed
