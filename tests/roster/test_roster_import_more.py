"""The roster import beyond households: new buildings, posts and partner units sheets, people
found again after a rename (phone, ID number), formula-looking cells, and a truthful report."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from models import Building, Grid, Household, PartnerUnit, Person, Post, Resident, db
from pwa import auth
from services.errors import InvalidInput
from services.roster import operations as roster
from tests.roster.test_roster_import import ZH_HEADERS, place, secretary_client, upload

__all__ = ["place", "secretary_client"]  # fixtures shared with the main import tests

ID_A = "11010519491231002X"  # valid check character
ID_B = "110105194912310021"  # the same number with a wrong check character


def workbook(**sheets: list[list[Any]]) -> bytes:
    """Return an .xlsx with a sheet per keyword, in order (titles may be Chinese)."""
    book = openpyxl.Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        first = False
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADERS = [*ZH_HEADERS, "身份证号"]


def row(name: str, phone: Any = "", id_number: str = "", room: str = "502", **kw: str) -> list[Any]:
    building = kw.get("building", "3号楼")
    return ["幸福小区", building, "1", room, name, "1948", phone, "", "", "", "", id_number]


def people() -> list[Resident]:
    db.session.expire_all()
    return list(db.session.scalars(select(Resident).order_by(Resident.id)))


def test_a_renamed_resident_is_renamed_not_doubled_by_phone(secretary_client: Any) -> None:
    upload(secretary_client, workbook(居民=[HEADERS, row("张秀英", 13800138000)]), "a.xlsx")
    page = upload(
        secretary_client, workbook(居民=[HEADERS, row("张秀瑛", 13800138000)]), "b.xlsx"
    ).get_data(as_text=True)
    assert "<strong>1</strong> updated" in page
    [resident] = people()
    assert resident.name == "张秀瑛"


def test_a_renamed_resident_is_found_by_id_number(secretary_client: Any) -> None:
    upload(secretary_client, workbook(居民=[HEADERS, row("李建国", "", ID_A)]), "a.xlsx")
    page = upload(
        secretary_client, workbook(居民=[HEADERS, row("李建果", "", ID_A.lower())]), "b.xlsx"
    ).get_data(as_text=True)
    assert "<strong>1</strong> updated" in page
    [resident] = people()
    assert resident.name == "李建果" and resident.id_number_last4 == "002X"
    # Only the keyed hash and the last four are stored: never the number.
    stored = db.session.execute(select(Resident.__table__)).one()
    assert ID_A not in repr(tuple(stored)) and ID_A.lower() not in repr(tuple(stored))
    page = secretary_client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert "ending 002X" in page and ID_A not in page


def test_the_id_hash_is_keyed(app: Any) -> None:
    with app.test_request_context():
        one = roster.parse_id_number(ID_A, b"key one")
        two = roster.parse_id_number(ID_A, b"key two")
    assert one is not None and two is not None
    assert one.hash != two.hash and one.last4 == two.last4 == "002X"


def test_two_people_sharing_a_phone_stay_two(secretary_client: Any) -> None:
    upload(secretary_client, workbook(居民=[HEADERS, row("王奶奶", 13800138000)]), "a.xlsx")
    rows = [HEADERS, row("王奶奶", 13800138000), row("王爷爷", 13800138000)]
    page = upload(secretary_client, workbook(居民=rows), "b.xlsx").get_data(as_text=True)
    assert "<strong>1</strong> imported" in page and "<strong>1</strong> unchanged" in page
    assert [r.name for r in people()] == ["王奶奶", "王爷爷"]


def test_bad_id_numbers_are_refused_with_their_row(secretary_client: Any) -> None:
    upload(secretary_client, workbook(居民=[HEADERS, row("甲", "", ID_A, room="101")]), "a.xlsx")
    rows = [
        HEADERS,
        row("乙", "", ID_B),
        row("丙", "", "1.10105194912E+17"),
        row("丁", "", "12345"),
        row("戊", "", ID_A),  # belongs to 甲 in room 101
        row("己", ""),
    ]
    page = upload(secretary_client, workbook(居民=rows), "b.xlsx").get_data(as_text=True)
    assert "<strong>4</strong> rejected" in page and "<strong>1</strong> imported" in page
    assert "last character does not match" in page
    assert "format the column as text" in page
    assert "18 characters" in page
    assert "another household" in page
    assert "4 rows were refused and changed nothing (rows 2, 3, 4, 5)" in page
    assert "Saved." in page
    assert [r.name for r in people()] == ["甲", "己"]


def test_formula_looking_cells(secretary_client: Any) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    sheet.append(row("=1+1", 13800138000))  # a real formula: no value to read
    sheet.append(row("placeholder", "", room="503"))
    # A name typed to look like a formula, kept as text: stored as typed, shown escaped.
    sheet["E3"].value = '=HYPERLINK("http://x","<b>点我</b>")'
    sheet["E3"].data_type = "s"
    out = io.BytesIO()
    book.save(out)
    page = upload(secretary_client, out.getvalue(), "f.xlsx").get_data(as_text=True)
    assert "<strong>1</strong> rejected" in page and "Name is required" in page
    assert "&lt;b&gt;点我&lt;/b&gt;" in page and "<b>点我</b>" not in page
    [resident] = people()
    assert resident.name == '=HYPERLINK("http://x","<b>点我</b>")'


def test_missing_buildings_are_created_once(secretary_client: Any, place: Any) -> None:
    rows = [HEADERS, row("周六", building="7号楼"), row("周七", building="7", room="503")]
    page = upload(secretary_client, workbook(居民=rows), "a.xlsx").get_data(as_text=True)
    assert "Buildings created: 1" in page and "幸福小区 7号楼" in page
    assert "<strong>2</strong> imported" in page
    building = db.session.scalar(select(Building).where(Building.name == "7号楼"))
    assert building.grid_id == place["grid"].id
    assert {h.room for h in building.households} == {"502", "503"}


def test_a_grid_column_places_new_buildings(secretary_client: Any, make: Any, place: Any) -> None:
    make.grid(place["community"], name="第二网格")
    headers = [*HEADERS, "网格"]
    rows = [
        headers,
        [*row("周六", building="8号楼"), "第二网格"],
        [*row("周七", building="9号楼"), "第三网格"],
        [*row("周八", building="10号楼"), ""],  # two grids and none named: refused
    ]
    page = upload(secretary_client, workbook(居民=rows), "a.xlsx").get_data(as_text=True)
    assert "<strong>1</strong> rejected" in page and "Grids created:" in page
    grids = dict(db.session.execute(select(Building.name, Grid.name).join(Grid)).all())
    assert grids["8号楼"] == "第二网格" and grids["9号楼"] == "第三网格" and "10号楼" not in grids


def test_a_bad_cell_creates_no_building(secretary_client: Any) -> None:
    rows = [HEADERS, ["幸福小区", "7号楼", "1", "502", "周六", "1800", "", "", "", "", "", ""]]
    page = upload(secretary_client, workbook(居民=rows), "a.xlsx").get_data(as_text=True)
    assert "<strong>1</strong> rejected" in page and "Nothing was saved" in page
    assert db.session.scalar(select(func.count(Building.id))) == 1


def test_deceased_and_moved_out_rows_are_skipped(secretary_client: Any, place: Any) -> None:
    upload(
        secretary_client,
        workbook(居民=[HEADERS, row("王奶奶", room="501"), row("李先生", room="502")]),
        "a.xlsx",
    )
    today = auth.today()
    by = place["secretary"]
    gran, mover = people()
    roster.mark_deceased(gran, on=today, today=today, by=by)
    roster.mark_moved_out(mover.household, on=today, today=today, by=by)
    db.session.commit()
    # An old sheet: both rows are out of date and change nothing.
    rows = [HEADERS, row("王奶奶", 13800138000, room="501"), row("李先生", room="502")]
    page = upload(secretary_client, workbook(居民=rows), "b.xlsx").get_data(as_text=True)
    assert "<strong>2</strong> skipped" in page
    assert "marked deceased" in page and "marked moved out" in page
    assert "Nothing was saved" in page
    assert people()[0].phone is None and len(people()) == 2
    # A new family in the room the old one left: a new household beside the old record.
    page = upload(
        secretary_client, workbook(居民=[HEADERS, row("新住户", room="502")]), "c.xlsx"
    ).get_data(as_text=True)
    assert "<strong>1</strong> imported" in page and "Households created: 1" in page
    rooms = db.session.execute(
        select(Household.room, Household.moved_out_on).where(Household.room == "502")
    ).all()
    assert sorted(r[1] is None for r in rooms) == [False, True]
    # The old household cannot come back while the new one lives there.
    old = db.session.get(Household, mover.household_id)
    with pytest.raises(InvalidInput, match="502"):
        roster.undo_moved_out(old, by=by)


POST_HEADERS = ["岗位", "姓名", "手机", "网格", "小区", "楼栋", "职责"]
PARTNER_HEADERS = ["单位名称", "类型", "联系人", "联系电话"]


def test_posts_and_partner_units_sheets(secretary_client: Any, place: Any) -> None:
    grid = place["grid"].name
    posts = [
        POST_HEADERS,
        ["楼栋长", "王建华", "13700137000", "", "幸福小区", "3号楼", ""],
        ["Patroller", "刘巡", "13700137001", grid, "", "", "每晚巡逻"],
        ["巡逻员", "刘巡", "13700137001", grid, "", "", ""],  # the same post again
        ["宇航员", "张三", "13700137002", grid, "", "", ""],
        ["书记", "李四", "13700137003", "", "", "", ""],
        ["观察员", "赵五", "", grid, "", "", ""],
        ["楼栋长", "钱六", "13700137004", "", "幸福小区", "99号楼", ""],
        ["观察员", "", "13700137005", grid, "", "", ""],  # a new person needs a name
    ]
    partners = [PARTNER_HEADERS, ["区供电局", "机关", "赵强", "13600136000"], ["", "企业", "", ""]]
    data = workbook(居民=[HEADERS, row("张秀英")], 岗位=posts, 共建单位=partners)
    page = upload(secretary_client, data, "all.xlsx").get_data(as_text=True)
    assert "Unknown post “宇航员”" in page
    assert "assigned on the posts page" in page
    assert "Phone is required" in page
    assert "Unknown building “幸福小区 99号楼”" in page
    assert "give the person&#39;s name" in page or "person's name" in page
    # The refused rows, sheet by sheet.
    assert "(rows Partner units 3; Posts 5, 6, 7, 8, 9)" in page
    held = {
        (p.person.name, p.role)
        for p in db.session.scalars(select(Post).where(Post.role != "secretary"))
    }
    assert held == {("王建华", "building_head"), ("刘巡", "patroller")}
    assert db.session.scalar(select(func.count(Person.id)).where(Person.name == "张三")) == 0
    assert (
        db.session.scalar(select(PartnerUnit.kind).where(PartnerUnit.name == "区供电局")) == "机关"
    )
    # Again, with the unit's kind changed: only that is updated.
    partners[1][1] = "国企"
    again = upload(
        secretary_client,
        workbook(居民=[HEADERS, row("张秀英")], 岗位=posts[:3], 共建单位=partners[:2]),
        "all.xlsx",
    ).get_data(as_text=True)
    assert "<strong>1</strong> updated" in again and "<strong>3</strong> unchanged" in again
    db.session.expire_all()
    assert (
        db.session.scalar(select(PartnerUnit.kind).where(PartnerUnit.name == "区供电局")) == "国企"
    )
    assert db.session.scalar(select(func.count(Post.id)).where(Post.role == "patroller")) == 1


def test_the_report_no_longer_says_nothing_changed_when_rows_were_imported(
    secretary_client: Any,
) -> None:
    rows = [HEADERS, row("张秀英"), row("李建国", "12345")]
    page = upload(secretary_client, workbook(居民=rows), "a.xlsx").get_data(as_text=True)
    assert "Some rows were rejected and changed nothing" not in page
    assert "Saved." in page and "1 rows were refused and changed nothing (rows 3)" in page
    assert [r.name for r in people()] == ["张秀英"]
    secretary_client.set_cookie("linli_lang", "zh")
    again = upload(secretary_client, workbook(居民=rows), "a.xlsx").get_data(as_text=True)
    assert "部分行被拒绝" not in again and "有 1 行被拒绝" in again
    assert "没有保存任何内容" in again
