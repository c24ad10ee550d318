"""Phone and ID-card numbers in free text are masked by one function (services/privacy.py)."""

from __future__ import annotations

import pytest

from services.privacy import mask_personal_numbers


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("13912345678", "139****5678"),
        ("电话：139 1234 5678。", "电话：139****5678。"),
        ("tel 139-1234-5678", "tel 139****5678"),
        ("+86 139 1234 5678", "139****5678"),
        ("+8613912345678", "139****5678"),
        ("0086 139 1234 5678", "139****5678"),
        ("１３９１２３４５６７８", "139****5678"),  # full-width digits from an input method
        ("座机010-62345678", "座机010****5678"),
        ("(021)62345678", "021****5678"),
        ("身份证610502194501011234", "身份证610*************34"),
        ("61050219450101123X", "610*************3X"),
        ("身份证 610502 19450101 123x", "身份证 610*************3x"),
        ("老身份证610502450101123", "老身份证610**********23"),
    ],
)
def test_numbers_are_masked(text: str, shown: str) -> None:
    assert mask_personal_numbers(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "3号楼1单元501室，2楼",
        "2026-05-06 10:00 去医院",
        "买两斤鸡蛋，5元",
        "共12345678901234567890件",  # no phone, no ID: too long to be one
    ],
)
def test_other_text_is_left_as_typed(text: str) -> None:
    assert mask_personal_numbers(text) == text


def test_nothing_gives_nothing() -> None:
    assert mask_personal_numbers(None) == "" and mask_personal_numbers("") == ""
