"""The grid's work group (网格工作群): its WeCom group robot, where group messages go."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class GridRobot(db.Model):  # type: ignore[name-defined]
    """A grid's WeCom group robot. The webhook address is a secret: whoever holds it may post
    to the group, so pages show only its last four characters and the audit only those."""

    __tablename__ = "grid_robot"

    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    webhook_url: Mapped[str] = mapped_column(String(300))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    @property
    def last4(self) -> str:
        return self.webhook_url[-4:]
