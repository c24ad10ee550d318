"""A send rate shared by every worker: a GCRA token bucket kept in Redis.

The provider's limit (SMS_RATE_PER_SECOND) holds for all worker processes and threads
together; each send takes a slot and sleeps until its slot comes.

When Redis fails (down, or no answer within the client's timeout), a send is not held up or
refused for it: the process paces itself alone at the same rate, and leaves Redis alone for
`LOCAL_SECONDS` before trying it again. Nothing is sent twice for it and nothing waits long;
at worst, with several worker processes, the provider sees more than the rate for those
seconds and answers 429, which is retried like any refusal.
"""

from __future__ import annotations

import threading
import time

from redis import Redis
from redis.exceptions import RedisError

LOCAL_SECONDS = 5.0

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
        self._lock = threading.Lock()
        self._local_tat = 0.0  # the process's own next slot (time.monotonic), without Redis
        self._redis_failed_at: float | None = None
        self.redis_failures = 0

    def acquire(self) -> float:
        """Block until this send may go; return the seconds waited."""
        if self._script is None:
            return 0.0
        wait = self._shared_wait()
        if wait is None:
            wait = self._local_wait()
        if wait > 0:
            time.sleep(wait)
        return wait

    def _shared_wait(self) -> float | None:
        """Reserve a slot of the shared rate; None when Redis failed (now or a moment ago)."""
        assert self._script is not None
        failed_at = self._redis_failed_at
        if failed_at is not None and time.monotonic() - failed_at < LOCAL_SECONDS:
            return None
        interval_us = int(1_000_000 / self.per_second)
        try:
            wait_us = int(self._script(keys=[self.key], args=[interval_us, self.burst]))
        except RedisError:
            self._redis_failed_at = time.monotonic()
            self.redis_failures += 1
            return None
        self._redis_failed_at = None
        return wait_us / 1_000_000

    def _local_wait(self) -> float:
        """Reserve the next slot of this process's own pace at the same rate."""
        interval = 1.0 / self.per_second
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._local_tat)
            self._local_tat = slot + interval
        return max(0.0, slot - now)
