"""What dedup needs to know about a story, computed once: its keys and its sketch.

A :class:`Fingerprint` is deterministic: the same article gives the same fingerprint on
any worker, so it never has to travel through Kafka; a worker that needs it (to route
keys or to correct a race) recomputes it from the article.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pipeline.dedup import minhash, text

URL_PREFIX = "url"
CONTENT_PREFIX = "content"
URLS_PREFIX = "urls"
TITLE_PREFIX = "title"
RECORD_PREFIX = "sk"
"""``sk:<ref>``: a story's record (id, times, sketch, cluster), stored once per story."""
REF_BYTES = 7
"""Bytes of a story reference (see :func:`story_ref` and :mod:`.buckets`)."""


@dataclass(frozen=True)
class DedupConfig:
    """Every tunable of the dedup rules; the defaults are measured (see ``measure``).

    Changing ``shingle_size``, ``num_perm``, ``seed``, ``bands`` or ``rows`` changes
    every band key and sketch: start from empty state or change ``lsh_namespace`` so old
    and new entries never meet.
    """

    shingle_size: int = 4
    num_perm: int = 128
    seed: int = 1
    bands: int = 18
    rows: int = 3
    """18 bands of 3 rows (format 3) for format 2's 32 of 4: a pair becomes a candidate
    with probability 0.39 / 0.91 / 0.9995 / 1.0 at Jaccard 0.3 / 0.5 / 0.7 / 0.9, against
    0.23 / 0.87 / 0.99985 / 1.0 (``minhash.candidate_probability``): at least as likely
    at the 0.5 threshold, 0.9875 against 0.9882 at 0.6, for 18 bucket writes instead of
    32. Three rows, not two: a bucket of two rows would collect unrelated stories sharing
    two common 4-word phrases (J of 0.01 is 1e-4 per band at r=2, 1e-6 at r=3)."""
    lsh_namespace: str = "b"
    legacy_lsh: tuple[str, int, int] | None = ("lsh", 32, 4)
    """Format 2's banding (namespace, bands, rows): its buckets are still read, never
    written, so stories stored before the upgrade keep being found until they expire
    (one ``minhash_window``). None stops reading them (32 key reads less per story)."""
    threshold: float = 0.5
    """Estimated Jaccard of 4-shingle sets at or above which two stories are one cluster.
    Measured: syndicated copies of an original 0.50-0.99 (median 0.78-0.92), different
    stories on one event at most 0.10, unrelated articles 0.00; templated briefs with
    other facts 0.32-0.49, which is what keeps it from going lower."""
    min_tokens: int = 20
    """Texts shorter than this are not MinHashed: a few shared words are not evidence."""
    min_content_tokens: int = 8
    """Texts shorter than this get no content key ("Thanks!" is not one story)."""
    min_title_tokens: int = 3
    title_merge_similarity: float = 0.9
    """Same title from the same source is evidence, not a verdict: such a story is merged
    only when the sketch estimates Jaccard at or above this (near-identical texts); else
    the later story is kept and the ``minhash`` rule decides whether it joins the cluster.
    Daily briefings, market reports and columns reuse titles for different stories. The
    estimate's error is quantified exactly in ``measure.merge_probability`` (128 values
    of 4 bits): a pair at true Jaccard 0.7 passes 0.9 with probability 2e-7, one at 0.8
    0.003; a repost with one word changed (J 0.95) passes with 0.993, J 0.97 with 0.9999.
    Templated briefs with other facts measure 0.32-0.49 exact (``test_dedup_threshold``)."""
    url_window: timedelta = timedelta(days=30)
    content_window: timedelta = timedelta(days=30)
    title_window: timedelta = timedelta(days=7)
    minhash_window: timedelta = timedelta(days=30)
    max_bucket: int = 32
    """Members kept per band bucket, so a story republished 500 times stays bounded."""

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError("bands x rows must not exceed num_perm")
        if self.legacy_lsh is not None:
            namespace, bands, rows = self.legacy_lsh
            if bands * rows > self.num_perm or namespace == self.lsh_namespace:
                raise ValueError("legacy_lsh needs its own namespace and fitting bands x rows")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")

    def window(self, key: str) -> timedelta:
        """How long an entry under ``key`` lives, from its prefix."""
        prefix = key.split(":", 1)[0]
        if prefix in (URL_PREFIX, URLS_PREFIX):
            return self.url_window
        if prefix == CONTENT_PREFIX:
            return self.content_window
        if prefix == TITLE_PREFIX:
            return self.title_window
        return self.minhash_window  # band buckets (both formats) and story records (sk:)


DEFAULT_CONFIG = DedupConfig()


@dataclass(frozen=True)
class Fingerprint:
    """A story reduced to its dedup keys. ``published_at`` orders stories in a race."""

    id: str
    url: str
    source_id: str
    published_at: datetime
    url_key: str
    content_key: str | None
    title_key: str | None
    band_keys: tuple[str, ...]
    sketch: str | None
    token_count: int
    digest: str = ""
    """A short hash of the title and body tokens: tells a changed text at the same URL (a
    revision) from the same text again (a replay or re-poll)."""
    fetched: int = 0
    """When this text was fetched, epoch seconds (0: unknown). Orders the versions of one
    URL: stage 1 extracts pages concurrently, so arrival at dedup is not fetch order."""
    legacy_band_keys: tuple[str, ...] = ()
    """Format 2's band keys of the same signature (``DedupConfig.legacy_lsh``): read only."""
    config: DedupConfig = field(default=DEFAULT_CONFIG, repr=False, compare=False)

    @property
    def timestamp(self) -> int:
        return int(self.published_at.timestamp())

    @property
    def rank(self) -> tuple[int, str]:
        """The deterministic tie-break: earliest published first, then smallest id."""
        return (self.timestamp, self.id)

    @property
    def record_key(self) -> str:
        return record_key(self.id)


DIGEST_CHARS = 12
"""48 bits: the digests compared are those of one URL's few versions, never a population."""


def text_digest(title_words: list[str], words: list[str]) -> str:
    """The short digest of a story's text (normalized title and body tokens)."""
    return text.digest(" ".join(title_words), " ".join(words))[:DIGEST_CHARS]


def url_key(canonical_url: str) -> str:
    return f"{URL_PREFIX}:{text.digest(canonical_url)}"


def story_ref(story_id: str) -> str:
    """A story's short reference in band buckets: 7 bytes of BLAKE2b, base64url (10
    characters). Collisions cost recall only (see :mod:`.buckets`)."""
    digest = hashlib.blake2b(story_id.encode("utf-8"), digest_size=REF_BYTES).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def record_key(story_id: str) -> str:
    """Where a story's record (its sketch, times and cluster) is stored."""
    return f"{RECORD_PREFIX}:{story_ref(story_id)}"


def fingerprint(
    id: str,
    url: str,
    source_id: str,
    title: str | None,
    body: str,
    published_at: datetime,
    config: DedupConfig = DEFAULT_CONFIG,
    *,
    fetched_at: datetime | None = None,
) -> Fingerprint:
    """Compute all dedup keys of one story.

    ``url`` must already be canonical (``wire.urls.normalize_url``); ``published_at``
    must be timezone-aware: pass ``fetched_at`` when the story has no date, so the
    title window and the race tie-break still have a time. ``fetched_at`` (when this
    text was fetched; None if unknown) orders revisions of one URL.
    """
    if published_at.tzinfo is None:
        raise ValueError("published_at must be timezone-aware")
    if fetched_at is not None and fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    words = text.tokens(body)
    content_key = None
    if len(words) >= config.min_content_tokens:
        content_key = f"{CONTENT_PREFIX}:{text.digest(' '.join(words))}"
    title_words = text.tokens(title or "")
    title_key = None
    if len(title_words) >= config.min_title_tokens:
        title_key = f"{TITLE_PREFIX}:{text.digest(source_id, ' '.join(title_words))}"
    band_keys: tuple[str, ...] = ()
    legacy_band_keys: tuple[str, ...] = ()
    sketch = None
    if len(words) >= config.min_tokens:
        sig = minhash.signature(
            text.shingles(words, config.shingle_size), config.num_perm, config.seed
        )
        band_keys = minhash.bucket_keys(sig, config.bands, config.rows, config.lsh_namespace)
        if config.legacy_lsh is not None:
            namespace, bands, rows = config.legacy_lsh
            legacy_band_keys = minhash.band_keys(sig, bands, rows, namespace)
        sketch = minhash.sketch(sig)
    return Fingerprint(
        id=id,
        url=url,
        source_id=source_id,
        published_at=published_at,
        url_key=url_key(url),
        content_key=content_key,
        title_key=title_key,
        band_keys=band_keys,
        sketch=sketch,
        token_count=len(words),
        digest=text_digest(title_words, words),
        fetched=int(fetched_at.timestamp()) if fetched_at is not None else 0,
        legacy_band_keys=legacy_band_keys,
        config=config,
    )
