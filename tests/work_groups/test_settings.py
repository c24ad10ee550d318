"""The work group page: pasting the robot's address (checked, kept secret, audited), the test
message that says at once whether WeCom took it, and who may do it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEntry, GridRobot, db
from tests.fakes.wecom import FakeWeCom
from tests.support import sign_in
from tests.work_groups.conftest import World


def _robot(grid_id: int) -> GridRobot | None:
    db.session.expire_all()
    return db.session.get(GridRobot, grid_id)


def test_grid_leader_sets_their_grids_robot_and_sees_only_its_last_four(
    client: FlaskClient, world: World, wecom: FakeWeCom
) -> None:
    sign_in(client, world.other_leader.phone)
    grid = world.other_grid
    page = client.get(f"/work-groups/{grid.id}")
    assert page.status_code == 200 and "第二网格" in page.get_data(as_text=True)
    url = wecom.new_robot()
    response = client.post(f"/work-groups/{grid.id}", data={"webhook_url": f"  {url} "})
    assert response.status_code == 302
    robot = _robot(grid.id)
    assert robot is not None and robot.webhook_url == url
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    key = url.rsplit("=", 1)[1]
    assert key not in html and url not in html
    assert key[-4:] in html
    assert "测试" in html  # the test message button, in Chinese
    [entry] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.startswith("work_group."))
    ).all()
    assert entry.action == "work_group.robot_set" and entry.subject_id == grid.id
    assert entry.actor_id == world.other_leader.id
    assert entry.detail == f"…{key[-4:]}" and key not in entry.detail
    # Replacing and removing are audited too, each with only the last four characters.
    other = wecom.new_robot()
    assert client.post(f"/work-groups/{grid.id}", data={"webhook_url": other}).status_code == 302
    assert client.post(f"/work-groups/{grid.id}/remove").status_code == 302
    assert _robot(grid.id) is None
    actions = list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.startswith("work_group."))
            .order_by(AuditEntry.id)
        )
    )
    assert actions == [
        "work_group.robot_set",
        "work_group.robot_changed",
        "work_group.robot_removed",
    ]


def test_a_bad_address_is_refused_with_a_message_and_nothing_changes(
    client: FlaskClient, world: World, wecom: FakeWeCom
) -> None:
    sign_in(client, world.leader.phone)
    grid = world.grid
    before = _robot(grid.id)
    assert before is not None
    kept = before.webhook_url
    key = "693a91f6-7f0a-4bc4-97a0-0ec2a1fa5aaa"
    for bad in (
        "",
        "https://example.com/cgi-bin/webhook/send?key=" + key,  # another host
        f"{wecom.webhook_base}?key=not-a-key",
        f"{wecom.webhook_base}?key={key}&debug=1",  # anything after the key
        f"{wecom.webhook_base}?token={key}",
        "javascript:alert(1)",
        "x" * 400,
    ):
        response = client.post(f"/work-groups/{grid.id}", data={"webhook_url": bad})
        assert response.status_code == 422, bad
        html = response.get_data(as_text=True)
        assert 'role="alert"' in html
        if bad.startswith("http") and len(bad) < 300:
            assert "企业微信" in html  # the reason, in Chinese
        robot = _robot(grid.id)
        assert robot is not None and robot.webhook_url == kept
    assert (
        db.session.scalar(select(AuditEntry.id).where(AuditEntry.action.startswith("work_group.")))
        is None
    )


def test_the_test_message_reaches_the_group(
    client: FlaskClient, world: World, wecom: FakeWeCom
) -> None:
    sign_in(client, world.leader.phone)
    response = client.post(f"/work-groups/{world.grid.id}/test")
    assert response.status_code == 302
    [message] = wecom.of(world.key)
    assert message["msgtype"] == "text" and "第一网格" in message["content"]
    assert message["mentioned_mobile_list"] is None  # never anyone's phone
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "测试消息已发到工作群" in html


def test_a_failing_test_message_says_what_wecom_answered(
    client: FlaskClient, world: World, wecom: FakeWeCom
) -> None:
    sign_in(client, world.secretary.phone)
    with wecom.lock:
        wecom.keys.clear()  # the robot was removed from the group
    response = client.post(f"/work-groups/{world.grid.id}/test")
    assert response.status_code == 502
    html = response.get_data(as_text=True)
    assert "93000" in html and "invalid webhook url" in html
    assert world.key not in html
    # A grid with no robot yet is told to paste one first.
    response = client.post(f"/work-groups/{world.other_grid.id}/test")
    assert response.status_code == 422
    assert wecom.messages == []


def test_secretary_sees_every_grid_a_leader_only_theirs(
    client: FlaskClient, world: World, wecom: FakeWeCom
) -> None:
    sign_in(client, world.secretary.phone)
    html = client.get("/work-groups").get_data(as_text=True)
    assert "第一网格" in html and "第二网格" in html and world.key[-4:] in html
    assert world.key not in html
    assert client.get(f"/work-groups/{world.other_grid.id}").status_code == 200
    client.post("/sign-out")
    sign_in(client, world.leader.phone)
    html = client.get("/work-groups").get_data(as_text=True)
    assert "第一网格" in html and "第二网格" not in html
    assert client.get(f"/work-groups/{world.other_grid.id}").status_code == 404
    assert (
        client.post(
            f"/work-groups/{world.other_grid.id}", data={"webhook_url": wecom.new_robot()}
        ).status_code
        == 404
    )
    assert client.post(f"/work-groups/{world.other_grid.id}/test").status_code == 404
    assert _robot(world.other_grid.id) is None


def test_building_heads_and_volunteers_do_not_find_the_page(
    client: FlaskClient, world: World, wecom: FakeWeCom, make: Any
) -> None:
    for person in (world.head, world.patrollers[0]):
        sign_in(client, person.phone)
        assert client.get("/work-groups").status_code == 404
        assert client.get(f"/work-groups/{world.grid.id}").status_code == 404
        assert client.post(f"/work-groups/{world.grid.id}/test").status_code == 404
        client.post("/sign-out")
    assert wecom.messages == []
