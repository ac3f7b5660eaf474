"""Dedup state: JSON values under string keys, merged so that N writers converge.

The caller owns the storage: any ``MutableMapping[str, Any]`` (a dict in tests, a faust
Table backed by RocksDB in production). Values are JSON-serializable, short field names
because there are millions of them:

* exact keys (``url:``, ``content:``, ``title:``) hold one entry, the story that owns
  the key: ``{"i": id, "c": cluster if not id, "t": published, "s": seen, "k": sketch}``
  (``k`` only where it is used: title entries and band members);
* band keys (``lsh:NN:hash``) hold a list of such entries, at most ``max_bucket``;
* ``urls:<story id>`` holds the URLs a story was seen under (``u``, at most
  ``MAX_URLS``), so a merged sighting can extend the indexed story's ``urls``.

Writes are never blind puts: :func:`merge` is the only way a value changes, applied at
the worker that owns the key. It is a join: commutative, associative and idempotent
(up to expiry), so two workers writing the same key in either order end with the same
value and nothing is lost. Where two *different* stories both claim to be first for the
same thing, the merge keeps the one with the earliest ``(published, id)`` and reports a
:class:`Conflict`: the trace of a race that the reads could not see (see the package
docstring). A story's own entries can only move from "head of my cluster" to "member of
an earlier cluster", never back, which is what makes corrections converge.

Expiry is by processing time (``s``, when we last saw the story): that is what bounds
the state. Matching windows by story time (the title rule's 7 days) are the rules'.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict, cast

from pipeline.dedup.fingerprint import DedupConfig
from pipeline.dedup.minhash import sketch_similarity


class Entry(TypedDict):
    i: str
    t: int
    s: int
    c: NotRequired[str]
    k: NotRequired[str]
    u: NotRequired[list[str]]


@dataclass(frozen=True)
class Conflict:
    """Two stories both indexed as first of the same thing: ``loser`` must follow ``winner``.

    ``method`` says how they are the same: for ``url``/``content``/``title`` the loser is
    an exact copy (merge its URLs into the winner, drop its document); for ``minhash`` it
    is a near-duplicate (give it the winner's cluster). Reported once per key where the
    two met, so a caller de-duplicates corrections by ``(winner, loser)``.
    """

    key: str
    winner: str
    loser: str
    method: str
    similarity: float | None = None


def corrections(conflicts: Iterable[Conflict]) -> list[Conflict]:
    """One correction per (winner, loser), the strongest evidence first: an exact copy is
    merged away, which settles the near-duplicate conflicts the same pair also raised."""
    strength = {"url": 0, "content": 1, "title": 2, "minhash": 3}
    best: dict[tuple[str, str], Conflict] = {}
    for conflict in conflicts:
        pair = (conflict.winner, conflict.loser)
        known = best.get(pair)
        if known is None or strength[conflict.method] < strength[known.method]:
            best[pair] = conflict
    return sorted(best.values(), key=lambda c: (c.winner, c.loser))


def entry(
    story_id: str, cluster: str, published: int, seen: int, sketch: str | None = None
) -> Entry:
    """A state entry; ``c`` is left out for the common case of a story heading its cluster."""
    value: Entry = {"i": story_id, "t": published, "s": seen}
    if cluster != story_id:
        value["c"] = cluster
    if sketch is not None:
        value["k"] = sketch
    return value


def cluster_of(value: Entry) -> str:
    return value.get("c", value["i"])


def is_head(value: Entry) -> bool:
    return cluster_of(value) == value["i"]


def rank(value: Entry) -> tuple[int, str]:
    return (value["t"], value["i"])


def is_band_key(key: str, config: DedupConfig) -> bool:
    return key.startswith(config.lsh_namespace + ":")


def method_of(key: str, config: DedupConfig) -> str:
    return "minhash" if is_band_key(key, config) else key.split(":", 1)[0]


def _timestamp(now: datetime) -> int:
    return int(now.timestamp())


def _alive(value: Entry, now: int, window_seconds: float) -> bool:
    return now - value["s"] <= window_seconds


def live_entry(key: str, value: Any, now: datetime, config: DedupConfig) -> Entry | None:
    """The entry under an exact key, or None when absent or expired (lookups ignore those)."""
    if not isinstance(value, dict):
        return None
    found = cast(Entry, value)
    if not _alive(found, _timestamp(now), config.window(key).total_seconds()):
        return None
    return found


def live_members(key: str, value: Any, now: datetime, config: DedupConfig) -> list[Entry]:
    """The unexpired members of a band bucket."""
    if not isinstance(value, list):
        return []
    limit, ts = config.window(key).total_seconds(), _timestamp(now)
    members = [cast(Entry, m) for m in value if isinstance(m, dict)]
    return [m for m in members if _alive(m, ts, limit)]


def _same_story(first: Entry, second: Entry) -> Entry:
    """Two versions of one story's entry, combined the same way in either order.

    A pointer into another cluster beats a head claim (demotion is one-way); otherwise the
    smaller cluster id and time win, for determinism. ``s`` is the latest sighting."""
    chosen = min(first, second, key=lambda e: (is_head(e), cluster_of(e), e["t"]))
    merged: Entry = cast(Entry, dict(chosen))
    merged["s"] = max(first["s"], second["s"])
    sketches = [e["k"] for e in (first, second) if "k" in e]
    if sketches:
        merged["k"] = min(sketches)
    return merged


def _merge_exact(
    key: str, current: Entry | None, incoming: Entry, config: DedupConfig
) -> tuple[Entry, list[Conflict]]:
    if current is None:
        return incoming, []
    if current["i"] == incoming["i"]:
        return _same_story(current, incoming), []
    winner, loser = sorted((current, incoming), key=rank)
    return winner, [Conflict(key, winner["i"], loser["i"], method_of(key, config))]


def _bucket_conflicts(
    key: str, current: list[Entry], incoming: list[Entry], config: DedupConfig
) -> list[Conflict]:
    """Two cluster heads similar enough to be one cluster: neither saw the other."""
    conflicts = []
    for new in incoming:
        if not is_head(new) or "k" not in new:
            continue
        for old in current:
            if old["i"] == new["i"] or not is_head(old) or "k" not in old:
                continue
            similarity = sketch_similarity(new["k"], old["k"])
            if similarity >= config.threshold:
                winner, loser = sorted((old, new), key=rank)
                conflicts.append(Conflict(key, winner["i"], loser["i"], "minhash", similarity))
    return conflicts


def _cap(members: Iterable[Entry], limit: int) -> list[Entry]:
    """Keep cluster heads first, then the most recently seen; stored in a canonical order."""
    kept = sorted(members, key=lambda m: (not is_head(m), -m["s"], m["t"], m["i"]))[:limit]
    return sorted(kept, key=rank)


def merge(
    key: str, current: Any, incoming: Any, now: datetime, config: DedupConfig
) -> tuple[Any, list[Conflict]]:
    """The new value of ``key`` after a write of ``incoming``, and any race it reveals.

    Call this where the key lives (the worker owning its partition), with the current
    value read there, and store the result: ``state[key] = value``.
    """
    if is_band_key(key, config):
        old = live_members(key, current, now, config)
        new = live_members(key, incoming, now, config)
        conflicts = _bucket_conflicts(key, old, new, config)
        by_id = {m["i"]: m for m in old}
        for member in new:
            known = by_id.get(member["i"])
            by_id[member["i"]] = member if known is None else _same_story(known, member)
        return _cap(by_id.values(), config.max_bucket), conflicts
    fresh = live_entry(key, incoming, now, config)
    if fresh is None:
        return current, []
    return _merge_exact(key, live_entry(key, current, now, config), fresh, config)


MAX_URLS = 50
"""URLs remembered per story: enough for every real syndication, bounded for a spammer."""


def merge_urls(current: Any, story_id: str, urls: Iterable[str], now: datetime) -> Entry:
    """``urls:<story_id>`` after adding ``urls``: a set union, so writers converge too."""
    known: list[str] = list(current["u"]) if isinstance(current, dict) and "u" in current else []
    for url in urls:
        if url not in known and len(known) < MAX_URLS:
            known.append(url)
    return {"i": story_id, "t": 0, "s": _timestamp(now), "u": known}


def apply_writes(
    state: MutableMapping[str, Any],
    writes: dict[str, Any],
    now: datetime,
    config: DedupConfig,
) -> list[Conflict]:
    """Merge every write into a local state (single process, or one worker's keys)."""
    conflicts: list[Conflict] = []
    for key, incoming in writes.items():
        value, found = merge(key, state.get(key), incoming, now, config)
        if value is not None and value != []:
            state[key] = value  # reassign: faust Tables persist on assignment only
        conflicts.extend(found)
    return conflicts


def prune(key: str, value: Any, now: datetime, config: DedupConfig) -> Any:
    """``value`` without its expired parts; None when nothing is left (delete the key)."""
    if is_band_key(key, config):
        members = live_members(key, value, now, config)
        return members or None
    return live_entry(key, value, now, config)


def sweep(state: MutableMapping[str, Any], now: datetime, config: DedupConfig) -> int:
    """Drop expired entries; returns how many keys were deleted.

    Run it from a timer on each worker: with a faust Table, iteration covers only the
    partitions this worker owns, which is exactly what it may modify. Only the keys that
    change are collected, so memory stays proportional to what expired.
    """
    changes: dict[str, Any] = {}
    for key, value in state.items():
        pruned = prune(key, value, now, config)
        if pruned != value:
            changes[key] = pruned
    deleted = 0
    for key, pruned in changes.items():
        if pruned is None:
            del state[key]
            deleted += 1
        else:
            state[key] = pruned
    return deleted


def json_size(key: str, value: Any) -> int:
    """Bytes of one key and its value as compact JSON: what a JSON-serialized table stores."""
    encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return len(key.encode("utf-8")) + len(encoded.encode("utf-8"))
