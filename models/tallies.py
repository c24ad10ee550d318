"""Per-building tallies the street's pages add up: households living there, and per month the
households visited.

A street's page summed 150,000 households and a month's 135,000 household-month rows on every
request; these hold the same counts per building (1,500 rows a street, 1,500 a month), kept by
the writes that change them, in the same transaction (services/tallies). `flask tallies
rebuild` counts them again from the records.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db


class BuildingCount(db.Model):  # type: ignore[name-defined]
    """How many households live in a building now (not moved out)."""

    __tablename__ = "building_count"

    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), primary_key=True)
    households: Mapped[int] = mapped_column(Integer, default=0)


class BuildingMonth(db.Model):  # type: ignore[name-defined]
    """How many households living in a building now were visited in a month.

    Counted as the coverage page counts: a household-month row of the month, by the building
    it names, of a household that has not moved out.
    """

    __tablename__ = "building_month"
    __table_args__ = (Index("ix_building_month_month", "month", "building_id", "visited"),)

    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # the first day of the month
    visited: Mapped[int] = mapped_column(Integer, default=0)
