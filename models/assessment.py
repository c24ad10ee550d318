"""Assessment (考核): weights, a period's assessment of grids and post-holders, stars, awards.

A published assessment is a frozen record: its rows keep each indicator's value and weight,
the manual score, the total, the rank and the stars as they were when it was published, so
later changes to the records it counted do not move it. Stars' history is the rows of
published assessments (a grid's or a person's stars per quarter).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow


class AssessmentStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class SubjectKind(enum.StrEnum):
    GRID = "grid"
    POST = "post"  # a post-holder: building head, grid leader, an N member


class AssessmentWeight(db.Model):  # type: ignore[name-defined]
    """One indicator's weight, set by a street's administrator (the default for its
    communities) or by a community's secretary (for that community)."""

    __tablename__ = "assessment_weight"
    __table_args__ = (
        CheckConstraint("(street_id IS NULL) <> (community_id IS NULL)", name="owner"),
        UniqueConstraint("street_id", "indicator", name="uq_assessment_weight_street"),
        UniqueConstraint("community_id", "indicator", name="uq_assessment_weight_community"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    indicator: Mapped[str] = mapped_column(String(40))
    weight: Mapped[float] = mapped_column(Float)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Assessment(db.Model):  # type: ignore[name-defined]
    """A community's assessment of one period: a quarter (1-4) or the year (quarter 0)."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("community_id", "year", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    year: Mapped[int]
    quarter: Mapped[int]  # 1-4; 0 for the year-end assessment (年度)
    status: Mapped[str] = mapped_column(String(12), default=AssessmentStatus.DRAFT)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    rows: Mapped[list[AssessmentRow]] = relationship(
        back_populates="assessment", order_by="AssessmentRow.id", cascade="all, delete-orphan"
    )

    @property
    def published(self) -> bool:
        return self.status == AssessmentStatus.PUBLISHED


class AssessmentRow(db.Model):  # type: ignore[name-defined]
    """One subject's result: a grid, or a post-holder (a post, with its person and role)."""

    __tablename__ = "assessment_row"
    __table_args__ = (
        Index("ix_assessment_row_person", "person_id"),
        Index("ix_assessment_row_grid", "grid_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    subject_kind: Mapped[str] = mapped_column(String(10))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    role: Mapped[str] = mapped_column(String(40), default="")
    # The name as it was (the grid's, the person's), so history reads as it was published.
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(100), default="")  # the post's grid or building
    computed: Mapped[float | None] = mapped_column(Float)  # weighted indicators, 0-100
    # The secretary's adjustment, -10 … +10 points, and why.
    manual: Mapped[float] = mapped_column(Float, default=0.0)
    comment: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None]  # among the same kind (grids) or the same role
    stars: Mapped[int | None]  # 1-5, for grids, building heads and N members

    assessment: Mapped[Assessment] = relationship(back_populates="rows")
    values: Mapped[list[AssessmentValue]] = relationship(
        back_populates="row", order_by="AssessmentValue.id", cascade="all, delete-orphan"
    )


class AssessmentValue(db.Model):  # type: ignore[name-defined]
    """One indicator's value for a row (None: nothing to count) and the weight it carried."""

    __tablename__ = "assessment_value"
    __table_args__ = (UniqueConstraint("row_id", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    row_id: Mapped[int] = mapped_column(ForeignKey("assessment_row.id"))
    indicator: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)

    row: Mapped[AssessmentRow] = relationship(back_populates="values")


class Award(db.Model):  # type: ignore[name-defined]
    """An award the secretary conferred (优秀楼栋长, 五星网格) on a row of a published one."""

    __tablename__ = "assessment_award"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    row_id: Mapped[int] = mapped_column(ForeignKey("assessment_row.id"))
    name: Mapped[str] = mapped_column(String(40))
    citation: Mapped[str] = mapped_column(Text, default="")
    conferred_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    conferred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    row: Mapped[AssessmentRow] = relationship()
