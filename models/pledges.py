"""Public pledges and residents' ratings of them (双诺双评), and grids' rectification (整改).

A post-holder writes their pledges (承诺) for a year or a quarter; the secretary approves them
and the notice board shows them. Once a quarter residents rate their building head's and grid
leader's pledges 1-5 (评诺): one row per household and post and quarter, made when the round
opens and filled when the household answers. A grid whose residents' satisfaction falls below
the threshold gets a rectification plan: actions with a holder and a deadline, a re-check.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.people import Person, Post
from models.places import Grid, Household


class PledgeStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # written by the post-holder, waiting for the secretary
    APPROVED = "approved"  # on the notice board


class PledgePeriod(enum.StrEnum):
    YEAR = "year"
    QUARTER = "quarter"


class Pledge(db.Model):  # type: ignore[name-defined]
    """A post-holder's pledges for a year or a quarter: a few lines of text."""

    __tablename__ = "pledge"
    __table_args__ = (
        UniqueConstraint("post_id", "period", "starts_on"),
        Index("ix_pledge_community_starts", "community_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    period: Mapped[str] = mapped_column(String(10), default=PledgePeriod.YEAR)
    starts_on: Mapped[date]
    ends_on: Mapped[date]  # the first day after the period
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=PledgeStatus.SUBMITTED)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    post: Mapped[Post] = relationship()

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.text.splitlines() if line.strip()]


class PledgeRound(db.Model):  # type: ignore[name-defined]
    """A community's rating of one quarter's pledges: opened once, open until closes_on."""

    __tablename__ = "pledge_round"
    __table_args__ = (UniqueConstraint("community_id", "quarter_first"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    quarter_first: Mapped[date]  # the first day of the quarter rated
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    closes_on: Mapped[date]  # the first day no rating is taken


class PledgeRating(db.Model):  # type: ignore[name-defined]
    """One household's rating of one post's pledges in a round (value None: not yet rated).

    A household is the rater: the invitation goes to its contact phone, and each of its
    residents who signs in sees the same card. A second answer replaces the first.
    """

    __tablename__ = "pledge_rating"
    __table_args__ = (
        UniqueConstraint("round_id", "post_id", "household_id"),
        Index("ix_pledge_rating_community_grid", "community_id", "grid_id"),
        Index("ix_pledge_rating_phone_asked", "asked_phone", "asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pledge_round.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    # The phone the SMS question went to (so a bare digit from it is matched) and when.
    asked_phone: Mapped[str | None] = mapped_column(String(20))
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    value: Mapped[int | None]
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rated_via: Mapped[str] = mapped_column(String(20), default="")
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    round: Mapped[PledgeRound] = relationship()
    post: Mapped[Post] = relationship()
    household: Mapped[Household] = relationship()


class PledgeEvent(db.Model):  # type: ignore[name-defined]
    """What happened to pledges and ratings: written, approved, round opened, asked, rated."""

    __tablename__ = "pledge_event"
    __table_args__ = (Index("ix_pledge_event_community_at", "community_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledge.id"))
    rating_id: Mapped[int | None] = mapped_column(ForeignKey("pledge_rating.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # written, approved, round_opened, asked, rated, rerated
    action: Mapped[str] = mapped_column(String(30))
    via: Mapped[str] = mapped_column(String(20), default="app")
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PlanStatus(enum.StrEnum):
    OPEN = "open"  # actions under way, the re-check to come
    PASSED = "passed"
    NOT_PASSED = "not_passed"


class RectificationPlan(db.Model):  # type: ignore[name-defined]
    """A grid's rectification plan (整改) after a quarter of low satisfaction."""

    __tablename__ = "rectification_plan"
    __table_args__ = (
        UniqueConstraint("grid_id", "quarter_first"),
        Index("ix_rectification_plan_community_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    quarter_first: Mapped[date]  # the quarter whose satisfaction was low
    # The figures the plan was opened on, kept as they were.
    satisfaction: Mapped[float]
    ratings: Mapped[int]
    recheck_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.OPEN)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recheck_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result_comment: Mapped[str] = mapped_column(Text, default="")
    result_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    grid: Mapped[Grid] = relationship()
    actions: Mapped[list[RectificationAction]] = relationship(
        back_populates="plan", order_by="RectificationAction.id"
    )


class RectificationAction(db.Model):  # type: ignore[name-defined]
    """One line of a plan: what is to be done, by whom, by when; done with a note."""

    __tablename__ = "rectification_action"
    __table_args__ = (Index("ix_rectification_action_due", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("rectification_plan.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    holder_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    due_on: Mapped[date]
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    done_note: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[RectificationPlan] = relationship(back_populates="actions")
    holder: Mapped[Person] = relationship(foreign_keys=[holder_id])


class RectificationEvent(db.Model):  # type: ignore[name-defined]
    """What happened to a plan: opened, action_done, reminded, recheck_due, rechecked."""

    __tablename__ = "rectification_event"
    __table_args__ = (Index("ix_rectification_event_community_at", "community_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("rectification_plan.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_action.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
