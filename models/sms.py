"""Mainland SMS providers: each community's approved templates, and a provider on hold.

Alibaba Cloud (and Tencent Cloud) send only a template approved beforehand, under an approved
sign name: a message kind reaches a mainland phone only once the community's staff have
recorded the code the provider gave its template.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class SmsTemplate(db.Model):  # type: ignore[name-defined]
    """The code a provider approved for one message kind of one community."""

    __tablename__ = "sms_template"
    __table_args__ = (UniqueConstraint("community_id", "provider", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    provider: Mapped[str] = mapped_column(String(20))  # "alibaba", "tencent"
    kind: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))  # e.g. SMS_123456789
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SmsProviderHold(db.Model):  # type: ignore[name-defined]
    """Sending through a provider stopped for a community (its balance is empty).

    Deliveries wait (deferred) until `until`, when one batch tries again; a send that goes
    through removes the hold. Staff are told once per hold (`alerted_at`).
    """

    __tablename__ = "sms_provider_hold"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(60))  # the provider's code, as delivery.error_code
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
