"""SMS segments counted as the network does; text cut to a channel's limit."""

from __future__ import annotations

import time

import pytest
from redis import Redis

from notify import segments
from notify.ratelimit import SendRate
from tests.support import RedisServer


@pytest.mark.parametrize(
    ("text", "encoding", "count", "remaining"),
    [
        ("", "GSM-7", 0, 160),
        ("a" * 160, "GSM-7", 1, 0),
        ("a" * 161, "GSM-7", 2, 145),
        ("[" * 80, "GSM-7", 1, 0),  # extension characters take two septets
        ("[" * 81, "GSM-7", 2, 144),
        ("中" * 70, "UCS-2", 1, 0),
        ("中" * 71, "UCS-2", 2, 63),
        ("中" * 134, "UCS-2", 2, 0),
        ("中" * 135, "UCS-2", 3, 66),
        ("a" * 69 + "é", "GSM-7", 1, 90),
        ("a" * 69 + "中", "UCS-2", 1, 0),
        ("😀" * 35, "UCS-2", 1, 0),  # outside the BMP: two UTF-16 units each
        ("１２３", "UCS-2", 1, 67),  # full-width digits are not GSM-7
    ],
)
def test_count(text: str, encoding: str, count: int, remaining: int) -> None:
    s = segments.count(text)
    assert (s.encoding, s.count, s.remaining) == (encoding, count, remaining)


def test_cost() -> None:
    assert segments.count("中" * 71).cost(0.045) == 0.09


def test_cut_prefers_breaks_and_keeps_everything() -> None:
    text = "第一段。" * 30 + "\n" + "x" * 50
    pieces = segments.cut(text, 40)
    assert all(len(p) <= 40 for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert segments.cut("short", 4096) == ["short"]
    with pytest.raises(ValueError):
        segments.cut("x", 0)


def test_send_rate_is_shared(redis_server: RedisServer) -> None:
    redis = Redis.from_url(redis_server.url)
    # Two "workers" sharing one key: together they get the rate, not twice it.
    a = SendRate(redis, "test:rate", per_second=200)
    b = SendRate(redis, "test:rate", per_second=200)
    started = time.monotonic()
    for _ in range(20):
        a.acquire()
        b.acquire()
    elapsed = time.monotonic() - started
    # Each send sleeps until its slot, 5 ms after the one before whoever took it: 40 sends
    # take at least 39 slots (0.195 s) however slow the machine. Two separate rates would let
    # them through in half that. (How long each waited depends on the machine, so it is not
    # asserted.)
    assert elapsed >= 0.19
    assert SendRate(redis, "test:none", per_second=0).acquire() == 0.0
