"""The staff's blueprint (/secretary) and the community and grid a request names."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_babel import gettext as _
from sqlalchemy import select

from models import Building, Community, Grid, db
from pwa import auth
from services.errors import InvalidInput

bp = Blueprint("secretary", __name__, url_prefix="/secretary")
bp.before_request(auth.require_staff)


def current_community() -> Community:
    """Return the community the staff member runs (the first, when they run several)."""
    ids = sorted(auth.current_area().community_ids)
    wanted = request.values.get("community", type=int)
    if wanted is not None:
        if wanted not in ids:
            abort(404)
        ids = [wanted]
    community = db.session.get(Community, ids[0])
    if community is None:
        abort(404)
    return community


def grid_in(community: Community, grid_id: int | None) -> Grid | None:
    """Return the community's grid with this id, or None when none was chosen."""
    if grid_id is None:
        return None
    grid = db.session.scalar(
        select(Grid).where(Grid.id == grid_id, Grid.community_id == community.id)
    )
    if grid is None:
        raise InvalidInput(_("That grid is not in this community."))
    return grid


def building_in(community: Community, building_id: int | None) -> Building | None:
    """Return the community's building with this id, or None when none was chosen."""
    if building_id is None:
        return None
    building = db.session.scalar(
        select(Building).where(Building.id == building_id, Building.community_id == community.id)
    )
    if building is None:
        raise InvalidInput(_("That building is not in this community."))
    return building
