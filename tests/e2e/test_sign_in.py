"""Signing in through the real pages, as each kind of person, lands on their own home."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.conftest import Visitor, World


def test_sign_in_fields_suit_phones(visitor: Visitor, world: World) -> None:
    page = visitor.page
    visitor.go("/sign-in")
    phone = page.locator("#phone")
    assert phone.get_attribute("type") == "tel"
    assert phone.get_attribute("autocomplete") == "tel"
    # A label names the field, for screen readers and bigger tap areas.
    assert page.locator("label[for=phone]").count() == 1

    phone.fill(world.people["secretary"].phone)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    code = page.locator("#code")
    assert code.get_attribute("autocomplete") == "one-time-code"
    assert code.get_attribute("inputmode") == "numeric"


@pytest.mark.parametrize(
    ("role", "home", "expected"),
    [
        ("secretary", "/area", lambda w: [w.community_name, "第一网格"]),
        ("staff", "/area", lambda w: [w.community_name, "第一网格"]),
        ("grid_leader", "/area", lambda w: ["第一网格"]),
        ("building_head", "/area", lambda w: [w.building_label]),
        ("patroller", "/my/work", lambda w: ["张伟的职责", "第一网格"]),
        ("resident", "/me", lambda w: ["孙桂兰", "孙大爷", "501"]),
    ],
    ids=["secretary", "staff", "grid_leader", "building_head", "patroller", "resident"],
)
def test_each_role_lands_on_its_home(
    visitor: Visitor,
    world: World,
    role: str,
    home: str,
    expected: Callable[[World], list[str]],
) -> None:
    someone = world.people[role]
    visitor.sign_in(someone.phone)
    page = visitor.page
    assert page.url == visitor.base_url + home, page.url
    assert page.locator(".topbar .who").inner_text() == someone.name
    text = page.locator("main").inner_text()
    for wanted in expected(world):
        assert wanted in text, f"{wanted!r} not on {home}:\n{text}"


def test_wrong_code_is_refused_and_says_so(visitor: Visitor, world: World) -> None:
    page = visitor.page
    visitor.go("/sign-in")
    page.fill("#phone", world.people["patroller"].phone)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    right = visitor.code_from_inbox(world.people["patroller"].phone)
    wrong = "000000" if right != "000000" else "111111"
    page.fill("#code", wrong)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    assert page.url == visitor.base_url + "/sign-in/code"
    assert page.locator("#code-error").is_visible()
    assert page.locator("#code").get_attribute("aria-invalid") == "true"
    assert page.locator(".topbar .who").count() == 0
    # The right code still works afterwards.
    page.fill("#code", right)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    assert page.url == visitor.base_url + "/my/work"


def test_sign_out(visitor: Visitor, world: World) -> None:
    visitor.sign_in_quickly(world.people["building_head"].phone)
    page = visitor.page
    visitor.go("/area")
    assert page.locator(".topbar .who").inner_text() == world.people["building_head"].name
    with page.expect_navigation():
        page.click(".topbar form[action='/sign-out'] button")
    assert page.locator(".topbar .who").count() == 0
    visitor.go("/area")
    assert "/sign-in" in page.url
