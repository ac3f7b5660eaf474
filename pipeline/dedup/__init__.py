"""Dedup: keep the first story, record every other sighting of it (pure rules + state).

Exact duplicates (same canonical URL, same normalized body, same title from the same
source within 7 days) are *merged*: nothing new is indexed, the later URL is added to
the first story's ``urls``. Near-duplicates (syndicated, lightly edited copies) are
indexed in the first story's ``cluster_id`` with ``duplicate_of`` set; search collapses
on the cluster. Every outcome carries a ``DedupDecision`` saying which rule, which story
and how similar. The rules live in :mod:`.rules`, the state format in :mod:`.state`.

Usage, one process::

    dedup = Deduplicator(state)            # dict, or a faust Table (JSON values)
    outcome, article = dedup.check_article(article, now)

Scale-out: why this stays correct with N workers
-------------------------------------------------
``news.raw`` is partitioned by item key (the normalized URL), so two copies of a story
published under different URLs land on different workers. Dedup state is therefore not
kept per worker: every fact is stored under its own key, and each read or write touches
exactly one key:

* ``url:<hash>``, ``content:<hash>``, ``title:<hash of source+title>``: the story owning it;
* ``lsh:<band>:<hash of band rows>`` (32 of them): the stories whose MinHash signature
  agrees on those 4 rows, each with a 64-byte sketch (4 bits per MinHash value) so a
  candidate is verified from the bucket itself, without a second read.

The caller routes each key to the worker owning it, exactly as Kafka routes a record:
a faust Table keyed by these strings, read and written only by an agent consuming a topic
keyed by the same strings (produce ``(key, request)`` records, or ``stream.group_by``),
so table and topic are co-partitioned and each key has one owner at a time. One story
is then a scatter/gather over its 35 keys:

1. ``keys_for(fp)``: send a read request per key to its owner; the owners answer on a
   topic keyed by story id, where a gatherer collects ``lookups`` (all answers in);
2. ``decide(fp, lookups, now)`` -> ``(outcome, writes)``, a pure function;
3. send each write to its owner, which stores ``merge(key, current, write, now)``
   (``apply_writes`` does this for a local mapping).

The fingerprint is deterministic, so the gatherer recomputes it from the article rather
than shipping it. Because ``merge`` is a join (commutative, associative, idempotent),
concurrent writers to a key converge to the same value in any order and no band member is
lost, which blind ``state[key] = value`` puts from different workers would not guarantee;
redelivered writes after a crash are harmless. Expired entries are ignored by reads and
removed by ``sweep``, which each worker runs on its own partitions.

The race, and how it resolves
-----------------------------
Two copies A and B arriving at the same instant on two workers can both read before
either writes: both see nothing and both are indexed as first. Reads cannot prevent
this without a distributed lock; the writes detect it. Both copies write the same key
(identical body: ``content:``; near-duplicate: at least one shared band, with
probability ``1-(1-J^4)^32``, above 0.87 for J >= 0.5), and the key's owner merges
them one after the other: the merge sees two different stories each claiming to be
first, keeps the one with the earliest ``(published_at, id)`` and reports a
``Conflict(winner, loser, method)``. The tie-break is a total order on facts every
worker agrees on, so the winner is the same whichever write lands first, on every
replay. ``corrections(conflicts)`` keeps one per pair (an exact copy beats a
near-duplicate); the caller corrects the loser (merge its URL into the winner and drop
its document, or give it the winner's cluster) and merges ``correction_writes(...)`` so
the loser's later sightings and copies follow the winner. Demotion is one-way (a story
never goes back from member to head), which is what makes repeated corrections converge.
A race is detected whenever sequential processing would have matched the two stories
directly: both need a shared key, and that key's owner sees both writes.

Outside a race the first story *seen* stays first, even if a later copy carries an
earlier ``published_at``: re-homing an indexed cluster is costlier than that inaccuracy.
Replays are idempotent: a story whose URL is already recorded under its own id is
indexed again with the cluster recorded the first time.
"""

from pipeline.dedup.deduplicator import Deduplicator, annotate, fingerprint_article
from pipeline.dedup.fingerprint import DEFAULT_CONFIG, DedupConfig, Fingerprint, fingerprint
from pipeline.dedup.rules import DedupOutcome, correction_writes, decide, keys_for
from pipeline.dedup.state import Conflict, apply_writes, corrections, merge, sweep

__all__ = [
    "DEFAULT_CONFIG",
    "Conflict",
    "DedupConfig",
    "DedupOutcome",
    "Deduplicator",
    "Fingerprint",
    "annotate",
    "apply_writes",
    "correction_writes",
    "corrections",
    "decide",
    "fingerprint",
    "fingerprint_article",
    "keys_for",
    "merge",
    "sweep",
]
