"""Where people live: community, grid, building, household."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow


class Community(db.Model):  # type: ignore[name-defined]
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A short URL-safe code, e.g. "xiyuan", used in public addresses like /c/xiyuan/board.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100), default="")
    # The signature every SMS must start with (【…】), as Chinese SMS rules require.
    sms_signature: Mapped[str] = mapped_column(String(30), default="")
    # The phone number (E.164) residents text this community at, when it has one of its own:
    # a text to it belongs to this community even when nobody knows the sender.
    sms_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Which SMS provider sends this community's SMS ("twilio", "alibaba"); None: SMS_PROVIDER.
    sms_provider: Mapped[str | None] = mapped_column(String(20))
    # Non-urgent messages to residents wait out these hours (local time), deferred not dropped.
    quiet_from: Mapped[time] = mapped_column(Time, default=time(21, 0), server_default="21:00:00")
    quiet_until: Mapped[time] = mapped_column(Time, default=time(8, 0), server_default="08:00:00")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grids: Mapped[list[Grid]] = relationship(back_populates="community", order_by="Grid.number")


class Grid(db.Model):  # type: ignore[name-defined]
    __tablename__ = "grid"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))

    community: Mapped[Community] = relationship(back_populates="grids")
    buildings: Mapped[list[Building]] = relationship(
        back_populates="grid", order_by="Building.compound, Building.name"
    )


class Building(db.Model):  # type: ignore[name-defined]
    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("community_id", "compound", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept beside grid_id so area queries need no join to reach the community.
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    compound: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(50))

    grid: Mapped[Grid] = relationship(back_populates="buildings")
    households: Mapped[list[Household]] = relationship(
        back_populates="building", order_by="Household.unit, Household.floor, Household.room"
    )

    @property
    def label(self) -> str:
        return f"{self.compound} {self.name}"


class Household(db.Model):  # type: ignore[name-defined]
    __tablename__ = "household"
    __table_args__ = (
        UniqueConstraint("building_id", "unit", "room"),
        Index("ix_household_building_room", "building_id", "room"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    unit: Mapped[str] = mapped_column(String(20), default="")
    floor: Mapped[int | None]
    room: Mapped[str] = mapped_column(String(20))
    # Who to reach for residents with no phone of their own (often a son or daughter).
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    building: Mapped[Building] = relationship(back_populates="households")
    # Places sit below people (models.people imports this module, never the other way): the
    # residents are named by their mapped class's name, so rows are people.Resident at run time.
    residents: Mapped[list[Any]] = relationship(
        "Resident", back_populates="household", order_by="Resident.birth_year"
    )

    @property
    def address(self) -> str:
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.building.label} {unit}{self.room}"
