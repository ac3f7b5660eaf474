"""A token bucket per API key, in this process's memory.

Each key may make ``burst`` requests at once, then ``rate`` per second. The buckets are
per process: behind a load balancer with N replicas a key gets up to N times the rate,
so set the rate per replica (docs/api.md). Buckets exist only for configured key names,
so their number is bounded by the configuration, never by what clients send.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, updated)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, name: str) -> float:
        """Take one token for ``name``: 0.0 when allowed, else seconds until one is due."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.get(name, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - updated) * self.rate)
            if tokens >= 1.0:
                self._buckets[name] = (tokens - 1.0, now)
                return 0.0
            self._buckets[name] = (tokens, now)
            return (1.0 - tokens) / self.rate


def retry_after(wait: float) -> str:
    """``Retry-After`` in whole seconds, never 0 (a client retrying at once is refused)."""
    return str(max(1, math.ceil(wait)))
