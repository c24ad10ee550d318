"""Setting up a community without the demo: grids, buildings in bulk, moving a building,
editing and ending posts and partner units, each saved with a word of what happened."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AuditEntry, Building, Grid, PartnerUnit, Post, db
from pwa import auth
from services.errors import InvalidInput
from services.roster import places
from services.work_orders.audiences import Audience, audience_people
from tests.support import sign_in


@pytest.fixture
def setup(make: Any, client: FlaskClient) -> dict[str, Any]:
    c = make.community()
    secretary = make.person(name="书记")
    make.post(secretary, "secretary", community=c)
    sign_in(client, secretary.phone)
    return {"c": c, "secretary": secretary}


def _buildings(community: Any) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Building.name).where(Building.community_id == community.id).order_by(Building.id)
        )
    )


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("1-12", [f"{n}号楼" for n in range(1, 13)]),
        ("1-12号楼", [f"{n}号楼" for n in range(1, 13)]),
        ("1号楼-3号楼", ["1号楼", "2号楼", "3号楼"]),
        ("1,3,5-7", ["1号楼", "3号楼", "5号楼", "6号楼", "7号楼"]),
        ("１、３，５～６栋", ["1栋", "3栋", "5栋", "6栋"]),
        ("A座, B座", ["A座", "B座"]),
        ("1-3,2", ["1号楼", "2号楼", "3号楼"]),
    ],
)
def test_building_lists_are_read_as_people_write_them(spec: str, names: list[str]) -> None:
    assert places.parse_building_names(spec) == names


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "请填写楼栋"),
        ("12-1", "写反了"),
        ("1-201", "最多 200 栋"),
        ("1-150,151-250", "最多 200 栋"),
    ],
)
def test_bad_building_lists_say_why(app: Any, spec: str, message: str) -> None:
    with (
        app.test_request_context(headers={"Accept-Language": "zh"}),
        pytest.raises(InvalidInput, match=message),
    ):
        places.parse_building_names(spec)


@pytest.mark.parametrize(
    ("text", "units"), [("3", 3), ("每栋3个单元", 3), ("2单元", 2), ("", None)]
)
def test_units_per_building(text: str, units: int | None) -> None:
    assert places.parse_units(text) == units


def test_preview_then_create_in_a_new_community(client: FlaskClient, setup: dict[str, Any]) -> None:
    form = {"compound": "幸福小区", "buildings": "1-12号楼", "units": "每栋3个单元", "grid_id": ""}
    preview = client.post("/secretary/buildings/bulk/preview", data=form)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "幸福小区 共 12 栋" in page and "1号楼、2号楼" in page and "12号楼" in page
    assert "每栋 3 个单元" in page and "第一网格" in page
    assert _buildings(setup["c"]) == []  # a preview writes nothing
    done = client.post("/secretary/buildings/bulk", data=form, follow_redirects=True)
    assert "已创建 12 栋楼" in done.get_data(as_text=True)
    assert _buildings(setup["c"]) == [f"{n}号楼" for n in range(1, 13)]
    grid = db.session.scalar(select(Grid).where(Grid.community_id == setup["c"].id))
    assert grid.name == "第一网格"
    assert {b.units for b in grid.buildings} == {3} and len(grid.buildings) == 12


def test_existing_buildings_are_skipped_and_named(
    client: FlaskClient, setup: dict[str, Any], make: Any
) -> None:
    grid = make.grid(setup["c"], name="第一网格")
    make.building(grid, compound="幸福小区", name="3号楼")
    form = {"compound": "幸福小区", "buildings": "1-4", "units": "", "grid_id": str(grid.id)}
    preview = client.post("/secretary/buildings/bulk/preview", data=form).get_data(as_text=True)
    assert "幸福小区 共 3 栋" in preview and "已存在，将跳过：" in preview
    done = client.post("/secretary/buildings/bulk", data=form, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "已创建 3 栋楼" in text and "跳过 1 栋已存在的楼：3号楼" in text
    assert sorted(_buildings(setup["c"])) == ["1号楼", "2号楼", "3号楼", "4号楼"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"compound": "幸福小区", "buildings": "12-1"}, "写反了"),
        ({"compound": "幸福小区", "buildings": "1-300"}, "最多 200 栋"),
        ({"compound": "幸福小区", "buildings": ""}, "请填写楼栋"),
        ({"compound": "", "buildings": "1-3"}, "小区"),
        ({"compound": "幸福小区", "buildings": "1-3", "units": "很多"}, "每栋单元数"),
    ],
)
def test_bad_bulk_input_creates_nothing(
    client: FlaskClient, setup: dict[str, Any], form: dict[str, str], message: str
) -> None:
    for url in ("/secretary/buildings/bulk/preview", "/secretary/buildings/bulk"):
        response = client.post(url, data=form)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert message in page
        assert form.get("compound", "") in page  # what was typed is kept
    assert _buildings(setup["c"]) == []
    assert db.session.scalar(select(func.count(Grid.id))) == 0


def test_with_several_grids_one_must_be_chosen(
    client: FlaskClient, setup: dict[str, Any], make: Any
) -> None:
    make.grid(setup["c"])
    make.grid(setup["c"])
    response = client.post(
        "/secretary/buildings/bulk", data={"compound": "幸福小区", "buildings": "1-3"}
    )
    assert response.status_code == 422 and "请选择网格" in response.get_data(as_text=True)
    assert _buildings(setup["c"]) == []


def test_add_a_grid_and_move_a_building_with_its_head(
    client: FlaskClient, setup: dict[str, Any], make: Any
) -> None:
    first = make.grid(setup["c"], name="第一网格")
    building = make.building(first, name="3号楼")
    household = make.household(building)
    head = make.person(name="楼栋长")
    post = make.post(head, "building_head", community=setup["c"], building=building)
    done = client.post("/secretary/grids", data={"name": "第二网格"}, follow_redirects=True)
    assert "已添加 第二网格" in done.get_data(as_text=True)
    second = db.session.scalar(select(Grid).where(Grid.name == "第二网格"))
    assert second.number == first.number + 1
    assert client.post("/secretary/grids", data={"name": "第二网格"}).status_code == 422

    page = client.get("/secretary/buildings").get_data(as_text=True)
    assert "调整到其他网格" in page
    # One move form for the page (not one per building): each building once in it.
    assert page.count('name="building_id"') == 1
    buildings = page.split('id="move-building"')[1].split("</select>")[0]
    assert buildings.count(f'<option value="{building.id}"') == 1
    moved = client.post(
        "/secretary/buildings/move",
        data={"building_id": str(building.id), "grid_id": str(second.id)},
        follow_redirects=True,
    )
    assert "已调整到 第二网格" in moved.get_data(as_text=True)
    db.session.expire_all()
    assert building.grid_id == second.id
    assert household.building.grid_id == second.id  # the households follow
    assert post.building_id == building.id and post.grid_id == second.id
    # A grid's work orders now reach the head through the new grid.
    people = audience_people(setup["c"].id, Audience(grids=(second.id,)), auth.today())
    assert head.id in [p.id for p in people]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "building.move"))
    # Moving to the grid it is in, or to another community's grid, is refused.
    move = "/secretary/buildings/move"
    again = client.post(move, data={"building_id": str(building.id), "grid_id": str(second.id)})
    assert again.status_code == 422
    other_community = make.community()
    other = make.grid(other_community)
    elsewhere = client.post(move, data={"building_id": str(building.id), "grid_id": str(other.id)})
    assert elsewhere.status_code == 422
    theirs = make.building(other)
    not_ours = client.post(move, data={"building_id": str(theirs.id), "grid_id": str(first.id)})
    assert not_ours.status_code == 422 and "楼栋不在本社区" in not_ours.get_data(as_text=True)
    # Nothing chosen: told what is missing, the page shown again with what was chosen.
    unchosen = client.post(move, data={"building_id": "", "grid_id": str(first.id)})
    assert unchosen.status_code == 422 and "请选择楼栋" in unchosen.get_data(as_text=True)
    no_grid = client.post(move, data={"building_id": str(building.id), "grid_id": ""})
    text = no_grid.get_data(as_text=True)
    assert no_grid.status_code == 422 and "请选择网格" in text
    assert f'<option value="{building.id}" selected>' in text
    db.session.expire_all()
    assert building.grid_id == second.id
    assert theirs.grid_id == other.id


def test_edit_a_post(client: FlaskClient, setup: dict[str, Any], make: Any) -> None:
    grid = make.grid(setup["c"])
    building = make.building(grid)
    person = make.person(name="王师傅")
    post = make.post(person, "patroller", community=setup["c"], grid=grid, duties="巡逻")
    form = client.get(f"/secretary/posts/{post.id}/edit")
    assert form.status_code == 200 and "王师傅" in form.get_data(as_text=True)
    saved = client.post(
        f"/secretary/posts/{post.id}/edit",
        data={"role": "mediator", "grid_id": str(grid.id), "building_id": "", "duties": "调解"},
        follow_redirects=True,
    )
    assert "已保存 王师傅 的岗位" in saved.get_data(as_text=True)
    db.session.expire_all()
    assert (post.role, post.duties) == ("mediator", "调解")
    # A building head needs a building: refused, nothing changes, what was typed stays.
    refused = client.post(
        f"/secretary/posts/{post.id}/edit",
        data={"role": "building_head", "grid_id": "", "building_id": "", "duties": "新职责"},
    )
    assert refused.status_code == 422 and "新职责" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert post.role == "mediator"
    moved = client.post(
        f"/secretary/posts/{post.id}/edit",
        data={"role": "building_head", "grid_id": "", "building_id": str(building.id)},
    )
    assert moved.status_code == 302
    db.session.expire_all()
    assert (post.building_id, post.grid_id) == (building.id, grid.id)


def test_ending_a_post_asks_first_and_keeps_it(
    client: FlaskClient, setup: dict[str, Any], make: Any
) -> None:
    grid = make.grid(setup["c"])
    person = make.person(name="李观察")
    post = make.post(person, "observer", community=setup["c"], grid=grid)
    listed = client.get("/secretary/posts").get_data(as_text=True)
    assert f"/secretary/posts/{post.id}/edit" in listed and "确认结束此岗位" not in listed
    page = client.get(f"/secretary/posts/{post.id}/edit").get_data(as_text=True)
    assert '<details class="confirm">' in page and "确认结束此岗位" in page
    refused = client.post(f"/secretary/posts/{post.id}/end", data={"ends_on": "not a day"})
    assert refused.status_code == 422 and '<details class="confirm" open>' in refused.get_data(
        as_text=True
    )
    ended = client.post(
        f"/secretary/posts/{post.id}/end",
        data={"ends_on": auth.today().isoformat()},
        follow_redirects=True,
    )
    assert "记录保留在历史中" in ended.get_data(as_text=True)
    assert "李观察" not in client.get("/secretary/posts").get_data(as_text=True)
    assert "李观察" in client.get("/secretary/posts?ended=1").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Post, post.id) is not None


def test_partner_units_are_edited_ended_and_restored(
    client: FlaskClient, setup: dict[str, Any]
) -> None:
    added = client.post(
        "/secretary/partners",
        data={"name": "区供电局", "kind": "机关", "contact_name": "赵", "contact_phone": ""},
        follow_redirects=True,
    )
    assert "已添加共建单位 区供电局" in added.get_data(as_text=True)
    unit = db.session.scalar(select(PartnerUnit).where(PartnerUnit.name == "区供电局"))
    edited = client.post(
        f"/secretary/partners/{unit.id}/edit",
        data={
            "name": "区供电公司",
            "kind": "国企",
            "contact_name": "赵强",
            "contact_phone": "13600136000",
        },
        follow_redirects=True,
    )
    assert "已保存 区供电公司" in edited.get_data(as_text=True)
    db.session.expire_all()
    assert (unit.name, unit.kind, unit.contact_phone) == ("区供电公司", "国企", "+8613600136000")
    bad = client.post(f"/secretary/partners/{unit.id}/edit", data={"name": ""})
    assert bad.status_code == 422
    page = client.get("/secretary/partners").get_data(as_text=True)
    assert '<details class="confirm">' in page and "确认结束“区供电公司”" in page
    future = client.post(f"/secretary/partners/{unit.id}/end", data={"ends_on": "2999-01-01"})
    assert future.status_code == 422
    ended = client.post(
        f"/secretary/partners/{unit.id}/end",
        data={"ends_on": auth.today().isoformat()},
        follow_redirects=True,
    )
    text = ended.get_data(as_text=True)
    assert "区供电公司 已结束" in text and "已结束的共建单位" in text
    db.session.expire_all()
    assert unit.ended_on == auth.today()
    # Gone from the units a work order can go to.
    assert "区供电公司" not in client.get("/work-orders/new").get_data(as_text=True)
    restored = client.post(f"/secretary/partners/{unit.id}/restore", follow_redirects=True)
    assert "已恢复参与" in restored.get_data(as_text=True)
    db.session.expire_all()
    assert unit.ended_on is None
