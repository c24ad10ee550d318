"""Sign-in codes, server-side sessions and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.people import Person


class SignInCode(db.Model):  # type: ignore[name-defined]
    """One code sent (or, for an unknown phone, pretended to be sent) to a phone."""

    __tablename__ = "sign_in_code"
    __table_args__ = (Index("ix_sign_in_code_phone_created", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_ip: Mapped[str] = mapped_column(String(45), default="")


class UserSession(db.Model):  # type: ignore[name-defined]
    """A signed-in browser; the cookie holds only a random token whose hash is kept here."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    person: Mapped[Person] = relationship()


class AuditEntry(db.Model):  # type: ignore[name-defined]
    """Who viewed or changed a resident's record, and when."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_community_at", "community_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # "view", "create", "update", "import", "post.assign", ...
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="")
    # The post the actor acted under (None for a resident at home), and its role then.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    role: Mapped[str] = mapped_column(String(40), default="")
    # Every record a read showed, as " resident:12 household:3 " (spaces at both ends, so a
    # filter can match " resident:12 " exactly); "" for changes, which name subject_id.
    records: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[Person | None] = relationship()


class DevInboxMessage(db.Model):  # type: ignore[name-defined]
    """What a phone would have received while no SMS provider is configured."""

    __tablename__ = "dev_inbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    # The provider that would have carried it and the template code it would have used.
    provider: Mapped[str] = mapped_column(String(20), default="", server_default="")
    template: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
