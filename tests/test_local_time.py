"""Dates and times shown in the community's zone: the fast numeric path agrees with Babel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_babel import format_datetime

from pwa import i18n


@pytest.mark.parametrize("fmt", sorted(i18n.NUMERIC_PATTERNS))
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 31, 16, 5, 9, tzinfo=UTC),  # already 1 January in Shanghai
        datetime(2026, 3, 1, 2, 0, 0, tzinfo=UTC).replace(tzinfo=None),  # naive: stored UTC
    ],
)
def test_numeric_patterns_match_babel(app: Flask, fmt: str, moment: datetime) -> None:
    with app.test_request_context():
        assert i18n.local_time(moment, fmt) == format_datetime(moment, fmt)


def test_other_patterns_and_none(app: Flask) -> None:
    with app.test_request_context():
        moment = datetime(2026, 12, 31, 16, 5, tzinfo=UTC)
        assert i18n.local_time(moment, "yyyy") == "2027"
        assert i18n.local_time(None) == ""
        assert i18n.local_time(moment) == "2027-01-01 00:05"
