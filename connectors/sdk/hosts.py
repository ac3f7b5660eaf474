"""Per-origin politeness for the shared HTTP client.

Every source that fetches from one origin (scheme://host:port) shares its limits: a
minimum interval between requests (raised to the site's Crawl-delay once its robots.txt
was read), a bound on requests in flight, and a pause after the origin answered 429/503
with Retry-After. The origin's robots.txt policy is cached here too.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from connectors.sdk.errors import RetryAfter
from connectors.sdk.robots import RobotsPolicy

MAX_PAUSE = 3600.0  # an origin's Retry-After pauses our other sources at most this long


@dataclass
class Origin:
    """Politeness state of one origin."""

    name: str
    slots: threading.BoundedSemaphore
    """Held for the whole request: bounds the requests in flight."""
    interval: float
    """Seconds between the starts of two requests."""
    next_slot: float = 0.0
    paused_until: float = 0.0
    robots: RobotsPolicy | None = None
    robots_lock: threading.Lock = field(default_factory=threading.Lock)


class Origins:
    """The origins seen so far, created on first use; thread-safe."""

    def __init__(self, interval: float, concurrency: int, max_delay: float) -> None:
        self.interval = interval
        self.concurrency = max(1, concurrency)
        # A Crawl-delay of an hour would park a worker thread that long per request.
        self.max_delay = max_delay
        self._origins: dict[str, Origin] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> Origin:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._lock:
            origin = self._origins.get(key)
            if origin is None:
                slots = threading.BoundedSemaphore(self.concurrency)
                origin = self._origins[key] = Origin(key, slots, self.interval)
            return origin

    def wait_turn(self, origin: Origin) -> None:
        """Sleep until the origin's next slot; ``RetryAfter`` while it asked us to pause."""
        now = time.monotonic()
        if origin.paused_until > now:
            raise RetryAfter(origin.paused_until - now, f"{origin.name} asked us to wait")
        if origin.interval <= 0:
            return
        with self._lock:
            slot = max(now, origin.next_slot)
            origin.next_slot = slot + origin.interval
        if slot > now:
            time.sleep(slot - now)

    def pause(self, origin: Origin, seconds: float) -> None:
        until = time.monotonic() + min(seconds, MAX_PAUSE)
        origin.paused_until = max(origin.paused_until, until)

    def ask_delay(self, origin: Origin, seconds: float | None) -> None:
        """The site's own Crawl-delay: honoured when longer than ours, up to ``max_delay``."""
        origin.interval = max(self.interval, min(seconds or 0.0, self.max_delay))
