"""Where people live: community, grid, building, household."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow


class Street(db.Model):  # type: ignore[name-defined]
    """A street (街道): the level above communities, whose administrators run them all."""

    __tablename__ = "street"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # URL-safe, like a community's code.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    communities: Mapped[list[Community]] = relationship(
        back_populates="street", order_by="Community.name"
    )


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
    # Hours an unclaimed work order waits, once announced again, before the grid leader and
    # secretary hear; None = the app's WORK_ORDER_ESCALATE_HOURS.
    work_order_escalate_hours: Mapped[float | None] = mapped_column(Float)
    # Hours an unclaimed wish waits before each escalation step, by category; a category
    # left out keeps the app's WISH_ESCALATION_HOURS (or its built-in default).
    wish_escalation_hours: Mapped[dict[str, float] | None] = mapped_column(JSON(none_as_null=True))
    # Days the property company has to answer a property matter; None = PROPERTY_ANSWER_DAYS.
    property_answer_days: Mapped[int | None] = mapped_column(Integer)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    street: Mapped[Street | None] = relationship(back_populates="communities")
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
    # How many units (单元) the building has, when the secretary said so; None when unknown.
    units: Mapped[int | None]

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
        # One household lives in a room at a time; those that moved out stay on record beside it.
        Index(
            "uq_household_current_room",
            "building_id",
            "unit",
            "room",
            unique=True,
            sqlite_where=text("moved_out_on IS NULL"),
            postgresql_where=text("moved_out_on IS NULL"),
        ),
        Index("ix_household_building_room", "building_id", "room"),
        # Counting households living here (coverage, the street's figures) reads the index alone;
        # those who moved out are found without a scan.
        Index("ix_household_building_moved_out", "building_id", "moved_out_on"),
        Index("ix_household_moved_out_on", "moved_out_on"),
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
    # The day the household moved out (迁出): kept with its visits and wishes for the ledgers,
    # gone from every list, figure, audience and message from then on.
    moved_out_on: Mapped[date | None]

    building: Mapped[Building] = relationship(back_populates="households")
    # Places sit below people (models.people imports this module, never the other way): the
    # residents are named by their mapped class's name, so rows are people.Resident at run time.
    residents: Mapped[list[Any]] = relationship(
        "Resident", back_populates="household", order_by="Resident.birth_year"
    )

    @classmethod
    def current(cls) -> ColumnElement[bool]:
        """Return a WHERE clause matching households still living here (not moved out)."""
        return cls.moved_out_on.is_(None)

    @property
    def address(self) -> str:
        return self.address_of(self.building.label, self.unit, self.room)

    @staticmethod
    def address_of(building_label: str, unit: str, room: str) -> str:
        """The address as `address` says it, from plain values (lists read rows, not objects)."""
        unit = f"{unit}单元" if unit else ""
        return f"{building_label} {unit}{room}"
