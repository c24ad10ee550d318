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


class Permission(enum.StrEnum):
    """What a post may see or do; a role carries a set of them (least privilege by duty)."""

    SEE_HOUSEHOLDS = "see_households"  # household and resident pages, search
    EDIT_HOUSEHOLDS = "edit_households"  # add and correct residents and households
    SEE_VISIT_NOTES = "see_visit_notes"  # a household's visit history and notes
    LOG_VISITS = "log_visits"  # the visiting list and logging a visit
    SEE_COVERAGE = "see_coverage"  # the coverage page
    EXPORT = "export"  # coverage CSV / XLSX (names of contacts)
    SEE_NEEDS = "see_needs"  # the needs list
    RAISE_NEEDS = "raise_needs"  # note a need heard outside a visit
    DECIDE_NEEDS = "decide_needs"  # answer a need
    SEE_WALL = "see_wall"  # the problem wall
    CLAIM_WISHES = "claim_wishes"  # claim, hand back and fulfil wishes
    DISPATCH = "dispatch"  # work orders: create, verify, reopen, cancel
    BROADCAST = "broadcast"  # broadcasts and mobilisation
    HOLD_MEETINGS = "hold_meetings"  # call meetings, take attendance, minutes, suggestions
    MANAGE_ROSTER = "manage_roster"  # posts, roles, buildings, partner units, imports, outbox
    SEE_AUDIT = "see_audit"  # the audit trail
    # Mediation cases (矛盾调解) of one's grid: only mediators, the grid leader and the
    # secretary ever see them, whatever a community grants (services/mediation/queries.py).
    SEE_MEDIATION = "see_mediation"
    # Policy campaigns: tick the area's households told of a policy, see what is left.
    INFORM_HOUSEHOLDS = "inform_households"
    # Ledgers (台账): the community's or grid's, or one's own post's work (services/ledgers).
    SEE_LEDGERS = "see_ledgers"


P = Permission
_N_MEMBER_BASE = frozenset({P.SEE_WALL, P.CLAIM_WISHES})
# N members visit the households of their post's area each month (走访) and note needs heard
# there; they do not read other visitors' notes, the needs list or the exports.
_N_MEMBER_VISITOR = _N_MEMBER_BASE | {P.LOG_VISITS, P.RAISE_NEEDS, P.SEE_LEDGERS}
# Each role's permissions unless its community sets others. The area still bounds them: a
# grid leader's "see households" is their grid's households, a building head's their building's.
DEFAULT_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.SECRETARY: frozenset(Permission),
    # Staff keep the records but not the disputes: mediation stays with the secretary.
    Role.STAFF: frozenset(Permission) - {P.SEE_MEDIATION},
    Role.GRID_LEADER: frozenset(
        {
            P.SEE_HOUSEHOLDS,
            P.EDIT_HOUSEHOLDS,
            P.SEE_VISIT_NOTES,
            P.LOG_VISITS,
            P.SEE_COVERAGE,
            P.EXPORT,
            P.SEE_NEEDS,
            P.RAISE_NEEDS,
            P.DECIDE_NEEDS,
            P.SEE_WALL,
            P.CLAIM_WISHES,
            P.DISPATCH,
            P.BROADCAST,
            P.SEE_MEDIATION,
            P.INFORM_HOUSEHOLDS,
            P.HOLD_MEETINGS,
            P.SEE_LEDGERS,
        }
    ),
    Role.BUILDING_HEAD: frozenset(
        {
            P.SEE_HOUSEHOLDS,
            P.EDIT_HOUSEHOLDS,
            P.SEE_VISIT_NOTES,
            P.LOG_VISITS,
            P.SEE_COVERAGE,
            P.SEE_NEEDS,
            P.RAISE_NEEDS,
            P.SEE_WALL,
            P.CLAIM_WISHES,
            P.INFORM_HOUSEHOLDS,
            P.SEE_LEDGERS,
        }
    ),
    # Patrols the area and records patrols: the wall and their own work, no households.
    Role.PATROLLER: _N_MEMBER_BASE | {P.SEE_LEDGERS},
    # Listens to residents on the monthly visits and keeps the needs list current.
    Role.OBSERVER: _N_MEMBER_VISITOR | {P.SEE_NEEDS},
    # Explains policies door to door on the monthly visits.
    Role.PUBLICIST: _N_MEMBER_VISITOR | {P.INFORM_HOUSEHOLDS},
    # Takes up disputes between neighbours met on the visits.
    Role.MEDIATOR: _N_MEMBER_VISITOR | {P.SEE_MEDIATION},
    # Carries residents' needs to the property company: sees the needs list.
    Role.PROPERTY_LIAISON: _N_MEMBER_VISITOR | {P.SEE_NEEDS},
    Role.CIVILITY_ADVOCATE: _N_MEMBER_VISITOR,
}
# In-service members of a partner unit (在职党员) volunteer without a post: the wall only.
PARTNER_MEMBER_PERMISSIONS = _N_MEMBER_BASE
# A community's own roles start as visiting N members do; the secretary narrows them.
CUSTOM_ROLE_PERMISSIONS = _N_MEMBER_VISITOR
