"""Reads of personal data, noted while a page is built and written once it is answered.

A view that shows residents, households or phones calls `note(...)` once it knows what it
shows. The reads are collected on `flask.g` and written by `after_request`, after the page's
own (read) transaction and in a short write transaction of their own
(`services.audit.write_reads`): a page never answers 5xx because of auditing, and a GET never
writes inside its read transaction. What cannot be written at once (the database busy with
other writers for more than WRITE_WAIT_MS, or failing) is spooled and written later by the
"audit-spool" job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy import select

from models import Building, Household, Resident, db, utcnow
from pwa import auth, figures_cache
from services import audit

log = logging.getLogger(__name__)

# How long a page waits for SQLite's write lock to record its reads before spooling them.
WRITE_WAIT_MS = 20


def note(
    community_id: int,
    subject_type: str,
    *,
    subject_id: int | None = None,
    residents: Iterable[int] = (),
    households: Iterable[int] = (),
    detail: str = "",
) -> None:
    """Note that the signed-in person is being shown these records (or this list and filter)."""
    person = auth.person_required()
    read = audit.note_read(
        person,
        community_id,
        subject_type,
        post=audit.post_for(person, community_id, auth.today()),
        subject_id=subject_id,
        residents=residents,
        households=households,
        detail=detail,
    )
    g.setdefault("audit_reads", []).append(read)


def note_by_link(
    community_id: int,
    subject_type: str,
    *,
    subject_id: int,
    households: Iterable[int] = (),
    residents: Iterable[int] = (),
    detail: str,
) -> None:
    """Note a read by someone without an account, through a link made for them (`detail`
    says whose): a partner unit's contact opening a need referred to them."""
    read = audit.Read(
        at=utcnow().isoformat(),
        actor_id=None,
        community_id=community_id,
        post_id=None,
        role="link",
        subject_type=subject_type,
        subject_id=subject_id,
        records=audit.Records(set(residents), set(households)).text(),
        detail=detail,
    )
    g.setdefault("audit_reads", []).append(read)


def noted() -> list[audit.Read]:
    """The reads noted so far in this request (tests and the writer read them)."""
    reads: list[audit.Read] = g.get("audit_reads", [])
    return reads


def _end_page_transaction() -> None:
    # The page is built: its read transaction ends before the reads are written (a view that
    # wrote has committed through run_step; one that left changes pending keeps them as is).
    session = db.session()
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()


def _write(response: Response) -> Response:
    reads = g.pop("audit_reads", None)
    if not reads:
        return response
    if response.status_code >= 500:
        return response  # the page failed: its error page shows nothing of the records
    try:
        _end_page_transaction()
        audit.write_reads(reads, current_app.config["AUDIT_SPOOL"], wait_ms=WRITE_WAIT_MS)
    except Exception:
        log.exception("audit: could not write or keep %d read(s): %r", len(reads), reads)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_write)


def household(shown: Household, detail: str = "") -> None:
    """Note a household's page or form: the household and everyone living there."""
    note(
        shown.building.community_id,
        "household",
        subject_id=shown.id,
        households=[shown.id],
        residents=[r.id for r in shown.residents],
        detail=detail,
    )


def resident(shown: Resident, detail: str = "") -> None:
    """Note a resident's page or form."""
    note(
        shown.household.building.community_id,
        "resident",
        subject_id=shown.id,
        households=[shown.household_id],
        residents=[shown.id],
        detail=detail,
    )


def listing(
    subject_type: str,
    households: Sequence[Household] = (),
    residents: Sequence[Resident] = (),
    *,
    detail: str,
    subject_id: int | None = None,
) -> None:
    """Note a list of households or residents, with its filter, once per community shown."""
    by_community: dict[int, tuple[set[int], set[int]]] = {}
    for h in households:
        shown_h, shown_r = by_community.setdefault(h.building.community_id, (set(), set()))
        shown_h.add(h.id)
        shown_r.update(r.id for r in h.residents)
    for r in residents:
        shown_h, shown_r = by_community.setdefault(
            r.household.building.community_id, (set(), set())
        )
        shown_h.add(r.household_id)
        shown_r.add(r.id)
    for community_id, (shown_h, shown_r) in by_community.items():
        note(
            community_id,
            subject_type,
            subject_id=subject_id,
            households=shown_h,
            residents=shown_r,
            detail=detail,
        )


def household_rows(subject_type: str, household_ids: Iterable[int], *, detail: str) -> None:
    """Note a list shown as rows of household ids (visits, coverage): one read per community."""
    ids = sorted(set(household_ids))
    if not ids:
        return
    # The same rows are read again and again: where they are is kept until anything changes.
    by_community = figures_cache.kept("households' communities", tuple(ids), lambda: _where(ids))
    for community_id, shown in by_community.items():
        note(community_id, subject_type, households=shown, detail=detail)


def _where(household_ids: list[int]) -> dict[int, list[int]]:
    by_community: dict[int, list[int]] = {}
    for household_id, community_id in db.session.execute(
        select(Household.id, Building.community_id)
        .join(Building, Household.building_id == Building.id)
        .where(Household.id.in_(household_ids))
    ):
        by_community.setdefault(community_id, []).append(household_id)
    return by_community


def items(subject_type: str, shown: Iterable[Any], *, detail: str) -> None:
    """Note a list of needs or wishes (rows with community_id, household_id or resident_id)."""
    by_community: dict[int, tuple[set[int], set[int]]] = {}
    for item in shown:
        households, residents = by_community.setdefault(item.community_id, (set(), set()))
        if getattr(item, "household_id", None) is not None:
            households.add(item.household_id)
        if getattr(item, "resident_id", None) is not None:
            residents.add(item.resident_id)
    for community_id, (households, residents) in by_community.items():
        note(community_id, subject_type, households=households, residents=residents, detail=detail)
