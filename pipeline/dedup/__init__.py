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

Scale-out
---------
``news.raw`` is partitioned by item key (the normalized URL), so two copies of a story
published under different URLs land on different extraction workers. Dedup decisions
are therefore made in one place: the processor's ``dedup`` stage reads one faust Table
from one partition (see :mod:`pipeline.stream.processor`), so every decision sees every
earlier one.

The state is laid out so that it could be sharded by key if one partition ever stopped
being enough; that is not built. Every fact is stored under its own key and each read or
write touches exactly one key (state format 3, :mod:`.state`; under 1 kB per story):

* ``url:<hash>``, ``content:<hash>``, ``title:<hash of source+title>``: the story owning it;
* ``sk:<ref>``: a story's record, with its 64-byte sketch (4 bits per MinHash value),
  stored once per story (``ref``: 7 bytes of a hash of its id);
* ``b:<hash of band number and rows>`` (18 bands of 3 rows): references to the stories
  whose MinHash signature agrees on that band, 16 characters each;
* ``urls:<story id>``: the URLs a story was seen under.

A decision is ``keys_for(fp)`` (what to read), ``record_keys(fp, lookups, now)`` (the
records of the candidates the buckets name: a second read, usually of nothing),
``decide(fp, lookups, now)`` (a pure function giving the outcome and the writes) and
``merge(key, current, write, now)`` for each write (``read`` does both reads through a
getter, ``apply_writes`` the merges into a local mapping). ``merge`` is a join
(commutative, associative, idempotent), so redelivered writes after a crash are harmless
and two writers of one key converge. What a sharded version would still need is a way to
notice and correct two copies that both read "nothing" at the same instant on two
workers; that protocol was removed until it is built.

The first story *seen* stays first, even if a later copy carries an earlier
``published_at``: re-homing an indexed cluster is costlier than that inaccuracy.
Replays are idempotent: a story whose URL is already recorded under its own id is
indexed again with the cluster recorded the first time.
"""

from pipeline.dedup.deduplicator import Deduplicator, annotate, fingerprint_article
from pipeline.dedup.fingerprint import DEFAULT_CONFIG, DedupConfig, Fingerprint, fingerprint
from pipeline.dedup.rules import DedupOutcome, decide, keys_for
from pipeline.dedup.state import Entry, KnownUrls, apply_writes, merge, sweep

__all__ = [
    "DEFAULT_CONFIG",
    "DedupConfig",
    "DedupOutcome",
    "Deduplicator",
    "Entry",
    "Fingerprint",
    "KnownUrls",
    "annotate",
    "apply_writes",
    "decide",
    "fingerprint",
    "fingerprint_article",
    "keys_for",
    "merge",
    "sweep",
]
