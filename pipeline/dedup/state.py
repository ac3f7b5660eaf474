"""Dedup state: named entries in code, compact JSON arrays in storage, merged so writers converge.

The caller owns the storage: any ``MutableMapping[str, Any]`` (a dict in tests, a faust
Table backed by RocksDB and its changelog in production). There are millions of values,
so their stored form is positional, not named; code only sees :class:`Entry`,
:class:`KnownUrls` and :class:`pipeline.dedup.buckets.Member`. State format 3:

* exact keys (``url:``, ``content:``, ``title:``) hold one entry, the story that owns the
  key, stored as ``[story, published, seen]``, then ``sketch`` and ``cluster`` only when
  needed (``[story, published, seen, sketch|null, cluster]`` in full);
* a story's *record* ``sk:<ref>`` (``fingerprint.record_key``) is such an entry with its
  sketch: the one place a stored story's sketch is kept (a title entry carries one only
  when a merged sighting wrote it: the sighting's own text, which has no record);
* band keys (``b:<hash>``) hold a packed string of members, each a story reference, its
  ``seen`` and whether it heads its cluster, at most ``max_bucket`` (:mod:`.buckets`); the
  rules read the records of the members they consider;
* a story's own ``url:`` key also records its *versions* (:class:`Version`), appended
  after the full entry: ``[story, published, seen, sketch|null, cluster|null, revision,
  updated, [digest, ...], fetched]``: how many texts were seen at that URL, when the last
  change was processed, the 12-character digests of the latest few (at most
  ``MAX_DIGESTS``), so a changed text is a revision, the same text a replay, an older
  text a stale redelivery, and when the latest text was fetched, which orders texts that
  reach dedup out of fetch order (``fetched`` is left out when unknown: entries written
  before it, eight values, read as "unknown" and decide by arrival as they did);
* ``urls:<story id>`` holds the URLs a story was seen under, ``[story, seen, [url, ...]]``
  (at most ``MAX_URLS``), so a merged sighting can extend the indexed story's ``urls``.

Earlier formats are still read, so upgrading needs no state reset. Format 1 stored the
same facts as objects with one-letter keys (``{"i": story, "t": published, "s": seen,
"c": cluster, "k": sketch}``, ``"u"`` for the URL list); format 2 is format 3 without
records, its band keys ``lsh:NN:<16 hex>`` (32 bands of 4 rows) holding lists of full
entries, each with its sketch (about 5.9 kB per stored story, against under 1 kB now).
Exact values of either are rewritten in the current form on their next write (a
format-2 title entry keeps its inline sketch until it expires: a join never forgets a
sketch). Format-2 buckets are never written again (new stories go to format-3 keys):
they are read through ``Fingerprint.legacy_band_keys`` and dropped by the sweep when
their members expire, one window after the upgrade at the latest.

Writes are never blind puts: :func:`merge` is the only way a value changes. It is a join
(commutative, associative and idempotent, up to expiry and the bucket cap): two writes
to one key in either order end with the same value and no band member is lost while a
bucket has room. Where two *different* stories
both claim one exact key, the earliest ``(published, story)`` keeps it; a story's own
entries only move from "head of my cluster" to "member of an earlier cluster", never back.

Expiry is by processing time (``seen``, when we last saw the story): that is what bounds
the state. Matching windows by story time (the title rule's 7 days) are the rules'.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, MutableMapping
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from pipeline.dedup import buckets
from pipeline.dedup.buckets import Member
from pipeline.dedup.fingerprint import URLS_PREFIX, DedupConfig


class Entry(NamedTuple):
    """One story under one key. The field order is the stored order (see ``encode``)."""

    story: str  # the story's id
    published: int  # its story time, epoch seconds: orders a race, bounds the title rule
    seen: int  # when it was last seen, epoch seconds: expiry
    sketch: str | None  # its MinHash sketch, where a rule compares it (title, bands)
    cluster: str  # its cluster: the story itself when it heads one

    def is_head(self) -> bool:
        return self.cluster == self.story

    def rank(self) -> tuple[int, str]:
        """The total order a race is settled by: earliest published, then smallest id."""
        return (self.published, self.story)


class KnownUrls(NamedTuple):
    """The URLs a story was seen under (``urls:<story>``)."""

    story: str
    seen: int
    urls: tuple[str, ...]


class Version(NamedTuple):
    """What a story's own URL entry remembers of its texts (see the module docstring)."""

    revision: int  # how many different texts were seen at this URL: 1 for a new story
    updated: int  # when the latest revision was processed, epoch seconds; 0 for the first
    digests: tuple[str, ...]  # digests of the latest texts, newest last
    fetched: int = 0  # when the latest text was (last) fetched, epoch seconds; 0: unknown

    def rank(self) -> tuple[int, int, int, tuple[str, ...]]:
        """The order two records of one story's versions are joined by: the latest wins.
        Every field takes part, so the join is a maximum in a total order (deterministic)."""
        return (self.revision, self.updated, self.fetched, self.digests)


MAX_DIGESTS = 4
"""Texts remembered per URL: a redelivered older version is recognised, not counted."""


Write = list[Any] | str
"""What a rule writes to a key, in stored form (plain JSON, so it could cross a topic): an
encoded entry, or for a band key a packed bucket of the members to add."""


def entry(
    story_id: str, cluster: str, published: int, seen: int, sketch: str | None = None
) -> Entry:
    return Entry(story_id, published, seen, sketch, cluster)


_new_entry = tuple.__new__


def encode(value: Entry) -> list[Any]:
    """The stored form: trailing fields left out when they say nothing (no sketch; the
    story heads its own cluster), so most entries are three values."""
    if not value.is_head():
        return [value.story, value.published, value.seen, value.sketch, value.cluster]
    if value.sketch is not None:
        return [value.story, value.published, value.seen, value.sketch]
    return [value.story, value.published, value.seen]


def encode_owned(value: Entry, version: Version) -> list[Any]:
    """A story's own URL entry with its versions: the full entry, then the version (its
    fetch time only when known, so a version without one keeps the eight-value form)."""
    cluster = None if value.is_head() else value.cluster
    head = [value.story, value.published, value.seen, value.sketch, cluster]
    stored = [*head, version.revision, version.updated, list(version.digests)]
    return [*stored, version.fetched] if version.fetched else stored


def decode_version(value: Any) -> Version | None:
    """The versions recorded in a URL entry, or None (a pointer, or state before them).
    Eight values: written before fetch times were recorded (or without one), fetched 0."""
    if isinstance(value, list | tuple) and len(value) in (8, 9) and isinstance(value[7], list):
        fetched = int(value[8]) if len(value) == 9 else 0
        return Version(int(value[5]), int(value[6]), tuple(value[7]), fetched)
    return None


def decode(value: Any) -> Entry | None:
    """An entry from its stored form (this format or format 1), or None if it is none.

    The hot path of every lookup (a story reads up to a thousand band members), hence
    the entries built with ``tuple.__new__`` rather than the slower named constructor.
    """
    if isinstance(value, list | tuple) and value and isinstance(value[0], str):
        size = len(value)
        if size == 3:
            return _new_entry(Entry, (*value, None, value[0]))
        if size == 4:
            return _new_entry(Entry, (*value, value[0]))
        if size == 5:
            return _new_entry(Entry, value if value[4] is not None else (*value[:4], value[0]))
        if size in (8, 9):  # an owned URL entry with its versions (9: with a fetch time)
            return _new_entry(Entry, (*value[:4], value[4] if value[4] is not None else value[0]))
        return None
    if isinstance(value, dict) and "i" in value:  # format 1
        story: str = value["i"]
        return Entry(story, value["t"], value["s"], value.get("k"), value.get("c") or story)
    return None


def decode_members(value: Any) -> list[Entry]:
    """The members of a band bucket (members in either format; anything else skipped).

    Members carry a sketch, so this format's are four values (a cluster head) or five (a
    member of another cluster): both decoded inline, the hot path of a lookup.
    """
    if not isinstance(value, list):
        return []
    members: list[Entry] = []
    for member in value:
        if type(member) is list and member and type(member[0]) is str:
            if len(member) == 4:
                members.append(_new_entry(Entry, (*member, member[0])))
                continue
            if len(member) == 5 and member[4] is not None:
                members.append(_new_entry(Entry, member))
                continue
        if (decoded := decode(member)) is not None:
            members.append(decoded)
    return members


def encode_urls(value: KnownUrls) -> list[Any]:
    return [value.story, value.seen, list(value.urls)]


def decode_urls(value: Any) -> KnownUrls | None:
    if isinstance(value, list) and len(value) == 3 and isinstance(value[2], list):
        return KnownUrls(value[0], value[1], tuple(value[2]))
    if isinstance(value, dict) and "i" in value:  # format 1
        return KnownUrls(value["i"], value["s"], tuple(value.get("u", ())))
    return None


def is_band_key(key: str, config: DedupConfig) -> bool:
    """A band bucket of either format (see :func:`is_bucket_key`)."""
    return is_bucket_key(key, config) or (
        config.legacy_lsh is not None and key.startswith(config.legacy_lsh[0] + ":")
    )


def is_bucket_key(key: str, config: DedupConfig) -> bool:
    """A format-3 band bucket (packed members); other band keys are format 2's lists."""
    return key.startswith(config.lsh_namespace + ":")


def is_urls_key(key: str) -> bool:
    return key.startswith(URLS_PREFIX + ":")


def _timestamp(now: datetime) -> int:
    return int(now.timestamp())


def _alive(seen: int, now: int, window_seconds: float) -> bool:
    return now - seen <= window_seconds


def live_entry(key: str, value: Any, now: datetime, config: DedupConfig) -> Entry | None:
    """The entry under an exact key, or None when absent or expired (lookups ignore those)."""
    found = decode(value)
    if found is None or not _alive(found.seen, _timestamp(now), config.window(key).total_seconds()):
        return None
    return found


def live_members(key: str, value: Any, now: datetime, config: DedupConfig) -> list[Entry]:
    """The unexpired members of a format-2 band bucket."""
    oldest = _timestamp(now) - config.window(key).total_seconds()
    return [m for m in decode_members(value) if m.seen >= oldest]


def _oldest(key: str, now: datetime, config: DedupConfig) -> int:
    return _timestamp(now) - int(config.window(key).total_seconds())


def live_refs(key: str, value: Any, now: datetime, config: DedupConfig) -> list[Member]:
    """The unexpired members of a format-3 band bucket."""
    oldest = _oldest(key, now, config)
    return [m for m in buckets.unpack(value) if m.seen >= oldest]


def live_urls(key: str, value: Any, now: datetime, config: DedupConfig) -> KnownUrls | None:
    found = decode_urls(value)
    if found is None or not _alive(found.seen, _timestamp(now), config.window(key).total_seconds()):
        return None
    return found


def _same_story(first: Entry, second: Entry) -> Entry:
    """Two versions of one story's entry, combined the same way in either order.

    A pointer into another cluster beats a head claim (demotion is one-way); otherwise the
    smaller cluster id and time win, for determinism. ``seen`` is the latest sighting."""
    chosen = min(first, second, key=lambda e: (e.is_head(), e.cluster, e.published))
    sketches = [e.sketch for e in (first, second) if e.sketch is not None]
    return chosen._replace(
        seen=max(first.seen, second.seen), sketch=min(sketches) if sketches else None
    )


_RANK = itemgetter(1, 0)  # Entry.rank as a sort key: (published, story)


def _cap(members: Iterable[Entry], limit: int) -> list[Entry]:
    """Keep cluster heads first, then the most recently seen; stored in a canonical order."""
    kept = sorted(members, key=lambda m: (m.cluster != m.story, -m.seen, m.published, m.story))
    return sorted(kept[:limit], key=_RANK)


def merge(key: str, current: Any, incoming: Any, now: datetime, config: DedupConfig) -> Any:
    """The stored value of ``key`` after a write of ``incoming`` (a :data:`Write`; an
    :class:`Entry` or a list of them is read too). Call it where the key lives and store
    the result: faust Tables persist on assignment only."""
    if is_bucket_key(key, config):
        joined = buckets.join(
            (buckets.unpack(current), buckets.unpack(incoming)),
            _oldest(key, now, config),
            config.max_bucket,
        )
        return buckets.pack(joined) if joined else None
    if is_band_key(key, config):  # format 2: read and swept, no longer written
        by_id = {m.story: m for m in live_members(key, current, now, config)}
        for member in live_members(key, incoming, now, config):
            known = by_id.get(member.story)
            by_id[member.story] = member if known is None else _same_story(known, member)
        return [encode(m) for m in _cap(by_id.values(), config.max_bucket)]
    fresh = live_entry(key, incoming, now, config)
    if fresh is None:
        return current
    held = live_entry(key, current, now, config)
    if held is None:
        return _encode_versioned(fresh, decode_version(incoming))
    if held.story == fresh.story:
        versions = [v for v in (decode_version(current), decode_version(incoming)) if v]
        latest = max(versions, key=Version.rank) if versions else None
        return _encode_versioned(_same_story(held, fresh), latest)
    if held.rank() <= fresh.rank():
        return _encode_versioned(held, decode_version(current))
    return _encode_versioned(fresh, decode_version(incoming))


def _encode_versioned(value: Entry, version: Version | None) -> list[Any]:
    return encode(value) if version is None else encode_owned(value, version)


def apply_writes(
    state: MutableMapping[str, Any], writes: dict[str, Write], now: datetime, config: DedupConfig
) -> None:
    """Merge every write into a local state (single process, or one worker's keys)."""
    for key, incoming in writes.items():
        value = merge(key, state.get(key), incoming, now, config)
        if value is not None and value != []:
            state[key] = value


MAX_URLS = 50
"""URLs remembered per story: enough for every real syndication, bounded for a spammer."""


def merge_urls(
    current: KnownUrls | None, story_id: str, urls: Iterable[str], now: datetime
) -> KnownUrls:
    """``urls:<story_id>`` after adding ``urls``: a set union, so writers converge too."""
    known: list[str] = list(current.urls) if current is not None else []
    for url in urls:
        if url not in known and len(known) < MAX_URLS:
            known.append(url)
    return KnownUrls(story_id, _timestamp(now), tuple(known))


def _pruned(key: str, value: Any, now: datetime, config: DedupConfig) -> tuple[bool, Any]:
    """Whether ``value`` lost expired parts, and what is left (None: delete the key).

    A value with nothing expired is left as stored, whatever its format: a sweep does
    not rewrite the whole state."""
    if is_bucket_key(key, config):
        alive = live_refs(key, value, now, config)
        return len(alive) != len(buckets.unpack(value)), buckets.pack(alive) if alive else None
    if is_band_key(key, config):
        members = decode_members(value)
        live = live_members(key, value, now, config)
        return len(live) != len(members), [encode(m) for m in live] or None
    if is_urls_key(key):
        urls = live_urls(key, value, now, config)
        return urls is None, None
    return live_entry(key, value, now, config) is None, None


def sweep(state: MutableMapping[str, Any], now: datetime, config: DedupConfig) -> int:
    """Drop expired entries; returns how many keys were deleted.

    Run it from a timer on each worker: with a faust Table, iteration covers only the
    partitions this worker owns, which is exactly what it may modify. Only the keys that
    change are collected, so memory stays proportional to what expired.
    """
    changes: dict[str, Any] = {}
    for key, value in state.items():
        changed, left = _pruned(key, value, now, config)
        if changed:
            changes[key] = left
    deleted = 0
    for key, left in changes.items():
        if left is None:
            del state[key]
            deleted += 1
        else:
            state[key] = left
    return deleted


def json_size(key: str, value: Any) -> int:
    """Bytes of one key and its value as compact JSON: what a JSON-serialized table stores."""
    encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return len(key.encode("utf-8")) + len(encoded.encode("utf-8"))
