"""services.exports: text that could start a formula is neutralised; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from services import exports

# The payloads every export is tested with (OWASP's CSV injection: = + - @ tab CR).
PAYLOADS = ['=HYPERLINK("http://x","点我")', "+1", "-1", "@SUM(1)", "\t=1", "\r=1"]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes) -> list[list[openpyxl.cell.cell.Cell]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows()]


def check_csv(data: bytes, payloads: list[str]) -> None:
    """No cell of the CSV can start a formula, and each payload is there behind a quote."""
    cells = [cell for row in read_csv(data) for cell in row]
    assert not [cell for cell in cells if exports.dangerous(cell)]
    for payload in payloads:
        assert "'" + payload in cells


def check_xlsx(data: bytes, payloads: list[str]) -> None:
    """No cell of the workbook is a formula, and each payload is there as text, as typed."""
    cells = [cell for row in read_xlsx(data) for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    for payload in payloads:
        # Python's XML writer lets a carriage return be read back as a line feed ("\r=1" comes
        # back as "\n=1"); lxml's (openpyxl's when installed) escapes it, and it comes back as is.
        kept = (payload, payload.replace("\r", "\n"))
        found = [cell for cell in cells if cell.value in kept]
        assert found, payload
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in found)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell_quotes_what_could_start_a_formula(payload: str) -> None:
    assert exports.safe_cell(payload) == "'" + payload
    check_csv(exports.csv_bytes([["名字", payload]]), [payload])


@pytest.mark.parametrize("value", ["张秀英", "", "3号楼", "a=1", " =1", "'=1", None, 0, 7, 2.5])
def test_harmless_values_are_left_alone(value: exports.Cell) -> None:
    assert exports.safe_cell(value) == value


def test_numbers_stay_numbers() -> None:
    assert exports.safe_cell(-1) == -1 and exports.safe_cell(-2.5) == -2.5
    assert read_csv(exports.csv_bytes([[-1, -2.5, "-1"]])) == [["-1", "-2.5", "'-1"]]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    exports.append_row(sheet, [-1, -2.5, "-1", "=1+1"])
    out = io.BytesIO()
    book.save(out)
    (row,) = read_xlsx(out.getvalue())
    assert [(c.value, c.data_type) for c in row] == [
        (-1, "n"),
        (-2.5, "n"),
        ("-1", "s"),
        ("=1+1", "s"),
    ]
    assert [c.quotePrefix for c in row] == [False, False, True, True]


def test_every_payload_in_one_workbook() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    exports.append_row(sheet, ["姓名", "备注"])
    for payload in PAYLOADS:
        exports.append_row(sheet, [payload, "普通"])
    out = io.BytesIO()
    book.save(out)
    check_xlsx(out.getvalue(), PAYLOADS)
    plain = [c for row in read_xlsx(out.getvalue()) for c in row if c.value == "普通"]
    assert plain and not any(c.quotePrefix for c in plain)
