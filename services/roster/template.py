"""The roster template a secretary downloads: the import's columns and one example row."""

from __future__ import annotations

import io

import openpyxl

from services import exports
from services.roster.importing import COLUMNS

TEMPLATE_EXAMPLE = {
    "compound": "幸福小区",
    "building": "3号楼",
    "unit": "1",
    "floor": "",
    "room": "502",
    "name": "张秀英",
    "birth_year": "1948",
    "phone": "13800138000",
    "lives_alone": "是",
    "has_smartphone": "否",
    "care_flags": "",
    "sms_consent": "是",
    "contact_name": "李明",
    "contact_phone": "13900139000",
}


def template_csv() -> bytes:
    """Return a template CSV (UTF-8 with BOM so Excel shows the Chinese) with one example row."""
    return exports.csv_bytes(
        [
            [aliases[0] for aliases in COLUMNS.values()],
            [TEMPLATE_EXAMPLE[name] for name in COLUMNS],
        ]
    )


def template_xlsx() -> bytes:
    """Return a template workbook with the header row and one example row, all cells text."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "roster"
    exports.append_row(sheet, [aliases[0] for aliases in COLUMNS.values()])
    exports.append_row(sheet, [TEMPLATE_EXAMPLE[name] for name in COLUMNS])
    # Text format keeps Excel from turning phone numbers into 1.38E+10.
    for column in sheet.iter_cols(min_row=1, max_row=200, max_col=len(COLUMNS)):
        for cell in column:
            cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
