"""A ledger as .xlsx: a summary sheet, then a sheet per category with a row per record.

Written with a write-only workbook (rows go straight to the file, never a cell tree in
memory), into a temporary file that the response then streams: a community's year of visits
stays within a bounded amount of memory.
"""

from __future__ import annotations

import tempfile
from typing import IO

from flask_babel import gettext as _
from openpyxl import Workbook

from services import exports
from services.ledgers.ledger import Ledger

# Excel's limit on a sheet's name, and characters it refuses there.
SHEET_NAME_MAX = 31
_NOT_IN_SHEET_NAMES = str.maketrans({c: " " for c in "[]:*?/\\"})


def headings() -> list[str]:
    return [_("Record"), _("Date"), _("Place"), _("Who"), _("What happened"), _("Outcome")]


def title_of(ledger: Ledger) -> str:
    scope = ledger.scope
    parts = [scope.community_name]
    if scope.grid_name:
        parts.append(scope.grid_name)
    if scope.person_name:
        parts.append(scope.person_name)
    return " · ".join(parts)


def write_xlsx(ledger: Ledger, out: IO[bytes]) -> None:
    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Summary")[:SHEET_NAME_MAX])
    exports.append_row(summary, [_("Ledger"), title_of(ledger)])
    exports.append_row(summary, [_("Period"), ledger.period.label()])
    exports.append_row(
        summary,
        [
            _("First day"),
            ledger.period.first.isoformat(),
            _("Last day"),
            ledger.period.last.isoformat(),
        ],
    )
    exports.append_row(summary, [])
    exports.append_row(summary, [_("Ledger"), _("Figure"), _("Count")])
    for section in ledger.sections:
        for figure in section.part.figures:
            exports.append_row(summary, [section.title, figure.label, figure.value])
    for section in ledger.sections:
        sheet = book.create_sheet(section.title.translate(_NOT_IN_SHEET_NAMES)[:SHEET_NAME_MAX])
        exports.append_row(sheet, headings())
        for row in section.part.rows:
            exports.append_row(
                sheet, [row.ref, row.day.isoformat(), row.place, row.who, row.what, row.outcome]
            )
        if section.part.more:
            exports.append_row(
                sheet,
                [
                    _(
                        "Only the first %(count)d records are listed: pick a shorter period "
                        "for the rest.",
                        count=len(section.part.rows),
                    )
                ],
            )
    book.save(out)


def xlsx_file(ledger: Ledger) -> IO[bytes]:
    """The workbook in a temporary file, rewound for reading (deleted once closed)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it after streaming
    write_xlsx(ledger, out)
    out.seek(0)
    return out
