"""Residents, the people who sign in or are messaged, their posts and partner units."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.roles import AREA_ROLES, Role

if TYPE_CHECKING:
    from models.places import Building, Community, Grid, Household, Street


class Resident(db.Model):  # type: ignore[name-defined]
    __tablename__ = "resident"
    __table_args__ = (UniqueConstraint("household_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    birth_year: Mapped[int | None]
    # E.164; None when the resident has no phone of their own.
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    lives_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    has_smartphone: Mapped[bool] = mapped_column(Boolean, default=False)
    # Free-form care flags, e.g. ["disabled", "chronic_illness"], kept as a list.
    care_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    # The day the resident died (已故): the record stays for the ledgers, out of every list and
    # message from then on.
    deceased_on: Mapped[date | None]
    # The ID-card number is never stored: its keyed hash (HMAC-SHA256 with SECRET_KEY) finds
    # the resident again on a re-import, and its last four characters are what a page shows.
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_last4: Mapped[str] = mapped_column(String(4), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    household: Mapped[Household] = relationship(back_populates="residents")
    person: Mapped[Person | None] = relationship(back_populates="residents")

    @classmethod
    def living(cls) -> ColumnElement[bool]:
        """Return a WHERE clause matching residents not marked deceased (join Household too)."""
        return cls.deceased_on.is_(None)

    @property
    def gone(self) -> bool:
        """Whether the resident died or their household moved out: no list, no message."""
        return self.deceased_on is not None or self.household.moved_out_on is not None

    def age(self, today: date) -> int | None:
        return today.year - self.birth_year if self.birth_year else None


class PartnerUnit(db.Model):  # type: ignore[name-defined]
    __tablename__ = "partner_unit"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(50), default="")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    # The first day the unit no longer takes part: kept for the ledgers, out of active lists.
    ended_on: Mapped[date | None]

    members: Mapped[list[Person]] = relationship(back_populates="partner_unit")

    @classmethod
    def taking_part(cls) -> ColumnElement[bool]:
        """Return a WHERE clause matching units not ended (ended_on is set only to today)."""
        return cls.ended_on.is_(None)


class Person(db.Model):  # type: ignore[name-defined]
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    language: Mapped[str] = mapped_column(String(10), default="zh")
    partner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("partner_unit.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    partner_unit: Mapped[PartnerUnit | None] = relationship(back_populates="members")
    posts: Mapped[list[Post]] = relationship(back_populates="person", order_by="Post.id")
    residents: Mapped[list[Resident]] = relationship(back_populates="person")
    administrator_grants: Mapped[list[Administrator]] = relationship(
        back_populates="person", order_by="Administrator.id", foreign_keys="Administrator.person_id"
    )

    def active_posts(self, today: date) -> list[Post]:
        return [p for p in self.posts if p.is_active(today)]

    def holds_area_post(self, today: date) -> bool:
        return any(p.role in AREA_ROLES for p in self.active_posts(today))


class CustomRole(db.Model):  # type: ignore[name-defined]
    """A post a community defines for itself beyond the six named ones (因需设岗)."""

    __tablename__ = "custom_role"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(50))
    duties: Mapped[str] = mapped_column(Text, default="")


class RolePermissions(db.Model):  # type: ignore[name-defined]
    """A community's own choice of what a role may see or do, instead of its defaults."""

    __tablename__ = "role_permissions"
    __table_args__ = (UniqueConstraint("community_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    # Permission values, sorted.
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)


class Post(db.Model):  # type: ignore[name-defined]
    """A person holding a role over a scope, with written duties (定格、定岗、定责)."""

    __tablename__ = "post"
    __table_args__ = (Index("ix_post_scope", "community_id", "grid_id", "building_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # A built-in Role value or the code of one of the community's CustomRoles.
    role: Mapped[str] = mapped_column(String(40), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    duties: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]

    person: Mapped[Person] = relationship(back_populates="posts")
    community: Mapped[Community] = relationship()
    grid: Mapped[Grid | None] = relationship()
    building: Mapped[Building | None] = relationship()

    def is_active(self, today: date) -> bool:
        # ends_on is the first day without the post, so "end today" takes effect at once.
        return self.starts_on <= today and (self.ends_on is None or self.ends_on > today)

    @classmethod
    def active_on(cls, today: date) -> ColumnElement[bool]:
        """Return a WHERE clause matching posts held on `today` (the SQL twin of is_active)."""
        return and_(cls.starts_on <= today, or_(cls.ends_on.is_(None), cls.ends_on > today))

    @property
    def scope(self) -> str:
        if self.building_id is not None:
            return "building"
        if self.grid_id is not None:
            return "grid"
        return "community"

    @property
    def builtin_role(self) -> Role | None:
        try:
            return Role(self.role)
        except ValueError:
            return None


class Administrator(db.Model):  # type: ignore[name-defined]
    """A grant to administer a street (every community in it) or one community.

    Not a Post: a post is held inside a community and brings an area of households and the
    permissions of a role; an administrator sets communities up and sees none of their
    residents. See docs/areas.md "Administrators".
    """

    __tablename__ = "administrator"
    __table_args__ = (
        CheckConstraint(
            "(street_id IS NULL) <> (community_id IS NULL)", name="street_or_community"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None when granted from the command line (whoever runs it holds the server).
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # The first day without the grant, as Post.ends_on.
    ended_on: Mapped[date | None]

    person: Mapped[Person] = relationship(
        back_populates="administrator_grants", foreign_keys=[person_id]
    )
    street: Mapped[Street | None] = relationship()
    community: Mapped[Community | None] = relationship()

    def is_active(self, today: date) -> bool:
        return self.ended_on is None or self.ended_on > today

    @classmethod
    def active_on(cls, today: date) -> ColumnElement[bool]:
        """Return a WHERE clause matching grants held on `today` (the twin of is_active)."""
        return or_(cls.ended_on.is_(None), cls.ended_on > today)
