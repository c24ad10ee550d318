"""Reading a roster sheet (.xlsx or CSV) into rows of text, in bounded time and memory.

Only what is read is decided here: how many rows and columns, how long a cell, how large an
.xlsx may unpack to, which text encoding and delimiter a CSV has. What the rows mean is
`services.roster.importing`'s.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import PurePath

import openpyxl
from flask_babel import gettext as _

from services.errors import InvalidInput

MAX_ROWS = 20_000
# Rows read in all, blank ones included: Excel can carry a million formatted empty rows.
MAX_RAW_ROWS = 100_000
MAX_COLUMNS = 60
# Cells are cut to this many characters as they are read: longer than any field takes, so a
# cut cell is still refused as too long, and nothing later works through a megabyte of text.
MAX_CELL_CHARS = 1000
# A title line or two above the header row is common in sheets made for printing.
HEADER_SEARCH_ROWS = 10
CSV_DELIMITERS = (",", "\t", ";")

# An .xlsx is a zip of XML parts. openpyxl streams a worksheet row by row but loads the shared
# strings and the workbook's other parts whole, and one cell can be as long as its part: the
# parts' unpacked sizes bound what an import holds in memory, so they are checked before the
# workbook is opened. (zipfile stops reading an entry at its declared size and fails its
# checksum, so an archive that understates a size cannot unpack more than it declares.)
MB = 1024 * 1024
MAX_XLSX_ENTRIES = 500
# The template's 14 columns over MAX_ROWS rows, as openpyxl writes them, unpack to about 14 MB.
MAX_XLSX_PART_BYTES = 16 * MB
MAX_XLSX_TOTAL_BYTES = 32 * MB
# Unpacked to packed size, for parts over a megabyte: sheets run about 10 to 20 times.
MAX_XLSX_RATIO = 100


class SheetRejected(InvalidInput):
    """The whole sheet cannot be imported; nothing was changed."""


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 502 and 13800138000 as floats
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def _non_empty(rows: Iterator[list[str]]) -> list[tuple[int, list[str]]]:
    """Return (sheet row number, cells) for rows with any text, refusing oversized sheets."""
    kept: list[tuple[int, list[str]]] = []
    limit = MAX_ROWS + HEADER_SEARCH_ROWS
    for number, cells in enumerate(rows, start=1):
        if number > MAX_RAW_ROWS or len(kept) > limit:
            raise too_many_rows()
        if any(cell.strip() for cell in cells):
            kept.append((number, cells))
    return kept


def too_many_rows() -> SheetRejected:
    return SheetRejected(
        _(
            "The sheet has more than %(n)d rows. Split it into smaller sheets and import each.",
            n=MAX_ROWS,
        )
    )


def _unreadable() -> SheetRejected:
    return SheetRejected(
        _(
            "This file is not a readable .xlsx workbook. Open it in Excel or WPS, save it as "
            ".xlsx or CSV, and upload it again."
        )
    )


def _check_archive(data: bytes) -> None:
    """Refuse an .xlsx whose parts would unpack too large, from the zip's directory alone."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable() from None
    total = sum(entry.file_size for entry in entries)
    if (
        len(entries) > MAX_XLSX_ENTRIES
        or total > MAX_XLSX_TOTAL_BYTES
        or any(
            entry.file_size > MAX_XLSX_PART_BYTES
            or (entry.file_size > MB and entry.file_size > MAX_XLSX_RATIO * entry.compress_size)
            for entry in entries
        )
    ):
        raise SheetRejected(
            _(
                "This workbook is too large once unpacked to be a roster sheet (it may hold "
                "pictures, many sheets or very long cells). Copy the roster rows into a new "
                ".xlsx or CSV file and upload that."
            )
        )


Rows = list[tuple[int, list[str]]]
# A roster workbook has the residents' sheet and, optionally, posts and partner units.
MAX_SHEETS = 5


def _read_xlsx(data: bytes) -> list[tuple[str, Rows]]:
    unreadable = _unreadable()
    _check_archive(data)
    try:
        # Read-only mode streams the worksheet instead of building every cell first.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any failure to parse an uploaded file means "unreadable"
        raise unreadable from None
    try:
        if not workbook.worksheets:
            raise unreadable
        found: list[tuple[str, Rows]] = []
        for sheet in workbook.worksheets[:MAX_SHEETS]:
            # The stored dimension can be wrong, and trusting it pads every row to its width.
            sheet.reset_dimensions()
            rows = (
                [_cell_text(value)[:MAX_CELL_CHARS] for value in row[:MAX_COLUMNS]]
                for row in sheet.iter_rows(values_only=True)
            )
            found.append((str(sheet.title), _non_empty(rows)))
        return found
    except SheetRejected:
        raise
    except Exception:
        raise unreadable from None
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise SheetRejected(
            _("This file is an Excel workbook named as CSV. Upload it with the .xlsx ending.")
        )
    # NUL bytes mean UTF-16 ("Unicode text") or a binary file: neither is a CSV we can read.
    if b"\x00" not in data:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise SheetRejected(
        _(
            "The CSV file is neither UTF-8 nor GBK text. In Excel choose Save As → "
            "“CSV UTF-8”, or upload the .xlsx workbook instead."
        )
    )


def _delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()][:5]
    counts = {d: sum(line.count(d) for line in lines) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _non_empty([cell[:MAX_CELL_CHARS] for cell in row[:MAX_COLUMNS]] for row in reader)
    except csv.Error as error:
        raise SheetRejected(
            _(
                "The CSV file could not be read near line %(line)d: %(error)s",
                line=reader.line_num,
                error=str(error),
            )
        ) from None


def read_sheet(filename: str, data: bytes) -> Rows:
    """Return the non-empty rows of an .xlsx file's first sheet or a .csv file, numbered."""
    return read_workbook(filename, data)[0][1]


def read_workbook(filename: str, data: bytes) -> list[tuple[str, Rows]]:
    """Return (sheet title, non-empty numbered rows) of each sheet; a CSV is one untitled sheet."""
    suffix = PurePath(filename or "").suffix.lower()
    if not data:
        raise SheetRejected(_("The file is empty."))
    if suffix == ".xlsx":
        return _read_xlsx(data)
    if suffix == ".csv":
        return [("", _read_csv(data))]
    if suffix == ".xls":
        raise SheetRejected(
            _(
                "Old-style .xls files cannot be read. In Excel or WPS, save the sheet as .xlsx "
                "or CSV and upload that."
            )
        )
    raise SheetRejected(_("Please upload an .xlsx or .csv file."))


# Finding the columns ---------------------------------------------------------------------------


def column_label(name: str, columns: Mapping[str, tuple[str, ...]]) -> str:
    """Return a column as the sheet spells it, Chinese and English, e.g. 小区/compound."""
    return f"{columns[name][0]}/{columns[name][1]}"


def _header_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).strip().lower()
    key = re.sub(r"\(.*\)$", "", key)  # "手机(选填)", "Phone (optional)"
    return re.sub(r"[\s_\-*]+", "", key)


def find_columns(
    rows: Rows,
    columns: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> tuple[int, dict[str, int], list[str]]:
    """Return the header row's index in `rows`, field → column index, and ignored headers."""
    header_keys = {
        _header_key(alias): name for name, aliases in columns.items() for alias in aliases
    }
    best_at, best_hits = -1, 0
    for at, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = len({header_keys[k] for k in map(_header_key, cells) if k in header_keys})
        if hits > best_hits:
            best_at, best_hits = at, hits
    if best_hits == 0:
        raise SheetRejected(
            _(
                "No known column headers were found. The first row should name the columns: "
                "%(columns)s. Download the template to see the layout.",
                columns=", ".join(column_label(name, columns) for name in required),
            )
        )
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(rows[best_at][1]):
        name = header_keys.get(_header_key(cell))
        if name is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if name in found:
            raise SheetRejected(
                _(
                    "The column %(column)s appears twice. Keep one and import again.",
                    column=column_label(name, columns),
                )
            )
        found[name] = index
    missing = [name for name in required if name not in found]
    if missing:
        raise SheetRejected(
            _(
                "The sheet is missing required columns: %(columns)s. Nothing was imported.",
                columns=", ".join(column_label(name, columns) for name in missing),
            )
        )
    return best_at, found, ignored
