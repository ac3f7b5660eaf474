"""The dedup rules as a pure function of a fingerprint and the state it read.

``keys_for`` says which keys to read, ``record_keys`` which records the buckets and the
title entry then point to (a second read: a stored story's sketch is kept once, in its
record, not in each of its band buckets), ``decide`` turns what was read into a decision
and the writes to merge back; ``read`` does both reads through any getter. Nothing here
touches storage, so the same rules run in one process
(:class:`pipeline.dedup.Deduplicator`) or spread over N workers, each key read and
merged where it lives.

Order of the rules, first match wins, cheapest and most certain first:

1. ``url``: the canonical URL is known under another story -> merge into it. Known under
   this very story, the text's digest says which case it is:

   * the same text (a replay, a re-poll): index again with the cluster and revision
     recorded the first time (method ``url``), so a replayed topic rewrites the same
     documents instead of re-deciding them, and an indexed story is never turned into a
     merge;
   * a new text (the newsroom corrected the story): a *revision*, indexed over the same
     document with ``revisions`` one higher and ``updated_at`` set (method ``revision``);
   * an older text already superseded (a redelivery of an earlier version, or a text
     fetched before the recorded one that reached dedup after it: stage 1 extracts pages
     concurrently): ``skip``, nothing is emitted, the index keeps the newer text. Which
     text is newer is decided by fetch time (``Fingerprint.fetched``, recorded in the
     URL's ``Version``), by arrival only when a fetch time is unknown or both are equal.
2. ``content``: the same normalized body text -> merge.
3. ``title``: the same normalized title from the same source, published within
   ``title_window`` of each other, *and* near-identical texts (sketch estimate at or
   above ``DedupConfig.title_merge_similarity``) -> merge. A shared title alone is only
   evidence: daily briefings and market reports reuse titles, so other texts under the
   same title fall through to the ``minhash`` rule (same cluster if similar, else new).
4. ``minhash``: a candidate from any band bucket whose sketch estimates Jaccard at or above
   ``threshold`` -> index as a near-duplicate in the best candidate's cluster.
5. otherwise ``new``: index, first of its own cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pipeline.dedup import buckets
from pipeline.dedup.buckets import Member
from pipeline.dedup.fingerprint import RECORD_PREFIX, Fingerprint, record_key, story_ref
from pipeline.dedup.minhash import sketch_similarity
from pipeline.dedup.state import (
    MAX_DIGESTS,
    Entry,
    Version,
    Write,
    decode_version,
    encode,
    encode_owned,
    entry,
    live_entry,
    live_members,
    live_refs,
)
from wire.models import DedupDecision

Action = Literal["index", "merge", "skip"]


@dataclass(frozen=True)
class DedupOutcome:
    """What the caller does with the story.

    * ``action == "index"``: emit the article with ``cluster_id`` and ``duplicate_of``;
    * ``action == "merge"``: index nothing; add ``url`` to the ``urls`` of ``merge_into``
      (``merge_into_time``, the target's story time in epoch seconds, tells which
      index holds it);
    * ``action == "skip"``: emit nothing (an older text of a story already revised).

    ``revision`` and ``updated_at`` (epoch seconds, None before any revision) are what
    the indexed document records of the story's versions.
    """

    decision: DedupDecision
    action: Action
    story_id: str
    url: str
    cluster_id: str
    duplicate_of: str | None = None
    merge_into: str | None = None
    merge_into_time: int | None = None
    revision: int = 1
    updated_at: int | None = None

    @property
    def indexed(self) -> bool:
        return self.action == "index"


def keys_for(fp: Fingerprint) -> list[str]:
    """The keys ``decide`` reads first; route each to the worker that owns it. They
    include every key ``decide`` may write (the story's own record too)."""
    keys = [fp.url_key]
    if fp.content_key:
        keys.append(fp.content_key)
    if fp.title_key:
        keys.append(fp.title_key)
    if fp.sketch is not None:
        keys.append(fp.record_key)
    keys.extend(fp.band_keys)
    keys.extend(fp.legacy_band_keys)
    return keys


def record_keys(fp: Fingerprint, lookups: dict[str, Any], now: datetime) -> list[str]:
    """The records ``decide`` reads second, named by what ``keys_for``'s keys held: those
    of the band members (candidates to verify) and of another story holding our title
    key without a sketch of its own. Empty for most stories (no candidate)."""
    wanted: dict[str, None] = {}
    held = _other(fp, fp.title_key, lookups, now)
    if held is not None and held.sketch is None:
        wanted[record_key(held.story)] = None
    if fp.sketch is not None:
        own = fp.record_key
        for key in fp.band_keys:
            for member in live_refs(key, lookups.get(key), now, fp.config):
                wanted.setdefault(f"{RECORD_PREFIX}:{member.ref}", None)
        wanted.pop(own, None)
    return list(wanted)


def read(fp: Fingerprint, get: Callable[[str], Any], now: datetime) -> dict[str, Any]:
    """What ``decide`` needs, read through ``get`` (``dict.get``, a Table's, a worker's)."""
    lookups = {key: get(key) for key in keys_for(fp)}
    for key in record_keys(fp, lookups, now):
        lookups[key] = get(key)
    return lookups


def _other(
    fp: Fingerprint, key: str | None, lookups: dict[str, Any], now: datetime
) -> Entry | None:
    """The live entry of another story under one of our exact keys."""
    if key is None:
        return None
    found = live_entry(key, lookups.get(key), now, fp.config)
    return found if found is not None and found.story != fp.id else None


def _title_match(
    fp: Fingerprint, lookups: dict[str, Any], now: datetime
) -> tuple[Entry, float | None] | None:
    held = _other(fp, fp.title_key, lookups, now)
    if held is None:
        return None
    if abs(held.published - fp.timestamp) > fp.config.title_window.total_seconds():
        return None
    sketch = held.sketch if held.sketch is not None else _sketch_of(fp, held.story, lookups, now)
    if fp.sketch is None or sketch is None:
        return None  # too short to compare: only an identical body (``content``) merges
    similarity = round(sketch_similarity(fp.sketch, sketch), 4)
    if similarity < fp.config.title_merge_similarity:
        return None  # another story under a reused title (a briefing, a market report)
    return held, similarity


def _record(fp: Fingerprint, key: str, lookups: dict[str, Any], now: datetime) -> Entry | None:
    """The live record under ``key`` (read by ``record_keys``), if it has a sketch."""
    found = live_entry(key, lookups.get(key), now, fp.config)
    return found if found is not None and found.sketch is not None else None


def _sketch_of(fp: Fingerprint, story: str, lookups: dict[str, Any], now: datetime) -> str | None:
    """A story's sketch from its record; None if absent or held by a story sharing its ref."""
    found = _record(fp, record_key(story), lookups, now)
    return found.sketch if found is not None and found.story == story else None


def _members(fp: Fingerprint, lookups: dict[str, Any], now: datetime) -> list[Entry]:
    """Every live band member with its sketch: format-3 members through their records,
    format-2 members (legacy buckets) as stored."""
    found: list[Entry] = []
    refs: set[str] = set()  # a copy shares many buckets with its original: one record each
    for key in fp.band_keys:
        for member in live_refs(key, lookups.get(key), now, fp.config):
            if member.ref in refs:
                continue
            refs.add(member.ref)
            record = _record(fp, f"{RECORD_PREFIX}:{member.ref}", lookups, now)
            if record is not None:
                found.append(record)
    for key in fp.legacy_band_keys:
        found.extend(live_members(key, lookups.get(key), now, fp.config))
    return found


def _best_candidate(
    fp: Fingerprint, lookups: dict[str, Any], now: datetime
) -> tuple[Entry, float] | None:
    """The most similar verified member of any band bucket; ties go to the earliest."""
    if fp.sketch is None:
        return None
    seen: set[str] = set()
    best: tuple[Entry, float] | None = None
    for member in _members(fp, lookups, now):
        if member.story in seen or fp.id in (member.story, member.cluster):
            continue
        seen.add(member.story)
        if member.sketch is None:
            continue
        similarity = sketch_similarity(fp.sketch, member.sketch)
        if similarity < fp.config.threshold:
            continue
        if best is None or (-similarity, *member.rank()) < (-best[1], *best[0].rank()):
            best = (member, similarity)
    return best


def _merge(
    fp: Fingerprint,
    target: Entry,
    method: str,
    similarity: float | None,
    lookups: dict[str, Any],
    now: datetime,
) -> tuple[DedupOutcome, dict[str, Write]]:
    """Record this sighting as another URL of ``target``: pointers from our exact keys."""
    seen = int(now.timestamp())
    pointer = entry(target.story, target.cluster, target.published, seen)
    writes: dict[str, Write] = {fp.url_key: encode(pointer)}  # also refreshes a re-sighted URL
    for key in (fp.content_key, fp.title_key):
        held = live_entry(key, lookups.get(key), now, fp.config) if key else None
        if key and (held is None or held.story == target.story):
            writes[key] = encode(
                pointer._replace(sketch=fp.sketch) if key == fp.title_key else pointer
            )
    outcome = DedupOutcome(
        decision=DedupDecision(method=method, matched_id=target.story, similarity=similarity),
        action="merge",
        story_id=fp.id,
        url=fp.url,
        cluster_id=target.cluster,
        merge_into=target.story,
        merge_into_time=target.published,
    )
    return outcome, writes


def index_writes(
    fp: Fingerprint,
    cluster: str,
    lookups: dict[str, Any],
    now: datetime,
    version: Version | None = None,
) -> dict[str, Write]:
    """Entries of an indexed story: its exact keys (unless another story holds them), its
    record (sketch and cluster, so copies of copies find the cluster) and a reference to
    it in each band bucket. Its URL entry records its versions (the first text when
    ``version`` is None). A sketch is written once, to the record; the title rule reads
    it there."""
    seen = int(now.timestamp())
    version = version or Version(1, 0, (fp.digest,), fp.fetched)
    writes: dict[str, Write] = {
        fp.url_key: encode_owned(entry(fp.id, cluster, fp.timestamp, seen), version)
    }
    for key in (fp.content_key, fp.title_key):
        if key and _other(fp, key, lookups, now) is None:
            writes[key] = encode(entry(fp.id, cluster, fp.timestamp, seen))
    if fp.sketch is not None:
        writes[fp.record_key] = encode(entry(fp.id, cluster, fp.timestamp, seen, fp.sketch))
        bucket = buckets.pack([Member(story_ref(fp.id), seen, cluster == fp.id)])
        for key in fp.band_keys:
            writes[key] = bucket
    return writes


def _cluster(fp: Fingerprint, lookups: dict[str, Any], now: datetime) -> tuple[str, DedupDecision]:
    candidate = _best_candidate(fp, lookups, now)
    if candidate is None:
        return fp.id, DedupDecision(method="new")
    member, similarity = candidate
    decision = DedupDecision(
        method="minhash", matched_id=member.story, similarity=round(similarity, 4)
    )
    return member.cluster, decision


def decide(
    fp: Fingerprint, lookups: dict[str, Any], now: datetime
) -> tuple[DedupOutcome, dict[str, Write]]:
    """Apply the rules to what ``keys_for(fp)`` read (missing keys count as absent).

    Returns the outcome and the writes; merge each write into its key with
    :func:`pipeline.dedup.state.merge` where the key lives.
    """
    by_url = live_entry(fp.url_key, lookups.get(fp.url_key), now, fp.config)
    if by_url is not None and by_url.story != fp.id:
        return _merge(fp, by_url, "url", 1.0, lookups, now)
    version: Version | None = None
    if by_url is not None:  # our own URL: a replay, a revision or a stale redelivery
        cluster = by_url.cluster
        known = decode_version(lookups.get(fp.url_key))
        version = _next_version(fp, known, now)
        if version is None:
            outcome = DedupOutcome(
                decision=DedupDecision(method="url", matched_id=fp.id, similarity=1.0),
                action="skip",
                story_id=fp.id,
                url=fp.url,
                cluster_id=cluster,
            )
            return outcome, {}
        method = "revision" if known is not None and version.revision > known.revision else "url"
        decision = DedupDecision(method=method, matched_id=fp.id, similarity=1.0)
    else:
        by_content = _other(fp, fp.content_key, lookups, now)
        if by_content is not None:
            return _merge(fp, by_content, "content", 1.0, lookups, now)
        by_title = _title_match(fp, lookups, now)
        if by_title is not None:
            return _merge(fp, by_title[0], "title", by_title[1], lookups, now)
        cluster, decision = _cluster(fp, lookups, now)
    outcome = DedupOutcome(
        decision=decision,
        action="index",
        story_id=fp.id,
        url=fp.url,
        cluster_id=cluster,
        duplicate_of=None if cluster == fp.id else cluster,
        revision=version.revision if version else 1,
        updated_at=(version.updated or None) if version else None,
    )
    return outcome, index_writes(fp, cluster, lookups, now, version)


def _next_version(fp: Fingerprint, known: Version | None, now: datetime) -> Version | None:
    """The versions after seeing ``fp``'s text at its own URL; None for a stale text.

    Texts are ordered by when they were fetched, not by when they got here: stage 1
    extracts pages concurrently, so a version fetched seconds earlier can arrive later,
    and a redelivery can come after its digest left the list. A new text fetched before
    the recorded latest one is stale, never a revision. When either fetch time is unknown
    (0: state written before fetch times, an article without one) or both are equal, the
    arrival order decides, as it did before. State written before versions were recorded
    (``known`` None) counts the text as the first: an upgrade never invents a revision.
    """
    if known is None or not known.digests:
        return Version(1, 0, (fp.digest,), fp.fetched)
    if fp.digest == known.digests[-1]:  # the same text again: a replay or a re-poll
        return known._replace(fetched=max(known.fetched, fp.fetched))
    if fp.digest in known.digests:
        return None  # an older text, redelivered after a newer one was recorded
    if fp.fetched and known.fetched and fp.fetched < known.fetched:
        return None  # fetched before the recorded text: a late or redelivered older one
    digests = (*known.digests, fp.digest)[-MAX_DIGESTS:]
    return Version(known.revision + 1, int(now.timestamp()), digests, fp.fetched)
