"""Setting up the places: grids, buildings in bulk ("1-12号楼, 3 units each"), moving a building.

A secretary starting a community types a compound and a range of buildings rather than adding
them one by one; the same words are read the same way on the preview and on the creation, so
what was previewed is what is created.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from models import Building, Community, Grid, Person, Post, db
from services import audit
from services.errors import InvalidInput
from services.roster import operations as roster

MAX_BUILDINGS = 200
MAX_UNITS = 30
MAX_NUMBER = 9999
# The words a building number comes with: 3号楼, 3栋, 3幢, 3号, 3座.
SUFFIXES = ("号楼", "栋", "幢", "座", "号")
DEFAULT_SUFFIX = "号楼"
_RANGE = re.compile(r"^(\d+)\s*[-~～—至到]\s*(\d+)$")


@dataclass
class BuildingPlan:
    """What a bulk form asks for, read and checked: the names to create and the grid."""

    compound: str
    names: list[str]
    units: int | None
    grid: Grid | None  # None: a first grid is created for a community that has none
    existing: list[str] = field(default_factory=list)

    @property
    def new_names(self) -> list[str]:
        return [name for name in self.names if name not in self.existing]


def _strip_suffix(token: str) -> tuple[str, str]:
    for suffix in SUFFIXES:
        if token.endswith(suffix):
            return token[: -len(suffix)].strip(), suffix
    return token, ""


def parse_building_names(spec: str) -> list[str]:
    """Return the building names "1-12", "1-12号楼", "1,3,5-7" or "A座、B座" stand for, in order.

    Raises InvalidInput for an empty list, a reversed range or more than MAX_BUILDINGS names.
    """
    text = unicodedata.normalize("NFKC", spec or "").strip()
    if not text:
        raise InvalidInput(_("Please give the buildings, e.g. 1-12 or 1,3,5-7."))
    tokens = [t.strip() for t in re.split(r"[,，、;；\s]+", text) if t.strip()]
    # "1-12号楼" and "1号楼-12号楼": the word follows the numbers.
    _bare, common = _strip_suffix(tokens[-1])
    names: list[str] = []
    for token in tokens:
        bare, suffix = _strip_suffix(token)
        suffix = suffix or common or DEFAULT_SUFFIX
        bare = re.sub(r"\s*(号楼|栋|幢|座|号)\s*(?=[-~～—至到])", "", bare)
        found = _RANGE.match(bare)
        if found:
            first, last = int(found.group(1)), int(found.group(2))
            if first > last:
                raise InvalidInput(
                    _(
                        "The range %(first)d-%(last)d runs backwards: write %(last)d-%(first)d "
                        "the other way round, smallest first.",
                        first=first,
                        last=last,
                    )
                )
            if last - first + 1 > MAX_BUILDINGS or last > MAX_NUMBER:
                raise _too_many()
            names.extend(f"{n}{suffix}" for n in range(first, last + 1))
        elif bare.isdigit():
            if int(bare) > MAX_NUMBER:
                raise _too_many()
            names.append(f"{int(bare)}{suffix}")
        else:
            names.append(roster.clean_text(token, limit=50, what=_("Building"), required=True))
        if len(names) > MAX_BUILDINGS:
            raise _too_many()
    return list(dict.fromkeys(names))  # "1-5,3" names 3号楼 once


def _too_many() -> InvalidInput:
    return InvalidInput(
        _(
            "At most %(n)d buildings at once: split the list and add the rest after.",
            n=MAX_BUILDINGS,
        )
    )


def parse_units(text: str) -> int | None:
    """Return the units per building "3", "每栋3个单元" or "3单元" stand for; None when empty."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        return None
    digits = re.fullmatch(r"(?:每栋|每幢)?\s*(\d+)\s*(?:个)?\s*(?:单元)?", raw)
    if digits is None:
        raise InvalidInput(_("Units per building is a number, e.g. 3 or 每栋3个单元."))
    units = int(digits.group(1))
    if not 1 <= units <= MAX_UNITS:
        raise InvalidInput(_("Units per building is 1 to %(n)d.", n=MAX_UNITS))
    return units


def plan_buildings(
    community: Community, *, compound: str, spec: str, units: str, grid: Grid | None
) -> BuildingPlan:
    """Read the bulk form into a plan and say which of its buildings already exist."""
    compound = roster.clean_text(compound, limit=100, what=_("Compound"), required=True)
    names = parse_building_names(spec)
    unit_count = parse_units(units)
    if grid is not None and grid.community_id != community.id:
        raise InvalidInput(_("That grid is not in this community."))
    if grid is None:
        grids = list(db.session.scalars(select(Grid).where(Grid.community_id == community.id)))
        if len(grids) == 1:
            grid = grids[0]
        elif grids:
            raise InvalidInput(_("Please choose a grid."))
    existing = set(
        db.session.scalars(
            select(Building.name).where(
                Building.community_id == community.id,
                Building.compound == compound,
                Building.name.in_(names),
            )
        )
    )
    return BuildingPlan(
        compound=compound,
        names=names,
        units=unit_count,
        grid=grid,
        existing=[name for name in names if name in existing],
    )


def create_buildings(community: Community, plan: BuildingPlan, *, by: Person) -> list[Building]:
    """Create the plan's buildings that do not exist yet; existing ones are left as they are."""
    grid = plan.grid or add_grid(community, name=_("Grid 1"), by=by)
    created: list[Building] = []
    for name in plan.new_names:
        building = Building(
            community_id=community.id,
            grid_id=grid.id,
            compound=plan.compound,
            name=name,
            units=plan.units,
        )
        db.session.add(building)
        created.append(building)
    db.session.flush()
    if created:
        audit.record(
            actor=by,
            community_id=community.id,
            action="create",
            subject_type="building",
            subject_id=created[0].id if len(created) == 1 else None,
            detail=f"{plan.compound} {len(created)}: {', '.join(b.name for b in created)}"[:500],
        )
    return created


def add_grid(community: Community, *, name: str, by: Person) -> Grid:
    """Add a grid numbered after the community's last one; names are unique in a community."""
    name = roster.clean_text(name, limit=100, what=_("Grid"), required=True)
    exists = db.session.scalar(
        select(Grid.id).where(Grid.community_id == community.id, Grid.name == name)
    )
    if exists:
        raise InvalidInput(_("%(name)s already exists.", name=name))
    number = (
        db.session.scalar(select(func.max(Grid.number)).where(Grid.community_id == community.id))
        or 0
    ) + 1
    grid = Grid(community_id=community.id, number=number, name=name)
    db.session.add(grid)
    db.session.flush()
    audit.record(
        actor=by,
        community_id=community.id,
        action="create",
        subject_type="grid",
        subject_id=grid.id,
        detail=name,
    )
    return grid


def move_building(building: Building, grid: Grid, *, by: Person) -> Grid:
    """Put a building in another grid of its community; return the grid it left.

    Its households follow (they belong to the building). Posts held over the building stay with
    it and now count in the new grid; visits already made keep the grid they were made in.
    """
    if grid.community_id != building.community_id:
        raise InvalidInput(_("That grid is not in this community."))
    old = building.grid
    if grid.id == old.id:
        raise InvalidInput(
            _("%(building)s is already in %(grid)s.", building=building.label, grid=grid.name)
        )
    building.grid_id = grid.id
    db.session.execute(
        update(Post).where(Post.building_id == building.id).values(grid_id=grid.id),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.flush()
    db.session.refresh(building)
    audit.record(
        actor=by,
        community_id=building.community_id,
        action="building.move",
        subject_type="building",
        subject_id=building.id,
        detail=f"{old.name} → {grid.name}",
    )
    return old
