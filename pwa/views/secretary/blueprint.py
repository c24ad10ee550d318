"""The staff's blueprint (/secretary) and the community and grid a request names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

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
    return _chosen(Grid, community, grid_id, lambda: _("That grid is not in this community."))


def building_in(community: Community, building_id: int | None) -> Building | None:
    """Return the community's building with this id, or None when none was chosen."""
    return _chosen(
        Building, community, building_id, lambda: _("That building is not in this community.")
    )


Place = TypeVar("Place", Grid, Building)


def _chosen(
    model: type[Place], community: Community, chosen: int | None, refusal: Callable[[], str]
) -> Place | None:
    if chosen is None:
        return None
    found = db.session.scalar(
        select(model).where(model.id == chosen, model.community_id == community.id)
    )
    if found is None:
        raise InvalidInput(refusal())
    return found
