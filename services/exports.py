"""Cells for CSV and XLSX exports that a spreadsheet program cannot run as formulas.

Anyone who can type a name (a head setting a household's contact, a resident's name from an
import) could otherwise put `=HYPERLINK("http://…","点我")` in a secretary's export and have
Excel or WPS run it. Following OWASP's CSV-injection advice, a text cell that begins with
`=`, `+`, `-`, `@`, a tab or a carriage return is neutralised:

- in CSV, by a leading single quote (`'=HYPERLINK(…)`), which the spreadsheet shows as text;
- in XLSX, by writing the text as a string cell (never a formula) marked "quote prefix", as
  Excel itself stores a cell typed with a leading `'`: the text reads exactly as entered, and
  editing the cell keeps it text.

Numbers stay numbers in both (-1 is a number, "-1" is text and is quoted). Every export writes
its rows through `csv_bytes` or `append_row` so that no path forgets.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TypeAlias

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.worksheet.worksheet import Worksheet

# What a spreadsheet program may read as the start of a formula (or, for tab and carriage
# return, skip over to find one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell: TypeAlias = str | int | float | None


def dangerous(value: object) -> bool:
    """Return whether a spreadsheet program could take the value for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_cell(value: Cell) -> Cell:
    """Return the value as a CSV export should write it: a formula-like text quoted with `'`."""
    if isinstance(value, str) and dangerous(value):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Iterable[Cell]]) -> bytes:
    """Return the rows as CSV in UTF-8 with a BOM (so Excel shows the Chinese), cells made safe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def append_row(sheet: Worksheet, values: Iterable[Cell]) -> None:
    """Append a row to an XLSX sheet, every text a string cell and never a formula."""
    cells: list[object] = []
    for value in values:
        if isinstance(value, str) and (dangerous(value) or value in ERROR_CODES):
            # openpyxl takes any text starting with "=" for a formula (and "#N/A" for an
            # error); a cell of its own keeps it text.
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cell.quotePrefix = dangerous(value)
            cells.append(cell)
        else:
            # Any other text openpyxl writes as a string as it is: no cell object or style of
            # its own, which made a ledger's 50,000 cells twice as slow to write.
            cells.append(value)
    sheet.append(cells)
