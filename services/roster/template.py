"""The roster template a secretary downloads: the import's sheets and columns, one example each.

The workbook has three sheets: residents (the first, as the import reads it), posts (岗位) and
partner units (共建单位). The CSV template is the residents' sheet alone.
"""

from __future__ import annotations

import io

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from services import exports
from services.roster.import_posts import PARTNER_COLUMNS, POST_COLUMNS, SHEET_TITLES
from services.roster.import_report import Sheet
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
    "grid": "",
    # A made-up number with a valid check character (the one textbooks use).
    "id_number": "11010519491231002X",
}
POST_EXAMPLE = {
    "role": "楼栋长",
    "name": "王建华",
    "phone": "13700137000",
    "grid": "",
    "compound": "幸福小区",
    "building": "3号楼",
    "duties": "",
}
PARTNER_EXAMPLE = {
    "name": "区供电局",
    "kind": "机关",
    "contact_name": "赵强",
    "contact_phone": "13600136000",
}
TEXT_ROWS = 200


def template_csv() -> bytes:
    """Return a template CSV (UTF-8 with BOM so Excel shows the Chinese) with one example row."""
    return exports.csv_bytes(
        [
            [aliases[0] for aliases in COLUMNS.values()],
            [TEMPLATE_EXAMPLE[name] for name in COLUMNS],
        ]
    )


def _fill(sheet: Worksheet, columns: dict[str, tuple[str, ...]], example: dict[str, str]) -> None:
    exports.append_row(sheet, [aliases[0] for aliases in columns.values()])
    exports.append_row(sheet, [example[name] for name in columns])
    # Text format keeps Excel from turning phone and ID numbers into 1.38E+10.
    for column in sheet.iter_cols(min_row=1, max_row=TEXT_ROWS, max_col=len(columns)):
        for cell in column:
            cell.number_format = "@"


def template_xlsx() -> bytes:
    """Return a template workbook: residents, posts and partner units, all cells text."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "居民"
    _fill(sheet, COLUMNS, TEMPLATE_EXAMPLE)
    _fill(workbook.create_sheet(SHEET_TITLES[Sheet.POSTS][0]), POST_COLUMNS, POST_EXAMPLE)
    _fill(workbook.create_sheet(SHEET_TITLES[Sheet.PARTNERS][0]), PARTNER_COLUMNS, PARTNER_EXAMPLE)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
