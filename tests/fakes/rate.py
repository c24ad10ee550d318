"""A provider's call limit as the template SMS services count it: calls in the last second."""

from __future__ import annotations

import threading
import time
from collections import deque


class CallsPerSecond:
    """Take a call if fewer than `limit` were taken in the second before it (a sliding
    window: two calls 10 ms apart are two calls in one second, even across a clock second's
    edge, where a window per clock second let both through)."""

    def __init__(self) -> None:
        self._taken: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self, limit: float) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._taken and now - self._taken[0] >= 1.0:
                self._taken.popleft()
            if len(self._taken) >= limit:
                return False
            self._taken.append(now)
            return True
