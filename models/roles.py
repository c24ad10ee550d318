"""The roles a post can carry, and what area each one governs."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    SECRETARY = "secretary"
    STAFF = "staff"
    GRID_LEADER = "grid_leader"
    BUILDING_HEAD = "building_head"
    PATROLLER = "patroller"
    OBSERVER = "observer"
    PUBLICIST = "publicist"
    MEDIATOR = "mediator"
    PROPERTY_LIAISON = "property_liaison"
    CIVILITY_ADVOCATE = "civility_advocate"


class Scope(enum.StrEnum):
    COMMUNITY = "community"
    GRID = "grid"
    BUILDING = "building"


# Roles that look after an area of households; the rest (N members) see their own work.
AREA_ROLES = {Role.SECRETARY, Role.STAFF, Role.GRID_LEADER, Role.BUILDING_HEAD}
N_MEMBER_ROLES = {
    Role.PATROLLER,
    Role.OBSERVER,
    Role.PUBLICIST,
    Role.MEDIATOR,
    Role.PROPERTY_LIAISON,
    Role.CIVILITY_ADVOCATE,
}
# The scope each built-in role must be held at; N members may hold any scope.
REQUIRED_SCOPE = {
    Role.SECRETARY: Scope.COMMUNITY,
    Role.STAFF: Scope.COMMUNITY,
    Role.GRID_LEADER: Scope.GRID,
    Role.BUILDING_HEAD: Scope.BUILDING,
}
# Roles that keep the community's records; their sessions end after 30 idle minutes.
STAFF_ROLES = {Role.SECRETARY, Role.STAFF}
