"""The secretary's audit page: the community's trail narrowed by filters, and its exports.

Recording reads and writes is services/audit.py; this reads back what it wrote.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.orm import selectinload

from models import AuditEntry, Building, Household, Person, Resident, clock, db
from services import exports

# At most this many entries in one export (the filters narrow it further).
EXPORT_LIMIT = 20000


@dataclass(frozen=True)
class Filters:
    """What the secretary's audit page narrows the trail to."""

    person: str = ""  # part of the actor's name or phone
    resident: str = ""  # a resident's id, or part of their name
    since: date | None = None
    until: date | None = None  # inclusive


def _resident_clause(community_id: int, resident: str) -> object:
    text = resident.strip()
    found = select(Resident.id, Resident.household_id).join(Household).join(Building)
    found = found.where(Building.community_id == community_id)
    if text.isdigit():
        found = found.where(Resident.id == int(text))
    else:
        found = found.where(Resident.name.contains(text)).limit(50)
    rows = db.session.execute(found).all()
    if not rows:
        return false()
    clauses = []
    for resident_id, household_id in rows:
        clauses.append(AuditEntry.records.contains(f" resident:{resident_id} "))
        # A household's page shows everyone living there; older entries name only the record.
        clauses.append(AuditEntry.records.contains(f" household:{household_id} "))
        clauses.append(
            and_(AuditEntry.subject_type == "resident", AuditEntry.subject_id == resident_id)
        )
        clauses.append(
            and_(AuditEntry.subject_type == "household", AuditEntry.subject_id == household_id)
        )
    return or_(*clauses)


def _narrow(query: Any, community_id: int, filters: Filters) -> Any:
    # Any select of entries: whole ones (matching) or some of their columns (page_rows).
    query = query.where(AuditEntry.community_id == community_id)
    if filters.person.strip():
        text = filters.person.strip()
        query = query.where(
            AuditEntry.actor_id.in_(
                select(Person.id).where(
                    or_(Person.name.contains(text), Person.phone.contains(text))
                )
            )
        )
    if filters.resident.strip():
        query = query.where(_resident_clause(community_id, filters.resident))
    if filters.since is not None:
        query = query.where(AuditEntry.at >= clock.at(filters.since, time.min))
    if filters.until is not None:
        query = query.where(AuditEntry.at < clock.at(filters.until + timedelta(days=1), time.min))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def matching(community_id: int, filters: Filters) -> Select[AuditEntry]:
    """The community's entries the filters keep, newest first."""
    query: Select[AuditEntry] = _narrow(
        select(AuditEntry).options(selectinload(AuditEntry.actor)), community_id, filters
    )
    return query


# What the audit page shows of an entry, with the actor's name (`actor_name`).
ROW_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.community_id,
    AuditEntry.role,
    AuditEntry.post_id,
    AuditEntry.action,
    AuditEntry.subject_type,
    AuditEntry.subject_id,
    AuditEntry.records,
    AuditEntry.detail,
    Person.name.label("actor_name"),
)


def page_rows(community_id: int, filters: Filters, *, offset: int, limit: int) -> list[Any]:
    """A page of `matching` as plain rows of ROW_COLUMNS: the page shows 50 of them on every
    request, and ORM entries with their actors loaded cost more than the rest of the page."""
    query = select(*ROW_COLUMNS).select_from(AuditEntry)
    query = query.outerjoin(Person, AuditEntry.actor_id == Person.id)
    query = _narrow(query, community_id, filters).offset(offset).limit(limit)
    return list(db.session.execute(query))


def rows(entries: Iterable[AuditEntry], headers: list[str]) -> list[list[exports.Cell]]:
    """The entries as spreadsheet rows, under the headers given (already translated)."""
    out: list[list[exports.Cell]] = [list(headers)]
    for e in entries:
        out.append(
            [
                clock.local(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor.name if e.actor else "",
                e.role,
                e.post_id,
                e.action,
                f"{e.subject_type} {e.subject_id}" if e.subject_id else e.subject_type,
                e.records.strip(),
                e.detail,
            ]
        )
    return out


def export_csv(entries: Iterable[AuditEntry], headers: list[str]) -> bytes:
    return exports.csv_bytes(rows(entries, headers))


def export_xlsx(entries: Iterable[AuditEntry], headers: list[str], title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for row in rows(entries, headers):
        exports.append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
