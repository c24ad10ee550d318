"""A send rate shared by every worker: a GCRA token bucket kept in Redis.

The provider's limit (SMS_RATE_PER_SECOND) holds for all worker processes and threads
together; each send takes a slot and sleeps until its slot comes.
"""

from __future__ import annotations

import time

from redis import Redis

# Reserve the next slot atomically: returns how many microseconds to wait before sending.
_GCRA = """
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', key) or '0')
if tat < now then tat = now end
local wait = tat - now - (burst - 1) * interval
if wait < 0 then wait = 0 end
local new_tat = tat + interval
redis.call('SET', key, new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return wait
"""


class SendRate:
    """Pace sends to `per_second` across processes; 0 means no limit."""

    def __init__(self, redis: Redis, key: str, per_second: float, burst: int = 1) -> None:
        self.redis = redis
        self.key = key
        self.per_second = per_second
        self.burst = max(1, burst)
        self._script = redis.register_script(_GCRA) if per_second > 0 else None

    def acquire(self) -> float:
        """Block until this send may go; return the seconds waited."""
        if self._script is None:
            return 0.0
        interval_us = int(1_000_000 / self.per_second)
        wait_us = int(self._script(keys=[self.key], args=[interval_us, self.burst]))
        if wait_us > 0:
            time.sleep(wait_us / 1_000_000)
        return wait_us / 1_000_000
