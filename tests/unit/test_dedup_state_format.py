"""The stored form of dedup state: named in code, compact arrays on disk, format 1 still read.

``tests/fixtures/dedup/state_v1.json`` is a state written by the format-1 code (objects
with one-letter keys; commit c2d3aae) routing, at ``written_at``, the rates story at
https://wire.example/rates, the same text at https://mirror.example/rates (merged: a
pointer, and both URLs under ``urls:``), and a syndicated copy at
https://daily.example/rates (a near-duplicate in the first story's cluster).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.dedup import DEFAULT_CONFIG, Deduplicator, DedupOutcome
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
    is_urls_key,
    json_size,
)
from tests.unit.test_dedup_corpus import EVENTS, Story
from wire.models import Article, SourceRef, article_id

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dedup" / "state_v1.json"
SOURCE = SourceRef(id="wire", name="Wire", connector="rss")
RATES = EVENTS["rates"]
FIRST = [
    ("https://wire.example/rates", RATES["original"][0]),
    ("https://mirror.example/rates", RATES["original"][0]),
    ("https://daily.example/rates", RATES["copies"][0]),
]
SKETCH = "Es7kfUC36IeZGUfCqd73sVW1AJDOG9KDl2mE2FiA7HHE/DEPhX8DFzThr3U2ss1hguK5oKOj3Ok/43n3lVe/sw=="


def load_v1() -> tuple[datetime, dict[str, Any]]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
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


def test_format_1_values_read_as_the_same_facts_as_this_format() -> None:
    """The same three stories, stored by format 1 and by this code, decode alike."""
    written_at, old = load_v1()
    new: dict[str, Any] = {}
    dedup = Deduplicator(new)
    for url, story in FIRST:
        dedup.route(article(url, story, written_at), written_at)
    assert set(new) == set(old)
    for key in old:
        assert decoded(key, old[key]) == decoded(key, new[key]), key
    old_bytes = sum(json_size(k, v) for k, v in old.items())
    new_bytes = sum(json_size(k, v) for k, v in new.items())
    assert new_bytes < old_bytes * 0.95, (new_bytes, old_bytes)


def test_decisions_on_state_written_in_format_1() -> None:
    written_at, old = load_v1()
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
    assert any(isinstance(value, dict) for value in old.values())


def test_a_sweep_leaves_live_format_1_values_alone_and_drops_expired_ones() -> None:
    written_at, old = load_v1()
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
