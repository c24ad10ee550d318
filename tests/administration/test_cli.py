"""`flask --app pwa admin add|list`: the first administrator, idempotent, clear refusals."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import Administrator, Person, Street, db

# The command speaks the deployment's language (BABEL_DEFAULT_LOCALE, Chinese here).
pytestmark = pytest.mark.usefixtures("ctx")


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["admin", *args])


def count(model: Any) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_add_makes_the_person_the_street_and_the_grant_once(app: Flask) -> None:
    first = run(app, "add", "--phone", "139 0000 0001", "--name", "张三", "--street", "城关街道")
    assert first.exit_code == 0, first.output
    assert "added" in first.output
    again = run(app, "add", "--phone", "+8613900000001", "--name", "张三", "--street", "城关街道")
    assert again.exit_code == 0, again.output
    assert "already held" in again.output
    assert (count(Person), count(Street), count(Administrator)) == (1, 1, 1)
    street = db.session.scalar(select(Street))
    assert street is not None and street.name == "城关街道" and street.code == "street-1"
    grant = db.session.scalar(select(Administrator))
    assert grant is not None and grant.street_id == street.id and grant.community_id is None
    assert grant.person.phone == "+8613900000001"

    listed = run(app, "list")
    assert listed.exit_code == 0
    assert "张三" in listed.output and "城关街道 (street-1)" in listed.output


def test_a_street_code_can_be_chosen(app: Flask) -> None:
    result = run(
        app, "add", "--phone", "13900000001", "--name", "张三", "--street", "城关街道",
        "--street-code", "chengguan",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert db.session.scalar(select(Street.code)) == "chengguan"


def test_a_community_administrator(app: Flask, make: Any) -> None:
    community = make.community(code="xiyuan")
    result = run(app, "add", "--phone", "13900000001", "--name", "赵六", "--community", "xiyuan")
    assert result.exit_code == 0, result.output
    db.session.rollback()
    grant = db.session.scalar(select(Administrator))
    assert grant is not None and grant.community_id == community.id and grant.street_id is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phone", "12345", "--name", "张三", "--street", "城关街道"],
         "“12345”不是有效的电话号码。"),
        (["--phone", "13900000001", "--name", "张三", "--community", "nope"],
         "没有简码为“nope”的社区。"),
        (["--phone", "13900000001", "--name", "张三"],
         "请指定一个街道（--street）或一个社区（--community），二者选一。"),
        (["--phone", "13900000001", "--name", "张三", "--street", "城关街道", "--community", "x"],
         "请指定一个街道（--street）或一个社区（--community），二者选一。"),
        (["--phone", "13900000001", "--name", " ", "--street", "城关街道"],
         "请填写姓名。"),
        (["--phone", "13900000001", "--name", "张三", "--street", "城关街道",
          "--street-code", "城关"], "简码为 2–40 个小写字母"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_clearly_and_nothing_is_kept(
    app: Flask, args: list[str], message: str
) -> None:
    result = run(app, "add", *args)
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert (count(Person), count(Street), count(Administrator)) == (0, 0, 0)


def test_a_missing_option_is_named(app: Flask) -> None:
    result = run(app, "add", "--name", "张三", "--street", "城关街道")
    assert result.exit_code != 0 and "--phone" in result.output


def test_list_says_how_to_start_when_there_is_nobody(app: Flask) -> None:
    result = run(app, "list")
    assert result.exit_code == 0 and "admin add" in result.output
