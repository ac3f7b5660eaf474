"""The keys a connector has already emitted, kept in its cursor: one bounded memory.

A source that lists its recent items on every poll (a feed, a timeline, an API page)
needs to remember what it sent, so that the next poll emits only what is new. The
memory must be bounded (it is saved with the cursor after every poll) and the bound
must never drop a key the source can still list: a forgotten key that is still listed
goes out again. So:

- ``Seen``: keys in recency order. ``add`` returns whether the key is new and marks a
  known one as just seen again, so the keys the source still lists are always the most
  recent ones, and trimming to ``limit`` drops only keys the source stopped listing,
  provided ``limit`` is at least what one poll can list (``Seen.bound``).
- ``StampedSeen``: keys with a time (an event time, a publication date); keys older
  than a floor cannot come back and are pruned, and at most ``limit`` newest are kept.

Both round-trip through JSON lists in the cursor (``to_cursor`` / ``from_cursor``);
entries of another type in a saved cursor are ignored rather than trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class Seen:
    """Keys already emitted, most recently seen last, saved as at most ``limit`` keys."""

    def __init__(self, keys: Iterable[str] = (), *, limit: int) -> None:
        self.limit = limit
        self._keys: dict[str, None] = dict.fromkeys(keys)

    @staticmethod
    def bound(default: int, *listed: int | None) -> int:
        """The limit to use: ``default``, raised to what one poll can list (``listed``:
        the source's ``max_entries``, the length of the feed just read, ...)."""
        return max([default, *(n for n in listed if n)])

    @classmethod
    def from_cursor(cls, value: Any, *, limit: int) -> Seen:
        """The memory saved by ``to_cursor`` (a JSON list of strings)."""
        keys = value if isinstance(value, list) else []
        return cls((k for k in keys if isinstance(k, str)), limit=limit)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def add(self, key: str) -> bool:
        """Remember ``key`` as seen now; True when it was not known before."""
        new = key not in self._keys
        if not new:
            del self._keys[key]  # re-inserted at the end: seen again just now
        self._keys[key] = None
        return new

    def to_cursor(self) -> list[str]:
        """The ``limit`` most recently seen keys, oldest first (a JSON list)."""
        keys = list(self._keys)
        return keys[-self.limit :] if len(keys) > self.limit else keys


class StampedSeen:
    """Keys with a time (int), pruned below a floor and bounded to the ``limit`` newest."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self._stamps: dict[str, int] = {}

    @classmethod
    def from_cursor(cls, value: Any, *, limit: int) -> StampedSeen:
        """Read ``[[stamp, key], ...]`` or ``{key: stamp}`` (both JSON forms in use)."""
        seen = cls(limit=limit)
        pairs: Iterable[tuple[Any, Any]] = value.items() if isinstance(value, dict) else ()
        if isinstance(value, list):
            pairs = [(e[1], e[0]) for e in value if isinstance(e, list) and len(e) == 2]
        for key, stamp in pairs:
            if isinstance(stamp, int) and not isinstance(stamp, bool):
                seen.add(str(key), stamp)
        return seen

    def __contains__(self, key: object) -> bool:
        return key in self._stamps

    def add(self, key: str, stamp: int) -> None:
        """Remember ``key`` at ``stamp``; a key seen again keeps its latest stamp."""
        known = self._stamps.get(key)
        self._stamps[key] = stamp if known is None else max(known, stamp)

    def pairs(self, floor: int | None = None) -> list[tuple[int, str]]:
        """(stamp, key) with ``stamp >= floor``, oldest first, at most ``limit`` newest."""
        kept = sorted((t, k) for k, t in self._stamps.items() if floor is None or t >= floor)
        return kept[-self.limit :] if len(kept) > self.limit else kept
