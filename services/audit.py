"""The audit trail of who viewed or changed residents' records.

Changes are recorded with `record`, in the transaction that makes them. Reads are noted with
`note_read` while a page is built and written afterwards by `write_reads`, in a short
transaction of their own (a read must never become a failing write); what cannot be written
then is kept in a spool file and written later by `flush_spool` (the "audit-spool" job).
"""

from __future__ import annotations

import json
import logging
import os
import time as timer
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy import Connection, insert
from sqlalchemy.exc import OperationalError

from models import AuditEntry, Person, Post, db, utcnow
from models.base import writing

log = logging.getLogger(__name__)

# What was done, as the audit page says it. Every action passed to `record` is listed here
# (tests/test_audit.py reads the code for them), so the page never shows a code.
ACTIONS: dict[str, Any] = {
    "view": lazy_gettext("Viewed"),
    "create": lazy_gettext("Added"),
    "update": lazy_gettext("Changed"),
    "import": lazy_gettext("Imported the roster"),
    "partner.member": lazy_gettext("Added a partner unit's member"),
    "role.define": lazy_gettext("Defined a post"),
    "role.permissions": lazy_gettext("Changed a role's permissions"),
    "post.assign": lazy_gettext("Assigned a post"),
    "post.end": lazy_gettext("Ended a post"),
    "delivery.retry": lazy_gettext("Retried a message"),
    "post.update": lazy_gettext("Changed a post"),
    "partner.end": lazy_gettext("Ended a partner unit"),
    "partner.restore": lazy_gettext("Restored a partner unit"),
    "building.move": lazy_gettext("Moved a building to another grid"),
    "household.moved_out": lazy_gettext("Marked a household moved out"),
    "household.moved_back": lazy_gettext("Undid a household's move-out"),
    "resident.deceased": lazy_gettext("Marked a resident deceased"),
    "resident.undo_deceased": lazy_gettext("Undid a resident's death record"),
    "community.create": lazy_gettext("Created a community"),
    "community.settings": lazy_gettext("Changed a community's settings"),
    "admin.grant": lazy_gettext("Named an administrator"),
    "work_group.robot_set": lazy_gettext("Set a work group's robot"),
    "work_group.robot_changed": lazy_gettext("Replaced a work group's robot"),
    "work_group.robot_removed": lazy_gettext("Removed a work group's robot"),
    "report_in.enter": lazy_gettext("Entered a member's report-in"),
    "report_in.approve": lazy_gettext("Approved a report-in"),
    "report_in.decline": lazy_gettext("Declined a report-in"),
    "report_in.evaluate": lazy_gettext("Evaluated a partner unit"),
    "pledge.write": lazy_gettext("Wrote a post's pledges"),
    "pledge.approve": lazy_gettext("Approved a post's pledges"),
    "pledge.round": lazy_gettext("Opened the rating of pledges"),
    "rectification.open": lazy_gettext("Opened a rectification plan"),
    "rectification.done": lazy_gettext("Marked a rectification action done"),
    "rectification.result": lazy_gettext("Recorded a rectification re-check"),
    "assessment.publish": lazy_gettext("Published an assessment"),
    "assessment.award": lazy_gettext("Conferred an award"),
    "assessment.weights": lazy_gettext("Changed the assessment's weights"),
    "assessment.street_weights": lazy_gettext("Changed the street's assessment weights"),
}
# The role a read is kept under when the reader holds no post (a resident at home).
NO_POST_ROLE = "resident"
# What was shown or changed: a record, or a page's list.
SUBJECTS: dict[str, Any] = {
    "resident": lazy_gettext("Resident"),
    "household": lazy_gettext("Household"),
    "building": lazy_gettext("Building"),
    "person": lazy_gettext("Person"),
    "post": lazy_gettext("Post"),
    "role": lazy_gettext("Role"),
    "custom_role": lazy_gettext("Post the community defines"),
    "partner_unit": lazy_gettext("Partner unit"),
    "roster": lazy_gettext("Roster"),
    "delivery": lazy_gettext("Message"),
    "search": lazy_gettext("Search"),
    "coverage": lazy_gettext("Coverage"),
    "coverage export": lazy_gettext("Coverage export"),
    "visit list": lazy_gettext("My households"),
    "visit form": lazy_gettext("Visit form"),
    "offline round": lazy_gettext("Households kept on the phone for the offline round"),
    "need form": lazy_gettext("Need form"),
    "needs": lazy_gettext("Needs list"),
    "wish": lazy_gettext("Wish"),
    "area wishes": lazy_gettext("Wishes of the area"),
    "outbox": lazy_gettext("Outbox"),
    "inbound": lazy_gettext("Texts received"),
    "work_order": lazy_gettext("Work order"),
    "need": lazy_gettext("Need"),
    "property matters": lazy_gettext("Property matters"),
    "community": lazy_gettext("Community"),
    "grid": lazy_gettext("Grid"),
    "administrator": lazy_gettext("Administrator"),
    "mediation": lazy_gettext("Mediation case"),
    "mediation party search": lazy_gettext("Mediation: finding parties"),
    "campaign households": lazy_gettext("Households a policy campaign has not reached"),
    "meeting": lazy_gettext("Meeting"),
    "meeting_residents": lazy_gettext("Residents picked for a meeting"),
    "report_in": lazy_gettext("Report-in"),
    "assessment": lazy_gettext("Assessment"),
    "ledger": lazy_gettext("Ledger"),
}


# The page a read was made on, as its detail starts ("visit form", "coverage.csv grid=3"), and
# the filters that follow it, as the audit page says them.
PAGES: dict[str, Any] = {
    "visits": lazy_gettext("My households"),
    "visits round": lazy_gettext("Households kept on the phone for the offline round"),
    "visit history": lazy_gettext("Visit history"),
    "coverage.csv": lazy_gettext("Coverage export"),
    "coverage.xlsx": lazy_gettext("Coverage export"),
    "edit form": lazy_gettext("Edit form"),
    "new resident form": lazy_gettext("New resident form"),
    "contact form": lazy_gettext("Contact form"),
    "own household": lazy_gettext("Own household"),
    "wish details": lazy_gettext("Wish"),
    "new wish form": lazy_gettext("New wish form"),
    "mediation cases": lazy_gettext("Mediation cases"),
    "mediation case": lazy_gettext("Mediation case"),
    "mediation search": lazy_gettext("Mediation: finding parties"),
    "mediation parties chosen": lazy_gettext("Mediation: parties chosen"),
    "meeting attendance": lazy_gettext("Attendance at a meeting's door"),
    "meeting invitees": lazy_gettext("Residents invited to a meeting"),
    "meeting resident search": lazy_gettext("Finding residents to invite"),
    "need decision": lazy_gettext("A need's decision page"),
    "report-in list": lazy_gettext("Report-ins"),
    "unit report": lazy_gettext("A partner unit's quarter"),
    "unit report.xlsx": lazy_gettext("A partner unit's quarterly report"),
    "liaison page": lazy_gettext("The liaison's page of the unit"),
    "assessment results": lazy_gettext("Assessment results"),
    "stars history": lazy_gettext("Stars over the periods"),
    "ledger": lazy_gettext("Ledger"),
    "ledger.xlsx": lazy_gettext("Ledger export"),
    "ledger print": lazy_gettext("Ledger's printable page"),
}
FILTERS: dict[str, Any] = {
    "q": lazy_gettext("search"),
    "status": lazy_gettext("status"),
    "state": lazy_gettext("state"),
    "page": lazy_gettext("page"),
    "grid": lazy_gettext("grid"),
    "building": lazy_gettext("building"),
    "deliveries": lazy_gettext("messages"),
    "texts": lazy_gettext("texts"),
    "campaign": lazy_gettext("campaign"),
    "list": lazy_gettext("list"),
    "quarter": lazy_gettext("quarter"),
    "period": lazy_gettext("period"),
    "post": lazy_gettext("post"),
}


def detail_label(detail: str) -> str:
    """Return a read's detail as the audit page says it: "导出走访覆盖率 网格=3"."""
    words = detail.split(" ")
    filters = [w for w in words if "=" in w]
    page = " ".join(w for w in words if "=" not in w)
    if page in PAGES or page in SUBJECTS:
        page = str(PAGES.get(page) or SUBJECTS[page])
    elif page.startswith("building "):  # "building 12": the building's page
        page = f"{SUBJECTS['building']} {page.removeprefix('building ')}"
    shown = []
    for item in filters:
        key, _eq, value = item.partition("=")
        shown.append(f"{FILTERS.get(key, key)}={value}")
    return " ".join(part for part in (page, *shown) if part)


def records_label(
    records: str, limit: int | None = None, labels: dict[str, str] | None = None
) -> str:
    """Return the records a read showed, as " resident:12 household:3 " reads: "居民#12 户#3".

    With a limit, the text stops (with "…") once it is that long: a list's read names
    hundreds of records, and a page of entries shows the start of each. `labels` keeps the
    kinds' labels across the calls of one page (in one language).
    """
    # Each kind's label is translated once, not once per record (a lazy label translates
    # again at every use).
    if labels is None:
        labels = {}
    shown: list[str] = []
    length = 0
    for record in records.split():
        if limit is not None and length >= limit:
            shown.append("…")
            break
        kind, _colon, number = record.partition(":")
        label = labels.get(kind)
        if label is None:
            label = labels[kind] = str(SUBJECTS.get(kind, kind))
        shown.append(f"{label}#{number}")
        length += len(shown[-1]) + 1
    return " ".join(shown)


def action_label(action: str) -> str:
    """Return how the audit page names an action; an unlisted one shows as it is."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else action


def subject_label(subject_type: str) -> str:
    """Return how the audit page names what was shown or changed."""
    label = SUBJECTS.get(subject_type)
    return str(label) if label is not None else subject_type


# Tries to write a request's reads before they go to the spool, and the pause between them.
WRITE_TRIES = 3
RETRY_PAUSE_SECONDS = 0.2


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


@dataclass(frozen=True)
class Read:
    """One page's read of personal data, waiting to be written."""

    at: str  # ISO 8601, UTC
    actor_id: int | None  # None: someone without an account (a partner unit's answer link)
    community_id: int
    post_id: int | None
    role: str
    subject_type: str  # "resident", "household", "wish", or a list: "building", "search", ...
    subject_id: int | None
    records: str  # " resident:1 household:2 "
    detail: str = ""  # which list and filter, e.g. "search q=王"

    def row(self) -> dict[str, Any]:
        """The audit entry's columns, for an insert without the ORM's unit of work."""
        return {
            "at": datetime.fromisoformat(self.at),
            "actor_id": self.actor_id,
            "community_id": self.community_id,
            "post_id": self.post_id,
            "role": self.role,
            "action": "view",
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "records": self.records,
            "detail": self.detail[:2000],
        }


@dataclass
class Records:
    """The residents and households a page showed."""

    residents: set[int] = field(default_factory=set)
    households: set[int] = field(default_factory=set)

    def text(self) -> str:
        tokens = [f"household:{i}" for i in sorted(self.households)]
        tokens += [f"resident:{i}" for i in sorted(self.residents)]
        return f" {' '.join(tokens)} " if tokens else ""


def post_for(person: Person, community_id: int, today: date) -> Post | None:
    """The post a person reads a community's records under: an active post there, if any."""
    posts = [p for p in person.active_posts(today) if p.community_id == community_id]
    return posts[0] if posts else None


def note_read(
    actor: Person,
    community_id: int,
    subject_type: str,
    *,
    post: Post | None,
    subject_id: int | None = None,
    residents: Iterable[int] = (),
    households: Iterable[int] = (),
    detail: str = "",
) -> Read:
    """Describe one read of personal data: who, under which post, which records, when."""
    shown = Records(set(residents), set(households))
    return Read(
        at=utcnow().isoformat(),
        actor_id=actor.id,
        community_id=community_id,
        post_id=post.id if post else None,
        role=post.role if post else NO_POST_ROLE,
        subject_type=subject_type,
        subject_id=subject_id,
        records=shown.text(),
        detail=detail,
    )


def _commit(connection: Connection) -> None:
    connection.commit()


def _write_once(reads: Sequence[Read], wait_ms: int | None = None) -> None:
    # Its own session and connection: the page's read transaction is left alone, and on
    # SQLite this one begins IMMEDIATE (it writes) and waits on the busy timeout, or only
    # `wait_ms` for the lock when given.
    with writing(), db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        waited = None
        if wait_ms is not None and db.engine.dialect.name == "sqlite" and raw is not None:
            waited = raw.execute("PRAGMA busy_timeout").fetchone()[0]
            raw.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            # One Core insert: a page writes its reads on every request, and the ORM's unit of
            # work (objects, flush, identity map) cost more than the write itself.
            connection.execute(insert(AuditEntry.__table__), [read.row() for read in reads])
            _commit(connection)
        finally:
            if waited is not None and raw is not None:
                raw.execute(f"PRAGMA busy_timeout={int(waited)}")


def write_reads(reads: Sequence[Read], spool: Path | str, *, wait_ms: int | None = None) -> bool:
    """Write the reads in one short transaction, retried; spool them if that still fails.

    With `wait_ms` (a page being answered), one try that waits at most that long for SQLite's
    write lock, then the spool at once: under a crowd the pages' audit writes queue on one
    lock, and SQLite's busy handler sleeps up to 100 ms at a time, which a page must not.
    Never raises: auditing must not fail the page. Returns whether they reached the database.
    """
    if not reads:
        return True
    for attempt in range(1 if wait_ms is not None else WRITE_TRIES):
        try:
            _write_once(reads, wait_ms)
            return True
        except OperationalError as error:
            log.warning(
                "audit: writing %d read(s) failed (try %d): %s", len(reads), attempt + 1, error
            )
            if wait_ms is None and attempt + 1 < WRITE_TRIES:
                timer.sleep(RETRY_PAUSE_SECONDS)
    _spool(reads, Path(spool), busy=wait_ms is not None)
    return False


def _spool(reads: Sequence[Read], spool: Path, *, busy: bool = False) -> None:
    lines = "".join(json.dumps(asdict(read), ensure_ascii=False) + "\n" for read in reads)
    try:
        spool.parent.mkdir(parents=True, exist_ok=True)
        # One write in append mode: lines from parallel requests do not interleave.
        fd = os.open(spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, lines.encode("utf-8"))
        finally:
            os.close(fd)
        # A busy database under a crowd is expected (the job writes them within a minute).
        log.log(
            logging.INFO if busy else logging.ERROR,
            "audit: %d read(s) kept in %s until the database takes them",
            len(reads),
            spool,
        )
    except OSError:
        # Nowhere left to keep them: the log is the last record.
        log.exception("audit: could not keep %d read(s); lost: %s", len(reads), lines)


def flush_spool(spool: Path | str) -> int:
    """Write the reads waiting in the spool; return how many were written."""
    path = Path(spool)
    taking = path.with_name(path.name + ".flushing")
    if not taking.exists():
        try:
            os.replace(path, taking)  # new reads start a fresh spool meanwhile
        except FileNotFoundError:
            return 0
    reads = [
        Read(**json.loads(line))
        for line in taking.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    try:
        _write_once(reads)
    except OperationalError:
        log.warning("audit: the spool's %d read(s) wait for the next run", len(reads))
        return 0
    taking.unlink()
    log.info("audit: wrote %d spooled read(s)", len(reads))
    return len(reads)
