"""A partner unit's quarterly report (.xlsx): its members' hours, their service records, and
the quarter's feedback and evaluation. Headings come translated from the view."""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook

from models import UnitQuarter
from services import exports, phones
from services.report_in.queries import UnitService
from services.report_in.records import kind_label


@dataclass(frozen=True)
class Headings:
    members_sheet: str
    records_sheet: str
    summary_sheet: str
    members: tuple[str, ...]  # name, phone, times, hours
    records: tuple[str, ...]  # name, day, what, code, title, hours
    summary: tuple[
        str, ...
    ]  # unit, quarter, members, serving, times, hours, feedback, score, comment


def unit_xlsx(
    service: UnitService, row: UnitQuarter | None, quarter_label: str, h: Headings
) -> bytes:
    book = Workbook()
    members = book.active
    assert members is not None
    members.title = h.members_sheet[:31]
    exports.append_row(members, h.members)
    for m in service.members:
        exports.append_row(
            members, [m.person.name, phones.mask(m.person.phone), len(m.records), m.hours]
        )
    records = book.create_sheet(h.records_sheet[:31])
    exports.append_row(records, h.records)
    for m in service.members:
        for r in m.records:
            exports.append_row(
                records,
                [m.person.name, r.day.isoformat(), kind_label(r.kind), r.ref, r.title, r.hours],
            )
    summary = book.create_sheet(h.summary_sheet[:31])
    values: list[exports.Cell] = [
        service.unit.name,
        quarter_label,
        len(service.members),
        service.serving,
        service.times,
        service.hours,
        row.feedback if row else "",
        row.score if row and row.score is not None else "",
        row.comment if row else "",
    ]
    for heading, value in zip(h.summary, values, strict=True):
        exports.append_row(summary, [heading, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
