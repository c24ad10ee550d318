"""Keep the per-building tallies: a statement or two per write, never a recount.

Each change is an upsert that adds or takes away one (`_bump`): two writers counting the same
building at once both land, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from models import Building, BuildingCount, BuildingMonth, Household, HouseholdMonth, db


def _bump(model: Any, keys: Mapping[str, Any], column: str, delta: int) -> None:
    """Add `delta` to the row's `column`, making the row (at `delta`) if there is none."""
    if delta == 0:
        return
    target = getattr(model, column)
    values = {**keys, column: delta}
    stmt: Any
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = postgresql.insert(model).values(values)
    else:
        stmt = sqlite.insert(model).values(values)
    db.session.execute(
        stmt.on_conflict_do_update(index_elements=list(keys), set_={column: target + delta})
    )


def households_added(counts: Mapping[int, int]) -> None:
    """Count households newly living in buildings: building id -> how many."""
    for building_id, n in sorted(counts.items()):
        _bump(BuildingCount, {"building_id": building_id}, "households", n)


def household_added(household: Household) -> None:
    if household.moved_out_on is None:
        households_added({household.building_id: 1})


def first_visit_of_month(household: Household, building_id: int, month: date) -> None:
    """A household-month row was made: the household was visited for the first time this
    month. Counted only for a household living here, as the coverage page counts."""
    if household.moved_out_on is None:
        _bump(BuildingMonth, {"building_id": building_id, "month": month}, "visited", 1)


def _household_moves(household: Household, delta: int) -> None:
    _bump(BuildingCount, {"building_id": household.building_id}, "households", delta)
    months = db.session.execute(
        select(HouseholdMonth.building_id, HouseholdMonth.month).where(
            HouseholdMonth.household_id == household.id
        )
    ).all()
    for building_id, month in months:
        _bump(BuildingMonth, {"building_id": building_id, "month": month}, "visited", delta)


def household_moved_out(household: Household) -> None:
    """The household no longer counts: not as living here, nor as visited in any month."""
    _household_moves(household, -1)


def household_moved_back(household: Household) -> None:
    """A moved-out mark taken back: the household counts again, with every month visited."""
    _household_moves(household, 1)


def rebuild(community_ids: Iterable[int] | None = None) -> tuple[int, int]:
    """Count the tallies again from households and household-month rows (all communities, or
    these); return how many building and building-month rows they now hold."""
    buildings = select(Building.id)
    if community_ids is not None:
        buildings = buildings.where(Building.community_id.in_(list(community_ids)))
    in_scope = buildings.scalar_subquery()
    db.session.execute(delete(BuildingCount).where(BuildingCount.building_id.in_(in_scope)))
    db.session.execute(delete(BuildingMonth).where(BuildingMonth.building_id.in_(in_scope)))
    counted = (
        select(Household.building_id, func.count())
        .where(Household.building_id.in_(in_scope), Household.current())
        .group_by(Household.building_id)
    )
    db.session.execute(insert(BuildingCount).from_select(["building_id", "households"], counted))
    visited = (
        select(HouseholdMonth.building_id, HouseholdMonth.month, func.count())
        .join(Household, Household.id == HouseholdMonth.household_id)
        .where(HouseholdMonth.building_id.in_(in_scope), Household.current())
        .group_by(HouseholdMonth.building_id, HouseholdMonth.month)
    )
    db.session.execute(
        insert(BuildingMonth).from_select(["building_id", "month", "visited"], visited)
    )
    rows = db.session.scalar(
        select(func.count())
        .select_from(BuildingCount)
        .where(BuildingCount.building_id.in_(in_scope))
    )
    months = db.session.scalar(
        select(func.count())
        .select_from(BuildingMonth)
        .where(BuildingMonth.building_id.in_(in_scope))
    )
    return int(rows or 0), int(months or 0)
