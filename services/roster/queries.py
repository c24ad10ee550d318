"""Figures at a glance for an area: households, residents, the elderly, who has no phone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from models import Building, Grid, Household, Post, Resident, db
from models.roles import Role

ELDERLY_AGE = 70


@dataclass
class Figures:
    households: int = 0
    residents: int = 0
    elderly: int = 0
    lives_alone: int = 0
    no_phone: int = 0
    no_smartphone: int = 0


def figures_by(
    key: InstrumentedAttribute[int], building_filter: ColumnElement[bool], today: date
) -> dict[int, Figures]:
    """Return Figures per value of `key` (Building.id or Building.grid_id) for buildings matched."""
    born_before = today.year - ELDERLY_AGE
    resident_rows = db.session.execute(
        select(
            key,
            func.count(Resident.id),
            func.sum(case((Resident.birth_year <= born_before, 1), else_=0).cast(Integer)),
            func.sum(case((Resident.lives_alone.is_(True), 1), else_=0).cast(Integer)),
            func.sum(case((Resident.phone.is_(None), 1), else_=0).cast(Integer)),
            func.sum(case((Resident.has_smartphone.is_(False), 1), else_=0).cast(Integer)),
        )
        .select_from(Resident)
        .join(Household)
        .join(Building)
        .where(building_filter, Household.current(), Resident.living())
        .group_by(key)
    ).all()
    household_rows = db.session.execute(
        select(key, func.count(Household.id))
        .select_from(Household)
        .join(Building)
        .where(building_filter, Household.current())
        .group_by(key)
    ).all()
    result: dict[int, Figures] = {}
    for k, households in household_rows:
        result.setdefault(k, Figures()).households = households
    for k, residents, elderly, alone, no_phone, no_smart in resident_rows:
        f = result.setdefault(k, Figures())
        f.residents = residents
        f.elderly = elderly or 0
        f.lives_alone = alone or 0
        f.no_phone = no_phone or 0
        f.no_smartphone = no_smart or 0
    return result


def total(figures: dict[int, Figures]) -> Figures:
    out = Figures()
    for f in figures.values():
        out.households += f.households
        out.residents += f.residents
        out.elderly += f.elderly
        out.lives_alone += f.lives_alone
        out.no_phone += f.no_phone
        out.no_smartphone += f.no_smartphone
    return out


def posts_by_role(community_id: int, today: date) -> dict[str, int]:
    """Return how many people hold each role in the community today."""
    rows = db.session.execute(
        select(Post.role, func.count(Post.id))
        .where(
            Post.community_id == community_id,
            Post.active_on(today),
        )
        .group_by(Post.role)
    ).all()
    return {role: count for role, count in rows}


def grids_of(community_id: int) -> list[Grid]:
    return list(
        db.session.scalars(
            select(Grid).where(Grid.community_id == community_id).order_by(Grid.number)
        )
    )


__all__ = ["ELDERLY_AGE", "Figures", "Role", "figures_by", "grids_of", "posts_by_role", "total"]
