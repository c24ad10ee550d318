"""The audit trail of who viewed or changed residents' records."""

from __future__ import annotations

from models import AuditEntry, Person, db


def record(
    *,
    actor: Person | None,
    community_id: int,
    action: str,
    subject_type: str,
    subject_id: int | None,
    detail: str = "",
) -> AuditEntry:
    """Add one entry to the audit trail; the caller's transaction commits it."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        community_id=community_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail[:2000],
    )
    db.session.add(entry)
    return entry
