"""A real community from nothing: `flask admin add`, sign in, create it, its secretary signs in."""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import (
    Administrator,
    AuditEntry,
    Community,
    Person,
    Post,
    Street,
    VisitSettings,
    db,
)
from services.administration import settings
from tests.support import sign_in

pytestmark = pytest.mark.usefixtures("ctx")

ADMIN_PHONE = "13900000001"
SECRETARY_PHONE = "13900000002"


def community_form(**changes: str) -> dict[str, str]:
    form = {
        "name": "新丰路社区",
        "code": "xinfeng-lu",
        "sms_signature": "新丰路社区",
        "quiet_from": "21:30",
        "quiet_until": "07:30",
        "reminder_day": "18",
        "reminder_hour": "10",
        "digest_day": "24",
        "digest_hour": "9",
        "work_order_escalate_hours": "3",
        "wish_repair": "24",
        "wish_errand": "12",
        "wish_escort": "4",
        "wish_paperwork": "48",
        "wish_care": "24",
        "wish_other": "24",
        "secretary_name": "李书记",
        "secretary_phone": SECRETARY_PHONE,
    }
    form.update(changes)
    return form


def add_admin(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["admin", "add", *args])


def test_an_empty_database_becomes_a_working_community(app: Flask, client: FlaskClient) -> None:
    assert db.session.scalar(select(func.count(Community.id))) == 0
    result = add_admin(app, "--phone", ADMIN_PHONE, "--name", "张三", "--street", "城关街道")
    assert result.exit_code == 0, result.output
    assert "张三" in result.output and "城关街道" in result.output

    sign_in(client, "+86" + ADMIN_PHONE)
    home = client.get("/home")
    assert home.status_code == 302 and home.headers["Location"].endswith("/admin")
    page = client.get("/admin").get_data(as_text=True)
    assert "城关街道" in page and "创建社区" in page

    form_page = client.get("/admin/communities/new").get_data(as_text=True)
    # The app's defaults are offered: day 20, hour 9, work orders after 2 hours.
    assert 'name="reminder_day"' in form_page and 'value="20"' in form_page

    response = client.post("/admin/communities/new", data=community_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/admin/communities/xinfeng-lu/settings?created=1")

    if True:
        community = db.session.scalar(select(Community).where(Community.code == "xinfeng-lu"))
        assert community is not None
        assert community.name == "新丰路社区" and community.sms_signature == "【新丰路社区】"
        street = db.session.scalar(select(Street))
        assert street is not None and community.street_id == street.id
        assert community.work_order_escalate_hours == 3.0
        # Only what differs from the app's defaults is kept: escort 4 (default 6).
        assert community.wish_escalation_hours == {"escort": 4.0}
        plan = db.session.get(VisitSettings, community.id)
        assert plan is not None and (plan.reminder_day, plan.digest_day) == (18, 24)
        secretary = db.session.scalar(select(Person).where(Person.phone == "+86" + SECRETARY_PHONE))
        assert secretary is not None and secretary.name == "李书记"
        post = db.session.scalar(select(Post).where(Post.person_id == secretary.id))
        assert post is not None and post.role == "secretary" and post.community_id == community.id
        actions = set(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.community_id == community.id)
            )
        )
        assert {"community.create", "post.assign"} <= actions

    settings_page = client.get("/admin/communities/xinfeng-lu/settings").get_data(as_text=True)
    assert "【新丰路社区】" in settings_page and 'value="21:30"' in settings_page
    assert "李书记" in settings_page
    assert "新丰路社区" in client.get("/admin").get_data(as_text=True)

    # The secretary signs in and finds the community's pages, its settings among them.
    client.post("/sign-out")
    sign_in(client, "+86" + SECRETARY_PHONE)
    home = client.get("/home")
    assert home.status_code == 302
    area = client.get(home.headers["Location"])
    assert area.status_code == 200
    text = area.get_data(as_text=True)
    assert "新丰路社区" in text and "/admin/communities/xinfeng-lu/settings" in text
    for path in ("/secretary/posts", "/secretary/buildings", "/secretary/outbox/inbound"):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/communities/xinfeng-lu/settings").status_code == 200
    # A secretary is no administrator: no list of communities, no new ones.
    assert client.get("/admin").status_code == 404
    assert client.get("/admin/communities/new").status_code == 404
    assert client.post("/admin/communities/new", data=community_form(code="x2")).status_code == 404


def test_the_secretary_changes_settings_and_each_change_is_audited(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    community = make.community(code="xiyuan", name="西园社区")
    secretary = make.person(name="王书记")
    make.post(secretary, "secretary", community=community)
    sign_in(client, secretary.phone)
    response = client.post(
        "/admin/communities/xiyuan/settings",
        data=community_form(
            sms_signature="【西园】", work_order_escalate_hours="5", digest_day="26"
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert community.sms_signature == "【西园】" and community.work_order_escalate_hours == 5.0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "community.settings"))
    assert entry is not None and entry.actor_id == secretary.id
    assert (
        "work_order_escalate_hours: 2.0 → 5.0" in entry.detail
        and "digest_day: 25 → 26" in entry.detail
    )
    assert settings.of(community).digest_day == 26

    # Saving the same values again changes nothing and records nothing.
    client.post(
        "/admin/communities/xiyuan/settings",
        data=community_form(
            sms_signature="【西园】", work_order_escalate_hours="5", digest_day="26"
        ),
    )
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "community.settings")
        )
        == 1
    )
    # Back to the defaults: the community follows the app's settings again.
    client.post(
        "/admin/communities/xiyuan/settings",
        data=community_form(
            sms_signature="西园",
            work_order_escalate_hours="2",
            reminder_day="20",
            reminder_hour="9",
            digest_day="25",
            quiet_from="21:00",
            quiet_until="08:00",
        ),
    )
    db.session.expire_all()
    assert community.work_order_escalate_hours is None
    assert db.session.get(VisitSettings, community.id) is None


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "新丰路"}, "A short code is 2 to 40 lowercase letters"),
        ({"code": "-abc"}, "A short code is 2 to 40 lowercase letters"),
        ({"code": "taken"}, "Another community already has the code “taken”."),
        ({"name": "  "}, "Please give the community's name."),
        ({"sms_signature": "新"}, "An SMS signature is 2 to 12 characters"),
        (
            {"sms_signature": "新丰路社区居民委员会服务中心"},
            "An SMS signature is 2 to 12 characters",
        ),
        (
            {"reminder_day": "29"},
            "Day building heads are reminded: a day of the month from 1 to 28.",
        ),
        (
            {"digest_day": "0"},
            "Day grid leaders get their digest: a day of the month from 1 to 28.",
        ),
        ({"reminder_hour": "24"}, "Hour building heads are reminded: an hour from 0 to 23."),
        (
            {"digest_hour": "nine"},
            "Hour grid leaders get their digest: please enter a whole number.",
        ),
        ({"quiet_from": "25:00"}, "Quiet hours from: a time such as 21:00."),
        ({"quiet_until": "21:30"}, "Quiet hours must start and end at different times."),
        (
            {"work_order_escalate_hours": "0"},
            "Hours before an unclaimed work order goes up: from 0.5 to 168 hours",
        ),
        ({"wish_escort": "200"}, "Hours before an unclaimed wish goes up: Escort or ride"),
        ({"wish_care": "abc"}, "please enter a number of hours."),
        ({"secretary_phone": "12345"}, "is not a valid phone number."),
        ({"secretary_phone": ""}, "Give the secretary's mobile phone too, or neither."),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_kept(
    app: Flask, client: FlaskClient, make: Any, changes: dict[str, str], message: str
) -> None:
    make.community(code="taken")
    assert (
        add_admin(app, "--phone", ADMIN_PHONE, "--name", "张三", "--street", "城关街道").exit_code
        == 0
    )
    sign_in(client, "+86" + ADMIN_PHONE)
    form = community_form(**changes)
    response = client.post("/admin/communities/new", data=form)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert message in page, page
    # What was typed is still in the form.
    assert f'value="{form["name"]}"' in page or not form["name"].strip()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Community.id))) == 1
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_a_community_administrator_runs_their_community_and_creates_none(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    mine = make.community(code="mine", name="我的社区")
    make.community(code="theirs", name="别人的社区")
    result = add_admin(app, "--phone", ADMIN_PHONE, "--name", "赵六", "--community", "mine")
    assert result.exit_code == 0, result.output
    sign_in(client, "+86" + ADMIN_PHONE)
    page = client.get("/admin").get_data(as_text=True)
    assert "我的社区" in page and "别人的社区" not in page and "/admin/communities/new" not in page
    assert client.get("/admin/communities/new").status_code == 404
    assert client.get("/admin/communities/theirs/settings").status_code == 404
    assert client.get("/admin/communities/nope/settings").status_code == 404
    response = client.post(
        "/admin/communities/mine/secretary", data={"name": "钱书记", "phone": SECRETARY_PHONE}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "钱书记" in client.get("/admin/communities/mine/settings").get_data(as_text=True)
    grant_entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "admin.grant"))
    assert grant_entry is not None and grant_entry.community_id == mine.id


def test_a_street_administrator_administers_every_community_of_the_street(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    assert (
        add_admin(app, "--phone", ADMIN_PHONE, "--name", "张三", "--street", "城关街道").exit_code
        == 0
    )
    street = db.session.scalar(select(Street))
    assert street is not None
    make.community(code="old-one", name="老社区", street_id=street.id)
    make.community(code="elsewhere", name="外街社区")
    sign_in(client, "+86" + ADMIN_PHONE)
    page = client.get("/admin").get_data(as_text=True)
    assert "老社区" in page and "外街社区" not in page
    assert client.get("/admin/communities/old-one/settings").status_code == 200
    assert client.get("/admin/communities/elsewhere/settings").status_code == 404


def test_nobody_else_opens_the_administrators_pages(client: FlaskClient, make: Any) -> None:
    assert client.get("/admin").status_code == 302  # strangers sign in first
    resident = make.person(name="居民")
    sign_in(client, resident.phone)
    for path in ("/admin", "/admin/communities/new", "/admin/texts"):
        assert client.get(path).status_code == 404, path
    assert db.session.scalar(select(func.count(Administrator.id))) == 0


def test_a_code_typed_in_capitals_is_kept_in_lowercase(app: Flask, client: FlaskClient) -> None:
    assert (
        add_admin(app, "--phone", ADMIN_PHONE, "--name", "张三", "--street", "城关街道").exit_code
        == 0
    )
    sign_in(client, "+86" + ADMIN_PHONE)
    response = client.post(
        "/admin/communities/new",
        data=community_form(
            code=" XinFeng-Lu ", sms_signature="【新丰路】", secretary_name="", secretary_phone=""
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    community = db.session.scalar(select(Community))
    assert community is not None and community.code == "xinfeng-lu"
    assert community.sms_signature == "【新丰路】"
    # No secretary named yet: the page says so, and one can be named there.
    page = client.get("/admin/communities/xinfeng-lu/settings").get_data(as_text=True)
    assert "尚未指定" in page and "/admin/communities/xinfeng-lu/secretary" in page


def test_a_new_community_is_led_through_its_set_up(app: Flask, client: FlaskClient) -> None:
    """Created, the community's page lists what comes next: its secretary (named or to name),
    their sign-in, the roster's import; each step says when it is done, in Chinese."""
    add_admin(app, "--phone", ADMIN_PHONE, "--name", "张三", "--street", "城关街道")
    sign_in(client, "+86" + ADMIN_PHONE)
    form = community_form(secretary_name="", secretary_phone="")
    response = client.post("/admin/communities/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "社区设置步骤" in page and "请在下方指定书记" in page
    assert "/sign-in" in page and "书记导入花名册" in page
    # The administrator is not the secretary: the import is the secretary's page, not linked.
    assert "/secretary/roster/import" not in page

    client.post("/admin/communities/xinfeng-lu/secretary",
                data={"name": "李书记", "phone": SECRETARY_PHONE})  # fmt: skip
    page = client.get("/admin/communities/xinfeng-lu/settings").get_data(as_text=True)
    assert "已指定书记：李书记。" in page and "请在下方指定书记" not in page

    # The secretary signs in, follows the step to the import, and imports the roster.
    client.post("/sign-out")
    sign_in(client, "+86" + SECRETARY_PHONE)
    page = client.get("/admin/communities/xinfeng-lu/settings").get_data(as_text=True)
    assert 'href="/secretary/roster/import"' in page
    assert client.get("/secretary/roster/import").status_code == 200
    sheet = "小区,楼栋,单元,房号,姓名\r\n新丰小区,1号楼,1,101,王一\r\n新丰小区,2号楼,1,201,王二\r\n"
    imported = client.post(
        "/secretary/roster/import",
        data={"sheet": (io.BytesIO(sheet.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 200, imported.get_data(as_text=True)
    page = client.get("/admin/communities/xinfeng-lu/settings?created=1").get_data(as_text=True)
    assert "社区设置步骤" in page and "花名册已有 1 个网格、2 栋楼、2 户。" in page
    # Set up (a secretary, households), the steps leave the settings page.
    page = client.get("/admin/communities/xinfeng-lu/settings").get_data(as_text=True)
    assert "社区设置步骤" not in page
