"""The secretary's roster import: sheets in, a row-by-row report out, repeats change nothing."""

from __future__ import annotations

import io
import os
import re
import struct
import time
import tracemalloc
import zipfile
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select, text

from models import AuditEntry, Building, Household, PartnerUnit, Post, Resident, db
from services.roster import importing as roster_import
from services.roster import sheets as roster_sheets
from services.roster import template as roster_template
from tests.support import sign_in
from tests.test_exports import PAYLOADS, check_csv, check_xlsx

URL = "/secretary/roster/import"
EN_HEADERS = [
    "compound",
    "building",
    "unit",
    "room",
    "name",
    "birth_year",
    "phone",
    "lives_alone",
    "has_smartphone",
    "care_flags",
    "sms_consent",
]
ZH_HEADERS = [
    "小区",
    "楼栋",
    "单元",
    "房号",
    "姓名",
    "出生年份",
    "手机",
    "独居",
    "智能手机",
    "关怀",
    "短信同意",
]


@pytest.fixture
def place(make: Any) -> dict[str, Any]:
    """A community with one building and a signed-in-ready secretary."""
    community = make.community()
    grid = make.grid(community)
    building = make.building(grid, compound="幸福小区", name="3号楼")
    secretary = make.person()
    make.post(secretary, "secretary", community=community)
    return {"community": community, "grid": grid, "building": building, "secretary": secretary}


@pytest.fixture
def secretary_client(client: Any, place: dict[str, Any]) -> Any:
    client.set_cookie("linli_lang", "en")
    sign_in(client, place["secretary"].phone)
    return client


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_text(rows: list[list[Any]], delimiter: str = ",") -> str:
    return "\r\n".join(delimiter.join(str(cell) for cell in row) for row in rows) + "\r\n"


def upload(client: Any, data: bytes, filename: str, **extra: str) -> Any:
    return client.post(
        URL,
        data={"sheet": (io.BytesIO(data), filename), **extra},
        content_type="multipart/form-data",
    )


def residents() -> dict[str, Resident]:
    db.session.expire_all()
    return {r.name: r for r in db.session.scalars(select(Resident))}


def snapshot() -> tuple[list[Any], list[Any]]:
    """Return every household and resident row with every column, updated_at included."""
    db.session.expire_all()
    households = db.session.execute(
        select(Household.__table__).order_by(Household.__table__.c.id)
    ).all()
    people = db.session.execute(select(Resident.__table__).order_by(Resident.__table__.c.id)).all()
    return [tuple(r) for r in households], [tuple(r) for r in people]


def count_rows() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Household.id))) or 0,
        db.session.scalar(select(func.count(Resident.id))) or 0,
    )


GOOD_ROWS = [
    ["幸福小区", "3号楼", 1, 502, "张秀英", 1948, 13800138000, "是", "否", "chronic_illness", "是"],
    ["幸福小区", "3号楼", 1, 502, "李建国", 1945.0, "", "否", "否", "", "否"],
    ["幸福小区", "3号楼", "2单元", "1502", "王芳", "", "139 1234 5678", "no", "yes", "", "yes"],
]


def test_xlsx_import_creates_households_and_residents(secretary_client: Any, place: Any) -> None:
    response = upload(secretary_client, xlsx([ZH_HEADERS, *GOOD_ROWS]), "roster.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert "<strong>3</strong> imported" in page
    assert "<strong>0</strong> rejected" in page
    assert "Households created: 2" in page

    people = residents()
    assert set(people) == {"张秀英", "李建国", "王芳"}
    zhang = people["张秀英"]
    assert zhang.phone == "+8613800138000"
    assert zhang.birth_year == 1948
    assert zhang.lives_alone is True and zhang.has_smartphone is False
    assert zhang.sms_consent is True and zhang.care_flags == ["chronic_illness"]
    assert people["李建国"].phone is None and people["李建国"].birth_year == 1945
    assert zhang.household_id == people["李建国"].household_id
    wang = people["王芳"]
    assert wang.phone == "+8613912345678" and wang.has_smartphone is True
    assert (wang.household.unit, wang.household.room, wang.household.floor) == ("2", "1502", 15)
    assert zhang.household.floor == 5
    assert zhang.household.building_id == place["building"].id

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
    assert entry is not None and entry.subject_type == "roster"
    assert entry.actor_id == place["secretary"].id
    assert "imported=3" in entry.detail and "households_created=2" in entry.detail


def _planner_rows(table: str) -> float:
    found = db.session.scalar(
        text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}
    )
    return float(found)


def test_a_large_import_is_known_to_the_planner_at_once(
    secretary_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a sheet of ANALYSE_FROM_ROWS rows or more is followed by an ANALYZE of
    the roster, so what is used next (lists, a mobilisation) is planned with the rows it
    brought (SQLite keeps no statistics: there the import only has to work)."""
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:  # the statistics from before the import
        db.session.execute(text("ANALYZE resident, household"))
        db.session.commit()
        assert _planner_rows("resident") <= 0
    monkeypatch.setattr(roster_import, "ANALYSE_FROM_ROWS", 3)
    upload(secretary_client, xlsx([ZH_HEADERS, *GOOD_ROWS[:2]]), "roster.xlsx")
    if postgresql:  # two rows: under the mark, nothing analysed
        assert _planner_rows("resident") <= 0
    response = upload(secretary_client, xlsx([ZH_HEADERS, *GOOD_ROWS]), "roster.xlsx")
    assert "<strong>1</strong> imported" in response.get_data(as_text=True)
    assert count_rows() == (2, 3)
    if postgresql:  # three rows: the mark; now known
        assert _planner_rows("resident") == 3
        assert _planner_rows("household") == 2


def test_utf8_csv_with_english_headers_and_semicolons(secretary_client: Any) -> None:
    rows = [
        EN_HEADERS,
        [
            "幸福小区",
            "3号楼",
            "1",
            "301",
            "Zhao Lei",
            "1960",
            "13800138001",
            "no",
            "yes",
            "",
            "yes",
        ],
    ]
    data = csv_text(rows, delimiter=";").encode("utf-8-sig")
    # English headers in any case and spacing; a very long file name is no reason to refuse.
    data = data.replace(b"birth_year", b"Birth Year").replace(b"phone", b" PHONE ")
    response = upload(secretary_client, data, "名" * 300 + ".csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert residents()["Zhao Lei"].phone == "+8613800138001"
    assert residents()["Zhao Lei"].birth_year == 1960


def test_gbk_csv_with_chinese_headers(secretary_client: Any) -> None:
    rows = [
        ZH_HEADERS,
        ["幸福小区", "3号楼", "1", "402", "欧阳娜娜", "1939", "13800138002", "是", "否", "", "否"],
    ]
    data = csv_text(rows).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test really sends GBK bytes
    response = upload(secretary_client, data, "花名册.csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    person = residents()["欧阳娜娜"]
    assert person.birth_year == 1939 and person.lives_alone is True


def test_tab_separated_csv_with_title_line(secretary_client: Any) -> None:
    rows = [
        ["幸福小区居民花名册"],
        ZH_HEADERS,
        ["幸福小区", "3", "1", "601", "孙丽", "", "", "", "", "", ""],
    ]
    response = upload(secretary_client, csv_text(rows, "\t").encode("utf-8"), "roster.csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    # "3" found building 3号楼; the row number is the sheet's own.
    assert residents()["孙丽"].household.building.name == "3号楼"
    assert re.search(r"<td[^>]*>3</td>", response.get_data(as_text=True))


def test_importing_the_same_sheet_again_changes_nothing(secretary_client: Any) -> None:
    data = xlsx([ZH_HEADERS, *GOOD_ROWS])
    assert upload(secretary_client, data, "roster.xlsx").status_code == 200
    before = snapshot()
    assert len(before[0]) == 2 and len(before[1]) == 3

    response = upload(secretary_client, data, "roster.xlsx")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>3</strong> unchanged" in page
    assert "<strong>0</strong> imported" in page and "<strong>0</strong> updated" in page
    assert "Households created: 0" in page
    assert snapshot() == before


def test_changed_fields_are_updated_and_listed(
    secretary_client: Any, make: Any, place: Any
) -> None:
    household = make.household(place["building"], unit="1", room="502", contact_name="")
    make.resident(
        household,
        name="张秀英",
        birth_year=1950,
        phone="+8613800138000",
        lives_alone=True,
        care_flags=["dementia"],
    )
    # No lives_alone or care_flags columns: those fields must stay as they are.
    rows = [
        ["小区", "楼栋", "单元", "房号", "姓名", "出生年份", "手机", "联系人", "联系电话"],
        ["幸福小区", "3号楼", "1", "502", "张秀英", "1948", "13900139000", "李明", "13800138009"],
    ]
    response = upload(secretary_client, xlsx(rows), "roster.xlsx")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>1</strong> updated" in page
    assert "Birth year" in page and "Phone" in page and "Contact name" in page

    zhang = residents()["张秀英"]
    assert zhang.birth_year == 1948 and zhang.phone == "+8613900139000"
    assert zhang.lives_alone is True and zhang.care_flags == ["dementia"]
    assert zhang.household.contact_name == "李明"
    assert zhang.household.contact_phone == "+8613800138009"
    assert count_rows() == (1, 1)


def test_bad_phone_rejects_only_that_row(secretary_client: Any) -> None:
    rows = [
        ZH_HEADERS,
        GOOD_ROWS[0],
        ["幸福小区", "3号楼", "1", "503", "钱多多", "1950", "12345", "", "", "", ""],
    ]
    response = upload(secretary_client, xlsx(rows), "roster.xlsx")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>1</strong> imported" in page and "<strong>1</strong> rejected" in page
    assert "is not a valid phone number" in page
    assert set(residents()) == {"张秀英"}
    assert count_rows() == (1, 1)  # the rejected row's household was not created


def test_bad_birth_year_and_yes_no_are_rejected(secretary_client: Any) -> None:
    rows = [
        ZH_HEADERS,
        ["幸福小区", "3号楼", "1", "503", "钱一", "19x0", "", "", "", "", ""],
        ["幸福小区", "3号楼", "1", "504", "钱二", "1950", "", "maybe", "", "", ""],
        ["幸福小区", "3号楼", "1", "505", "", "1950", "", "", "", "", ""],
        ["幸福小区", "3号楼", "1", "506", "长" * 51, "1950", "", "", "", "", ""],
    ]
    page = upload(secretary_client, xlsx(rows), "roster.xlsx").get_data(as_text=True)
    assert "<strong>4</strong> rejected" in page
    assert "is not a year" in page
    assert "should be yes or no" in page
    assert "Name is required" in page
    assert "at most 50 characters" in page
    assert count_rows() == (0, 0)


def test_unknown_building_without_a_grid_is_rejected(
    secretary_client: Any, make: Any, place: Any
) -> None:
    # Two grids: the sheet must say which one a new building goes to.
    make.grid(place["community"])
    rows = [
        ZH_HEADERS,
        ["幸福小区", "9号楼", "1", "101", "周六", "", "", "", "", "", ""],
        ["别的小区", "3号楼", "1", "101", "周七", "", "", "", "", "", ""],
    ]
    page = upload(secretary_client, xlsx(rows), "roster.xlsx").get_data(as_text=True)
    assert "<strong>2</strong> rejected" in page
    assert page.count("Unknown building") == 2 and "网格" in page
    assert "Nothing was saved" in page
    assert count_rows() == (0, 0)
    assert db.session.scalar(select(func.count(Building.id))) == 1


def test_duplicate_in_sheet_is_rejected(secretary_client: Any) -> None:
    rows = [
        ZH_HEADERS,
        GOOD_ROWS[0],
        GOOD_ROWS[1],
        ["幸福小区", "3号楼", "1单元", "502", "张秀英", "1949", "", "", "", "", ""],
    ]
    page = upload(secretary_client, xlsx(rows), "roster.xlsx").get_data(as_text=True)
    assert "<strong>2</strong> imported" in page and "<strong>1</strong> rejected" in page
    assert "Duplicate of row 2" in page
    assert residents()["张秀英"].birth_year == 1948


def test_conflicting_household_contact_is_rejected(secretary_client: Any) -> None:
    headers = ["小区", "楼栋", "单元", "房号", "姓名", "联系人"]
    rows = [
        headers,
        ["幸福小区", "3号楼", "1", "502", "甲", "李明"],
        ["幸福小区", "3号楼", "1", "502", "乙", ""],
        ["幸福小区", "3号楼", "1", "502", "丙", "王强"],
    ]
    page = upload(secretary_client, xlsx(rows), "roster.xlsx").get_data(as_text=True)
    assert "<strong>2</strong> imported" in page
    assert "differs from row 2" in page
    assert residents()["甲"].household.contact_name == "李明"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["小区", "楼栋", "姓名"], ["幸福小区", "3号楼", "张三"]], "房号/room"),
        ([["foo", "bar"], ["幸福小区", "3号楼"]], "No known column headers"),
        (
            [["小区", "楼栋", "房号", "姓名", "姓名"], ["幸福小区", "3号楼", "1", "a", "b"]],
            "appears twice",
        ),
        ([ZH_HEADERS], "no rows to import"),
    ],
)
def test_wrong_columns_import_nothing(secretary_client: Any, rows: Any, message: str) -> None:
    response = upload(secretary_client, xlsx(rows), "roster.xlsx")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_rows() == (0, 0)
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_too_large_upload_gets_413_page(secretary_client: Any) -> None:
    data = b"a" * (10 * 1024 * 1024 + 1)
    response = upload(secretary_client, data, "roster.csv")
    assert response.status_code == 413
    assert "larger than 10 MB" in response.get_data(as_text=True)
    assert count_rows() == (0, 0)


def test_too_many_rows_is_refused(secretary_client: Any) -> None:
    from services.roster.importing import MAX_ROWS

    line = "幸福小区,3号楼,1,502,张三\r\n"
    data = ("小区,楼栋,单元,房号,姓名\r\n" + line * (MAX_ROWS + 1)).encode("utf-8")
    response = upload(secretary_client, data, "roster.csv")
    assert response.status_code == 422
    assert f"more than {MAX_ROWS} rows" in response.get_data(as_text=True)
    assert count_rows() == (0, 0)


@pytest.mark.parametrize(
    "data",
    [
        csv_text([ZH_HEADERS, GOOD_ROWS[0]]).encode("utf-16"),  # starts b"\xff\xfe"
        bytes(range(128, 256)) * 10,
    ],
)
def test_csv_in_unknown_encoding_is_refused(secretary_client: Any, data: bytes) -> None:
    response = upload(secretary_client, data, "roster.csv")
    assert response.status_code == 422
    assert "neither UTF-8 nor GBK" in response.get_data(as_text=True)
    assert count_rows() == (0, 0)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"not a zip at all", "roster.xlsx", "not a readable .xlsx workbook"),
        (b"\xd0\xcf\x11\xe0 old excel", "roster.xls", "Old-style .xls"),
        (b"hello", "roster.pdf", "Please upload an .xlsx or .csv file"),
        (xlsx([ZH_HEADERS, GOOD_ROWS[0]]), "roster.csv", "named as CSV"),
    ],
)
def test_other_files_are_refused(
    secretary_client: Any, data: bytes, filename: str, message: str
) -> None:
    response = upload(secretary_client, data, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_rows() == (0, 0)


def test_no_file_or_empty_file(secretary_client: Any) -> None:
    response = secretary_client.post(URL, data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Please choose a sheet" in response.get_data(as_text=True)
    response = upload(secretary_client, b"", "roster.csv")
    assert response.status_code == 422
    assert "The file is empty" in response.get_data(as_text=True)


def test_html_in_names_is_stored_as_text_and_shown_escaped(secretary_client: Any) -> None:
    name = "<script>alert(1)</script>"
    rows = [
        ZH_HEADERS,
        ["幸福小区", "3号楼", "1", "502", name, "", "", "", "", "", ""],
        ["<b>小区</b>", "3号楼", "1", "502", "<img src=x>", "", "", "", "", "", ""],
    ]
    response = upload(secretary_client, xlsx(rows), "<i>roster</i>.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x&gt;" in page and "&lt;b&gt;小区&lt;/b&gt;" in page
    assert "&lt;i&gt;roster&lt;/i&gt;" in page
    assert "<script>alert" not in page and "<img src=x>" not in page and "<b>小区" not in page
    assert name in residents()


def test_import_page_shows_form_and_templates_round_trip(secretary_client: Any) -> None:
    page = secretary_client.get(URL)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'accept=".xlsx,.csv"' in body and 'enctype="multipart/form-data"' in body
    assert "/secretary/roster/template.csv" in body and "/secretary/roster/template.xlsx" in body

    template_csv = secretary_client.get("/secretary/roster/template.csv")
    assert template_csv.status_code == 200
    assert template_csv.data.startswith(b"\xef\xbb\xbf")
    assert template_csv.data.decode("utf-8-sig").startswith("小区,楼栋,单元,楼层,房号,姓名")
    assert "attachment" in template_csv.headers["Content-Disposition"]

    template_xlsx = secretary_client.get("/secretary/roster/template.xlsx")
    assert template_xlsx.status_code == 200
    # The example row of either template imports as it is, and both describe the same row.
    # The workbook's three sheets: a resident, a post and a partner unit.
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx.data))
    assert workbook.sheetnames == ["居民", "岗位", "共建单位"]
    assert workbook["岗位"]["A1"].value == "岗位" and workbook["共建单位"]["A1"].value == "单位名称"
    response = upload(secretary_client, template_xlsx.data, "template.xlsx")
    assert "<strong>3</strong> imported" in response.get_data(as_text=True)
    response = upload(secretary_client, template_csv.data, "template.csv")
    assert "<strong>1</strong> unchanged" in response.get_data(as_text=True)
    example = residents()["张秀英"]
    assert example.phone == "+8613800138000"
    assert example.household.contact_phone == "+8613900139000"
    assert example.id_number_last4 == "002X" and len(example.id_number_hash or "") == 64
    head = db.session.scalar(select(Post).where(Post.role == "building_head"))
    assert head.person.name == "王建华" and head.building.name == "3号楼"
    assert (
        db.session.scalar(select(PartnerUnit.kind).where(PartnerUnit.name == "区供电局")) == "机关"
    )
    # Again: everything is already there.
    again = upload(secretary_client, template_xlsx.data, "template.xlsx").get_data(as_text=True)
    assert "<strong>3</strong> unchanged" in again and "Nothing was saved" in again


@pytest.mark.parametrize("role", ["building_head", "resident", "none"])
def test_non_staff_get_404(client: Any, make: Any, place: Any, role: str) -> None:
    person = make.person()
    if role == "building_head":
        make.post(person, "building_head", community=place["community"], building=place["building"])
    elif role == "resident":
        household = make.household(place["building"])
        make.resident(household, name=person.name, phone=person.phone, person_id=person.id)
    sign_in(client, person.phone)
    assert client.get(URL).status_code == 404
    assert client.get("/secretary/roster/template.csv").status_code == 404
    response = upload(client, xlsx([ZH_HEADERS, GOOD_ROWS[0]]), "roster.xlsx")
    assert response.status_code == 404
    assert count_rows()[1] == (1 if role == "resident" else 0)


def test_strangers_are_sent_to_sign_in(client: Any, place: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_secretary_of_another_community_cannot_import_here(
    client: Any, make: Any, place: Any
) -> None:
    other = make.community()
    make.grid(other)
    outsider = make.person()
    make.post(outsider, "secretary", community=other)
    client.set_cookie("linli_lang", "en")
    sign_in(client, outsider.phone)

    # Their own import creates the building in their own community, never in this one.
    page = upload(client, xlsx([ZH_HEADERS, GOOD_ROWS[0]]), "roster.xlsx").get_data(as_text=True)
    assert "<strong>1</strong> imported" in page
    db.session.expire_all()
    assert db.session.scalar(select(Resident)).household.building.community_id == other.id
    db.session.execute(Resident.__table__.delete())
    db.session.execute(Household.__table__.delete())
    db.session.commit()
    response = upload(
        client,
        xlsx([ZH_HEADERS, GOOD_ROWS[0]]),
        "roster.xlsx",
        community=str(place["community"].id),
    )
    assert response.status_code == 404
    assert client.get(f"{URL}?community={place['community'].id}").status_code == 404
    assert count_rows() == (0, 0)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_templates_cannot_carry_formulas(
    secretary_client: Any, monkeypatch: pytest.MonkeyPatch, payload: str
) -> None:
    # The templates hold only our own example, but they write through the same safe cells.
    monkeypatch.setitem(roster_template.TEMPLATE_EXAMPLE, "name", payload)
    monkeypatch.setitem(roster_template.TEMPLATE_EXAMPLE, "contact_name", "联系" + payload)
    template_csv = secretary_client.get("/secretary/roster/template.csv")
    check_csv(template_csv.data, [payload])
    assert "'联系" not in template_csv.data.decode("utf-8-sig")
    check_xlsx(secretary_client.get("/secretary/roster/template.xlsx").data, [payload])


SHARED_STRINGS_OVERRIDE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
SHARED_STRINGS_REL = (
    '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml" Id="rId9"/>'
)


def with_shared_string(base: bytes, size: int, *, packs: bool = True) -> bytes:
    """Return the workbook with a shared strings part holding one string of `size` letters.

    Written with zipfile directly and deflated, in chunks: a 150 MB string of one letter packs
    to ~150 KB; with `packs=False` the letters are random hex digits, which pack about 2:1.
    """
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            text = source.read(item.filename).decode()
            if item.filename == "[Content_Types].xml":
                text = text.replace("</Types>", SHARED_STRINGS_OVERRIDE + "</Types>")
            if item.filename == "xl/_rels/workbook.xml.rels":
                text = text.replace("</Relationships>", SHARED_STRINGS_REL + "</Relationships>")
            if item.filename == "xl/worksheets/sheet1.xml":
                # The first data row's name is the shared string.
                inline = '<c r="E2" t="inlineStr"><is><t>张秀英</t></is></c>'
                assert inline in text
                text = text.replace(inline, '<c r="E2" t="s"><v>0</v></c>')
            target.writestr(item.filename, text)
        with target.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            part.write(b"<si><t>")
            chunk = b"a" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                part.write(chunk if packs else os.urandom(len(chunk) // 2).hex().encode())
            part.write(b"</t></si></sst>")
    return out.getvalue()


def understate(archive: bytes, name: str, size: int) -> bytes:
    """Return the zip with `name`'s unpacked size declared as `size` (a forged directory)."""
    data = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as original:
        local = original.getinfo(name).header_offset
        central = original.start_dir  # type: ignore[attr-defined]
    assert data[local : local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, size)
    while data[central : central + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, central + 28)
        if data[central + 46 : central + 46 + name_length] == name.encode():
            struct.pack_into("<I", data, central + 24, size)
        central += 46 + name_length + extra_length + comment_length
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as forged:
        assert forged.getinfo(name).file_size == size
    return bytes(data)


TOO_LARGE = "too large once unpacked"


def test_a_shared_string_bomb_is_refused_at_once_in_little_memory(secretary_client: Any) -> None:
    """The issue's case: a ~150 KB .xlsx whose shared strings unpack to 150 MB."""
    bomb = with_shared_string(xlsx([ZH_HEADERS, GOOD_ROWS[0]]), 150 * 1024 * 1024)
    assert len(bomb) < 400 * 1024
    started = time.monotonic()
    response = upload(secretary_client, bomb, "roster.xlsx")
    assert time.monotonic() - started < 1
    assert response.status_code == 422 and TOO_LARGE in response.get_data(as_text=True)
    assert count_rows() == (0, 0)
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
    tracemalloc.start()
    try:
        with pytest.raises(roster_import.SheetRejected, match=TOO_LARGE):
            roster_import.read_sheet("roster.xlsx", bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def test_the_refusal_is_in_chinese(client: Any, place: Any) -> None:
    sign_in(client, place["secretary"].phone)
    bomb = with_shared_string(xlsx([ZH_HEADERS, GOOD_ROWS[0]]), 40 * 1024 * 1024)
    page = upload(client, bomb, "roster.xlsx").get_data(as_text=True)
    assert "这个工作簿解压后太大" in page


@pytest.mark.parametrize(
    "change",
    [
        # Too many parts, each small.
        lambda base: many_parts(base, roster_sheets.MAX_XLSX_ENTRIES + 1),
        # Under the part limit, but packed far tighter than any sheet.
        lambda base: with_shared_string(base, 8 * 1024 * 1024),
    ],
)
def test_other_oversized_archives_are_refused(secretary_client: Any, change: Any) -> None:
    response = upload(secretary_client, change(xlsx([ZH_HEADERS, GOOD_ROWS[0]])), "roster.xlsx")
    assert response.status_code == 422 and TOO_LARGE in response.get_data(as_text=True)
    assert count_rows() == (0, 0)


def many_parts(base: bytes, count: int) -> bytes:
    out = io.BytesIO(base)
    with zipfile.ZipFile(out, "a") as archive:
        for number in range(count):
            archive.writestr(f"customXml/item{number}.xml", "<a/>")
    return out.getvalue()


def test_an_archive_that_understates_a_size_cannot_unpack_more(secretary_client: Any) -> None:
    # zipfile stops at the declared size and fails the checksum: the check can trust it.
    forged = understate(
        with_shared_string(xlsx([ZH_HEADERS, GOOD_ROWS[0]]), 40 * 1024 * 1024),
        "xl/sharedStrings.xml",
        1024,
    )
    tracemalloc.start()
    try:
        with pytest.raises(roster_import.SheetRejected, match=r"not a readable \.xlsx"):
            roster_import.read_sheet("roster.xlsx", forged)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024
    assert count_rows() == (0, 0)


def test_the_largest_cell_the_check_allows_is_read_in_bounded_memory(
    secretary_client: Any,
) -> None:
    # 15 MB of random digits in the name cell: under the part limit, packed only 2:1.
    sheet = with_shared_string(xlsx([ZH_HEADERS, GOOD_ROWS[0]]), 15 * 1024 * 1024, packs=False)
    tracemalloc.start()
    try:
        page = upload(secretary_client, sheet, "roster.xlsx").get_data(as_text=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "Name is at most 50 characters" in page and count_rows() == (0, 0)
    assert peak < 45 * 1024 * 1024


def test_a_large_ordinary_workbook_passes_the_archive_check() -> None:
    """The limits leave room for MAX_ROWS rows of every column, as openpyxl writes them."""
    header = [aliases[0] for aliases in roster_import.COLUMNS.values()]
    example = roster_template.TEMPLATE_EXAMPLE
    rows = [header]
    for number in range(roster_import.MAX_ROWS):
        values = {**example, "room": str(1000 + number), "name": f"张秀英{number}"}
        values["phone"] = str(13800000000 + number)
        rows.append([values[name] for name in roster_import.COLUMNS])
    roster_sheets._check_archive(xlsx(rows))
