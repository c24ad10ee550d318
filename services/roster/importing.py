"""Importing the roster from a sheet: households and residents row by row, safe to repeat.

The sheet is the truth for the columns it has: a column that is absent leaves that field of an
existing resident alone, so a sheet of names and phones does not reset anyone's care flags.
Household contact cells are household-wide: a blank one leaves the contact as it is, because
sheets usually fill them on one row of the household only.

A resident is found again by their ID-card number (its keyed hash), else by name in the
household, else by their phone in the household: a renamed resident is renamed, not doubled.
A building the sheet names that does not exist yet is created (in the row's grid, or the
community's only grid). A workbook may also carry a posts sheet and a partner units sheet
(services.roster.import_posts).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from models import Building, Community, Household, Person, Post, Resident, db, utcnow
from models.base import refresh_statistics
from services import audit
from services.errors import DomainError
from services.roster import import_posts
from services.roster import operations as roster
from services.roster.import_columns import (
    COLUMNS,
    FIELD_NAMES,
    REQUIRED,
    RESIDENT_FIELDS,
    column_label,
    field_labels,
    parse_resident,
)
from services.roster.import_places import Places
from services.roster.import_report import (
    ImportReport,
    Outcome,
    RowResult,
    Sheet,
    outcome_labels,
    sheet_labels,
)
from services.roster.import_residents import ResidentRows
from services.roster.sheets import (
    MAX_ROWS,
    Rows,
    SheetRejected,
    find_columns,
    read_sheet,
    read_workbook,
    too_many_rows,
)

# A sheet of this many rows or more is followed by an ANALYZE of the roster's tables.
ANALYSE_FROM_ROWS = 1000
_ROSTER_TABLES = tuple(
    model.__tablename__ for model in (Building, Household, Resident, Person, Post)
)

__all__ = [
    "COLUMNS",
    "FIELD_NAMES",
    "REQUIRED",
    "RESIDENT_FIELDS",
    "ImportReport",
    "Outcome",
    "RowResult",
    "Sheet",
    "column_label",
    "field_labels",
    "find_columns",
    "import_roster",
    "outcome_labels",
    "parse_resident",
    "read_sheet",
    "sheet_labels",
]


class RosterChanged(DomainError):
    """Another import or edit added the same household or resident a moment ago."""

    def __init__(self) -> None:
        super().__init__(changed_message())


def changed_message() -> str:
    return _(
        "The roster changed while this sheet was being imported. Nothing was saved: "
        "please import the sheet again."
    )


def import_roster(
    community: Community,
    filename: str,
    data: bytes,
    *,
    by: Person,
    today: date,
    id_key: bytes = b"",
) -> ImportReport:
    """Import a roster workbook into the community row by row; raise SheetRejected for the whole.

    `id_key` keys the hash of ID-card numbers (the app's SECRET_KEY). Raises RosterChanged
    when a concurrent change makes a row a duplicate: nothing is kept.
    """
    try:
        return _import(community, filename, data, by=by, today=today, id_key=id_key)
    except IntegrityError:
        raise RosterChanged() from None


def _sheets(workbook: list[tuple[str, Rows]]) -> tuple[Rows, Rows | None, Rows | None, list[str]]:
    """Return the residents', posts' and partner units' rows, and the sheets left unread."""
    residents: Rows | None = None
    posts: Rows | None = None
    partners: Rows | None = None
    ignored: list[str] = []
    for title, rows in workbook:
        kind = import_posts.sheet_kind(title)
        if kind is Sheet.POSTS and posts is None:
            posts = rows
        elif kind is Sheet.PARTNERS and partners is None:
            partners = rows
        elif residents is None and kind is None:
            residents = rows
        elif rows:
            ignored.append(title)
    return residents or [], posts, partners, ignored


def _import(
    community: Community, filename: str, data: bytes, *, by: Person, today: date, id_key: bytes
) -> ImportReport:
    residents, posts, partners, ignored_sheets = _sheets(read_workbook(filename, data))
    report = ImportReport(filename=filename, ignored_sheets=ignored_sheets)
    # A workbook of posts or partner units alone is fine; residents are the usual first sheet.
    if residents or not (posts or partners):
        header_at, columns, ignored = find_columns(residents, COLUMNS, REQUIRED)
        data_rows = residents[header_at + 1 :]
        if not data_rows:
            raise SheetRejected(_("The sheet has column headers but no rows to import."))
        if len(data_rows) > MAX_ROWS:
            raise too_many_rows()
        report.ignored_columns = ignored
        report.sheets.append(Sheet.RESIDENTS)
    else:
        data_rows, columns = [], {}
    places = Places(community, by)
    if partners:
        report.sheets.append(Sheet.PARTNERS)
        report.rows.extend(import_posts.import_partners(community, partners, by=by))
    if data_rows:
        importer = ResidentRows(community, places, columns, today, id_key)
        importer.named_in_sheet(data_rows)
        for number, cells in data_rows:
            report.rows.append(importer.row(number, cells))
        importer.save(utcnow())
        report.households_created = len(importer.new_households)
    if posts:
        report.sheets.append(Sheet.POSTS)
        report.rows.extend(import_posts.import_posts(community, posts, places, by=by, today=today))
    report.buildings_created = places.buildings_created
    report.grids_created = places.grids_created
    if len(report.rows) >= ANALYSE_FROM_ROWS:
        # A large roster is used at once (lists, a mobilisation to all of it) and autovacuum
        # analyses it only later: planned with the statistics from before it, one chunk of a
        # mobilisation read 10,000 people in 4-25 s instead of well under one.
        refresh_statistics(*_ROSTER_TABLES)
    # Cut before cleaning: cleaning only shortens, so a long name cannot fail the import here.
    safe_name = roster.clean_text(filename[:200], limit=200, what=_("File name"))
    audit.record(
        actor=by,
        community_id=community.id,
        action="import",
        subject_type="roster",
        subject_id=None,
        detail=(
            f"file={safe_name} imported={report.count(Outcome.IMPORTED)} "
            f"updated={report.count(Outcome.UPDATED)} "
            f"unchanged={report.count(Outcome.UNCHANGED)} "
            f"skipped={report.count(Outcome.SKIPPED)} "
            f"rejected={report.count(Outcome.REJECTED)} "
            f"households_created={report.households_created} "
            f"buildings_created={len(report.buildings_created)}"
        ),
    )
    db.session.flush()
    return report
