"""The stored form of dedup state: named in code, compact on disk, formats 1 and 2 still read.

``tests/fixtures/dedup/state_v1.json`` is a state written by the format-1 code (objects
with one-letter keys; commit c2d3aae) routing, at ``written_at``, the rates story at
https://wire.example/rates, the same text at https://mirror.example/rates (merged: a
pointer, and both URLs under ``urls:``), and a syndicated copy at
https://daily.example/rates (a near-duplicate in the first story's cluster).
``state_v2.json`` is the same three stories routed by the format-2 code (compact arrays,
32 ``lsh:`` buckets of full entries with sketches; commit e3e1e91).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.dedup import DEFAULT_CONFIG, Deduplicator, DedupOutcome, buckets
from pipeline.dedup.fingerprint import RECORD_PREFIX, TITLE_PREFIX, record_key
from pipeline.dedup.state import (
    Entry,
    KnownUrls,
    decode,
    decode_members,
    decode_urls,
    encode,
    encode_urls,
    entry,
    is_band_key,
    is_bucket_key,
    is_urls_key,
    json_size,
)
from tests.unit.test_dedup_corpus import EVENTS, Story
from wire.models import Article, SourceRef, article_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup"
SOURCE = SourceRef(id="wire", name="Wire", connector="rss")
RATES = EVENTS["rates"]
FIRST = [
    ("https://wire.example/rates", RATES["original"][0]),
    ("https://mirror.example/rates", RATES["original"][0]),
    ("https://daily.example/rates", RATES["copies"][0]),
]
SKETCH = "Es7kfUC36IeZGUfCqd73sVW1AJDOG9KDl2mE2FiA7HHE/DEPhX8DFzThr3U2ss1hguK5oKOj3Ok/43n3lVe/sw=="


def load(version: int) -> tuple[datetime, dict[str, Any]]:
    data = json.loads((FIXTURES / f"state_v{version}.json").read_text(encoding="utf-8"))
    return datetime.fromisoformat(data["written_at"]), data["state"]


def article(url: str, story: Story, when: datetime) -> Article:
    return Article(id=article_id(url), url=url, urls=[url], source=SOURCE, title=story.title,
                   body=story.body, published_at=when)  # fmt: skip


def decoded(key: str, value: Any) -> Entry | KnownUrls | list[Entry] | None:
    if is_urls_key(key):
        return decode_urls(value)
    if is_band_key(key, DEFAULT_CONFIG):
        return decode_members(value)
    return decode(value)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (entry("a" * 32, "a" * 32, 100, 200), ["a" * 32, 100, 200]),
        (entry("a" * 32, "a" * 32, 100, 200, SKETCH), ["a" * 32, 100, 200, SKETCH]),
        (entry("a" * 32, "b" * 32, 100, 200), ["a" * 32, 100, 200, None, "b" * 32]),
        (entry("a" * 32, "b" * 32, 100, 200, SKETCH), ["a" * 32, 100, 200, SKETCH, "b" * 32]),
    ],
)
def test_an_entry_round_trips_through_its_compact_stored_form(
    value: Entry, stored: list[Any]
) -> None:
    assert encode(value) == stored
    assert decode(json.loads(json.dumps(encode(value)))) == value


def test_known_urls_round_trip() -> None:
    urls = KnownUrls("a" * 32, 200, ("https://a.example/1", "https://b.example/1"))
    assert decode_urls(json.loads(json.dumps(encode_urls(urls)))) == urls


def facts(state: dict[str, Any]) -> tuple[dict[str, Any], set[Entry]]:
    """What a state says, whatever its format: its exact keys and URL lists decoded (a
    title entry's sketch left out: format 3 keeps a stored story's sketch in its record
    only), and every story its band buckets find, with sketch, times and cluster."""
    exact: dict[str, Any] = {}
    found: set[Entry] = set()
    for key, value in state.items():
        if is_bucket_key(key, DEFAULT_CONFIG):
            for member in buckets.unpack(value):
                record = decode(state[f"{RECORD_PREFIX}:{member.ref}"])
                assert record is not None
                found.add(record)
        elif is_band_key(key, DEFAULT_CONFIG):
            found.update(decode_members(value))
        elif not key.startswith(RECORD_PREFIX + ":"):
            fact = decoded(key, value)
            if key.startswith(TITLE_PREFIX + ":") and isinstance(fact, Entry):
                fact = fact._replace(sketch=None)
            exact[key] = fact
    return exact, found


@pytest.mark.parametrize("version", [1, 2])
def test_earlier_formats_read_as_the_same_facts_as_this_format(version: int) -> None:
    """The same three stories, stored by format 1 or 2 and by this code, decode alike."""
    written_at, old = load(version)
    new: dict[str, Any] = {}
    dedup = Deduplicator(new)
    for url, story in FIRST:
        dedup.route(article(url, story, written_at), written_at)
    assert facts(new) == facts(old)
    assert len(facts(new)[1]) == 2, "the story and its near copy are in the buckets"
    old_bytes = sum(json_size(k, v) for k, v in old.items())
    new_bytes = sum(json_size(k, v) for k, v in new.items())
    assert new_bytes < old_bytes * 0.25, (new_bytes, old_bytes)


def test_format_2_state_alone_still_finds_near_and_title_copies() -> None:
    """Nothing rewritten yet: candidates come from the format-2 buckets' inline sketches,
    the title rule's sketch from the format-2 title entry."""
    written_at, old = load(2)
    assert not any(is_bucket_key(k, DEFAULT_CONFIG) for k in old)
    later = written_at + timedelta(hours=1)
    head = article_id("https://wire.example/rates")
    near, _ = Deduplicator(dict(old)).route(
        article("https://fourth.example/rates", RATES["copies"][1], later), later
    )
    assert near.decision.method == "minhash" and near.cluster_id == head
    reposted = RATES["original"][0]
    reposted = Story(reposted.key, reposted.title, reposted.body + " Updated.")
    title, _ = Deduplicator(dict(old)).route(
        article("https://wire.example/rates-2", reposted, later), later
    )
    assert title.decision.method == "title" and title.merge_into == head


@pytest.mark.parametrize("version", [1, 2])
def test_decisions_on_state_written_in_earlier_formats(version: int) -> None:
    written_at, old = load(version)
    before = dict(old)
    later = written_at + timedelta(hours=2)
    results: list[list[tuple[DedupOutcome, list[str] | None]]] = []
    fresh: dict[str, Any] = {}
    for url, story in FIRST:
        Deduplicator(fresh).route(article(url, story, written_at), written_at)
    for state in (old, fresh):
        dedup = Deduplicator(state)
        runs = []
        for url, story in [
            ("https://wire.example/rates", RATES["original"][0]),  # a replay of the story
            ("https://daily.example/rates", RATES["copies"][0]),  # a replay of the copy
            ("https://third.example/rates", RATES["original"][0]),  # a new exact copy
            ("https://fourth.example/rates", RATES["copies"][1]),  # a new near copy
        ]:
            outcome, out = dedup.route(article(url, story, later), later)
            runs.append((outcome, out.urls if out else None))
        results.append(runs)
    old_runs, fresh_runs = results
    assert old_runs == fresh_runs
    head = article_id("https://wire.example/rates")
    replay, copy, exact, near = old_runs
    assert replay[0].indexed and replay[0].cluster_id == head
    assert copy[0].indexed and copy[0].duplicate_of == head
    assert exact[0].merge_into == head and exact[1] == [
        "https://wire.example/rates", "https://mirror.example/rates",
        "https://third.example/rates",
    ]  # fmt: skip
    assert near[0].indexed and near[0].decision.method == "minhash"
    assert near[0].cluster_id == head
    # what was written since is in this format; what was not stays as it was
    assert isinstance(old[f"urls:{head}"], list)
    assert record_key(head) in old, "a replayed story gets its record and format-3 buckets"
    legacy = [k for k in before if is_band_key(k, DEFAULT_CONFIG)]
    assert legacy and all(old[k] == before[k] for k in legacy), "old buckets are not written"
    if version == 1:
        assert any(isinstance(value, dict) for value in old.values())


@pytest.mark.parametrize("version", [1, 2])
def test_a_sweep_leaves_live_old_values_alone_and_drops_expired_ones(version: int) -> None:
    written_at, old = load(version)
    before = dict(old)
    dedup = Deduplicator(old)
    assert dedup.sweep(written_at + timedelta(days=1)) == 0
    assert old == before, "a sweep does not rewrite the whole state"
    title_keys = [k for k in old if k.startswith("title:")]
    assert dedup.sweep(written_at + DEFAULT_CONFIG.title_window + timedelta(days=1)) == len(
        title_keys
    )
    left = len(old)
    assert dedup.sweep(written_at + DEFAULT_CONFIG.minhash_window + timedelta(days=1)) == left
    assert old == {}
