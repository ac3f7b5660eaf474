"""The dedup rules as a pure function of a fingerprint and the state it read.

``keys_for`` says which keys to read, ``decide`` turns what was read into a decision and
the writes to merge back. Nothing here touches storage, so the same rules run in one
process (:class:`pipeline.dedup.Deduplicator`) or spread over N workers, each key read
and merged where it lives.

Order of the rules, first match wins, cheapest and most certain first:

1. ``url``: the canonical URL is known under another story -> merge into it. Known under
   this very story -> a replay (or an edit of the same page): index again with the cluster
   recorded the first time, so a replayed topic rewrites the same documents instead of
   re-deciding them, and an indexed story is never turned into a merge.
2. ``content``: the same normalized body text -> merge.
3. ``title``: the same normalized title from the same source, published within
   ``title_window`` of each other (and bodies not wholly unrelated, see
   ``DedupConfig.title_min_similarity``) -> merge.
4. ``minhash``: a candidate from any band bucket whose sketch estimates Jaccard at or above
   ``threshold`` -> index as a near-duplicate in the best candidate's cluster.
5. otherwise ``new``: index, first of its own cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pipeline.dedup.fingerprint import Fingerprint
from pipeline.dedup.minhash import sketch_similarity
from pipeline.dedup.state import (
    Conflict,
    Entry,
    cluster_of,
    entry,
    live_entry,
    live_members,
)
from wire.models import DedupDecision

Action = Literal["index", "merge"]


@dataclass(frozen=True)
class DedupOutcome:
    """What the caller does with the story.

    * ``action == "index"``: emit the article with ``cluster_id`` and ``duplicate_of``;
    * ``action == "merge"``: index nothing; add ``url`` to the ``urls`` of ``merge_into``
      (``merge_into_time``, the target's story time in epoch seconds, tells which monthly
      index holds it).

    ``conflicts`` lists races this story's writes revealed (see :class:`Conflict`).
    """

    decision: DedupDecision
    action: Action
    story_id: str
    url: str
    cluster_id: str
    duplicate_of: str | None = None
    merge_into: str | None = None
    merge_into_time: int | None = None
    conflicts: tuple[Conflict, ...] = ()

    @property
    def indexed(self) -> bool:
        return self.action == "index"


def keys_for(fp: Fingerprint) -> list[str]:
    """Every key ``decide`` reads; route each to the worker that owns it."""
    keys = [fp.url_key]
    if fp.content_key:
        keys.append(fp.content_key)
    if fp.title_key:
        keys.append(fp.title_key)
    keys.extend(fp.band_keys)
    return keys


def _other(
    fp: Fingerprint, key: str | None, lookups: dict[str, Any], now: datetime
) -> Entry | None:
    """The live entry of another story under one of our exact keys."""
    if key is None:
        return None
    found = live_entry(key, lookups.get(key), now, fp.config)
    return found if found is not None and found["i"] != fp.id else None


def _title_match(
    fp: Fingerprint, lookups: dict[str, Any], now: datetime
) -> tuple[Entry, float | None] | None:
    held = _other(fp, fp.title_key, lookups, now)
    if held is None:
        return None
    if abs(held["t"] - fp.timestamp) > fp.config.title_window.total_seconds():
        return None
    similarity = None
    if fp.sketch is not None and "k" in held:
        similarity = round(sketch_similarity(fp.sketch, held["k"]), 4)
        if similarity < fp.config.title_min_similarity:
            return None  # a recurring column under one title, not the same story
    return held, similarity


def _best_candidate(
    fp: Fingerprint, lookups: dict[str, Any], now: datetime
) -> tuple[Entry, float] | None:
    """The most similar verified member of any band bucket; ties go to the earliest."""
    if fp.sketch is None:
        return None
    seen: set[str] = set()
    best: tuple[Entry, float] | None = None
    for key in fp.band_keys:
        for member in live_members(key, lookups.get(key), now, fp.config):
            if member["i"] in seen or member["i"] == fp.id or cluster_of(member) == fp.id:
                continue
            seen.add(member["i"])
            if "k" not in member:
                continue
            similarity = sketch_similarity(fp.sketch, member["k"])
            if similarity < fp.config.threshold:
                continue
            if best is None or (-similarity, member["t"], member["i"]) < (
                -best[1],
                best[0]["t"],
                best[0]["i"],
            ):
                best = (member, similarity)
    return best


def _merge(
    fp: Fingerprint,
    target: Entry,
    method: str,
    similarity: float | None,
    lookups: dict[str, Any],
    now: datetime,
) -> tuple[DedupOutcome, dict[str, Any]]:
    """Record this sighting as another URL of ``target``: pointers from our exact keys."""
    seen = int(now.timestamp())
    pointer = entry(target["i"], cluster_of(target), target["t"], seen)
    writes: dict[str, Any] = {fp.url_key: pointer}  # also refreshes a re-sighted URL
    for key in (fp.content_key, fp.title_key):
        held = live_entry(key, lookups.get(key), now, fp.config) if key else None
        if key and (held is None or held["i"] == target["i"]):
            writes[key] = (
                entry(target["i"], cluster_of(target), target["t"], seen, fp.sketch)
                if key == fp.title_key
                else pointer
            )
    outcome = DedupOutcome(
        decision=DedupDecision(method=method, matched_id=target["i"], similarity=similarity),
        action="merge",
        story_id=fp.id,
        url=fp.url,
        cluster_id=cluster_of(target),
        merge_into=target["i"],
        merge_into_time=target["t"],
    )
    return outcome, writes


def index_writes(
    fp: Fingerprint, cluster: str, lookups: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Entries of an indexed story: its exact keys (unless another story holds them) and
    one member per band bucket, all carrying the cluster so copies of copies find it."""
    seen = int(now.timestamp())
    writes: dict[str, Any] = {fp.url_key: entry(fp.id, cluster, fp.timestamp, seen)}
    for key in (fp.content_key, fp.title_key):
        if key and _other(fp, key, lookups, now) is None:
            sketch = fp.sketch if key == fp.title_key else None
            writes[key] = entry(fp.id, cluster, fp.timestamp, seen, sketch)
    for key in fp.band_keys:
        writes[key] = [entry(fp.id, cluster, fp.timestamp, seen, fp.sketch)]
    return writes


def _cluster(fp: Fingerprint, lookups: dict[str, Any], now: datetime) -> tuple[str, DedupDecision]:
    candidate = _best_candidate(fp, lookups, now)
    if candidate is None:
        return fp.id, DedupDecision(method="new")
    member, similarity = candidate
    decision = DedupDecision(
        method="minhash", matched_id=member["i"], similarity=round(similarity, 4)
    )
    return cluster_of(member), decision


def decide(
    fp: Fingerprint, lookups: dict[str, Any], now: datetime
) -> tuple[DedupOutcome, dict[str, Any]]:
    """Apply the rules to what ``keys_for(fp)`` read (missing keys count as absent).

    Returns the outcome and the writes; merge each write into its key with
    :func:`pipeline.dedup.state.merge` where the key lives.
    """
    by_url = live_entry(fp.url_key, lookups.get(fp.url_key), now, fp.config)
    if by_url is not None and by_url["i"] != fp.id:
        return _merge(fp, by_url, "url", 1.0, lookups, now)
    if by_url is not None:  # our own URL: a replay keeps the cluster decided first
        cluster = cluster_of(by_url)
        decision = DedupDecision(method="url", matched_id=fp.id, similarity=1.0)
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
    )
    return outcome, index_writes(fp, cluster, lookups, now)


def correction_writes(
    loser: Fingerprint, conflict: Conflict, winner_published: int, now: datetime
) -> dict[str, Any]:
    """State writes that make a race's loser follow its winner, for every key it wrote.

    The caller recomputes the loser's fingerprint from its article. Exact conflicts turn
    the loser's keys into pointers to the winner (its later sightings then merge);
    near-duplicate conflicts re-home its entries into the winner's cluster. Merging these
    is idempotent, so sending a correction twice is harmless.
    """
    seen = int(now.timestamp())
    winner = conflict.winner
    if conflict.method != "minhash":
        pointer = entry(winner, winner, winner_published, seen)
        writes: dict[str, Any] = {
            key: pointer for key in (loser.url_key, loser.content_key, loser.title_key) if key
        }
    else:
        writes = {
            key: entry(loser.id, winner, loser.timestamp, seen)
            for key in (loser.url_key, loser.content_key, loser.title_key)
            if key
        }
    for key in loser.band_keys:
        writes[key] = [entry(loser.id, winner, loser.timestamp, seen, loser.sketch)]
    return writes
