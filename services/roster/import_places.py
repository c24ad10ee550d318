"""The grids and buildings an import finds by name, and the missing ones it makes."""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _
from sqlalchemy import select

from models import Building, Community, Grid, Person, db
from services import audit
from services.errors import InvalidInput
from services.roster import operations as roster


def place_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


class Places:
    """The community's grids and buildings, found by name and created when a sheet names one."""

    def __init__(self, community: Community, by: Person) -> None:
        self.community = community
        self.by = by
        self.buildings: dict[tuple[str, str], Building] = {}
        for building in db.session.scalars(
            select(Building).where(Building.community_id == community.id)
        ):
            self.buildings[(place_key(building.compound), place_key(building.name))] = building
        self.grids = list(
            db.session.scalars(
                select(Grid).where(Grid.community_id == community.id).order_by(Grid.number)
            )
        )
        self.buildings_created: list[str] = []
        self.grids_created: list[str] = []

    def building(self, compound: str, name: str) -> Building | None:
        compound_key, name_key = place_key(compound), place_key(name)
        found = self.buildings.get((compound_key, name_key))
        if found is None and name_key.isdigit():
            found = self.buildings.get((compound_key, f"{name_key}号楼"))
        return found

    def grid(self, text: str) -> Grid | None:
        """Return the grid a cell names (its name, or its number); None when none does."""
        key = place_key(text)
        for grid in self.grids:
            if place_key(grid.name) == key or (key.isdigit() and grid.number == int(key)):
                return grid
        return None

    def _new_grid(self, name: str) -> Grid:
        number = max((g.number for g in self.grids), default=0) + 1
        grid = Grid(community_id=self.community.id, number=number, name=name)
        db.session.add(grid)
        db.session.flush()
        self.grids.append(grid)
        self.grids_created.append(name)
        return grid

    def add_building(self, compound: str, name: str, grid_text: str) -> Building:
        """Create a building the sheet names, in its grid; raise InvalidInput when none fits."""
        grid_name = roster.clean_text(grid_text, limit=100, what=_("Grid"))
        if grid_name:
            grid = self.grid(grid_name) or self._new_grid(grid_name)
        elif len(self.grids) == 1:
            grid = self.grids[0]
        elif not self.grids:
            grid = self._new_grid(_("Grid 1"))
        else:
            raise InvalidInput(
                _(
                    "Unknown building “%(building)s”: give its grid in a 网格 column, or add "
                    "it on the buildings page first.",
                    building=f"{compound} {name}",
                )
            )
        if name.isdigit():
            name = f"{name}号楼"  # as the bulk form names them
        building = Building(
            community_id=self.community.id, grid_id=grid.id, compound=compound, name=name
        )
        db.session.add(building)
        db.session.flush()
        self.buildings[(place_key(compound), place_key(name))] = building
        self.buildings_created.append(f"{compound} {name}")
        audit.record(
            actor=self.by,
            community_id=self.community.id,
            action="create",
            subject_type="building",
            subject_id=building.id,
            detail=f"{building.label} (import)",
        )
        return building
