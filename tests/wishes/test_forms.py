"""The wish forms parse what people type and refuse it with the words the steps use."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from pwa.forms.wishes import FulfilForm, HandBackForm, NewWishForm, RateForm, WithdrawForm
from pwa.steps import Form

pytestmark = pytest.mark.usefixtures("english")


def _form(app: Flask, cls: type[Form], data: dict[str, Any]) -> tuple[bool, Form]:
    with app.test_request_context(method="POST", data=data):
        form = cls()
        ok = form.validate()
        return ok, form


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"category": "bribe", "text": "帮忙"}, "Choose what kind of help is needed."),
        ({"category": "repair", "text": "   "}, "at most 500 characters"),
        ({"category": "repair", "text": "水" * 501}, "at most 500 characters"),
        ({"category": "repair"}, "at most 500 characters"),
    ],
)
def test_a_new_wish_is_refused_with_the_steps_words(
    app: Flask, data: dict[str, Any], message: str
) -> None:
    ok, form = _form(app, NewWishForm, data)
    assert not ok and message in form.first_error()


def test_a_new_wish_is_parsed(app: Flask) -> None:
    ok, form = _form(app, NewWishForm, {"category": "escort", "text": "  陪我去医院 "})
    assert ok and isinstance(form, NewWishForm)
    assert form.typed() == {"category": "escort", "text": "陪我去医院"}
    assert form.photo.data is None


@pytest.mark.parametrize("value", ["", "0", "6", "five", "4.5"])
def test_a_rating_is_a_number_from_1_to_5(app: Flask, value: str) -> None:
    ok, form = _form(app, RateForm, {"rating": value})
    assert not ok and form.first_error() == "Choose a rating from 1 to 5."


def test_a_rating_is_parsed(app: Flask) -> None:
    ok, form = _form(app, RateForm, {"rating": "5"})
    assert ok and isinstance(form, RateForm) and form.rating.data == 5


def test_notes_and_reasons(app: Flask) -> None:
    ok, form = _form(app, FulfilForm, {"note": " "})
    assert not ok and "what was done" in form.first_error()
    ok, form = _form(app, FulfilForm, {"note": " 换了新的 "})
    assert ok and isinstance(form, FulfilForm) and form.note.data == "换了新的"
    ok, form = _form(app, WithdrawForm, {"reason": "太" * 201})
    assert not ok and "at most 200 characters" in form.first_error()
    ok, form = _form(app, WithdrawForm, {"reason": "  已经  修好了 "})
    assert ok and isinstance(form, WithdrawForm) and form.reason.data == "已经 修好了"
    ok, form = _form(app, WithdrawForm, {})
    assert ok and isinstance(form, WithdrawForm) and form.reason.data == ""
    ok, form = _form(app, HandBackForm, {"reason": " 出差 "})
    assert ok and isinstance(form, HandBackForm) and form.reason.data == "出差"
