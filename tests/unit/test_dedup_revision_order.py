"""Issue 13, finding 2: the versions of one URL are ordered by when their text was fetched,
not by when they reach the dedup stage.

Stage 1 extracts several pages at once, so two versions of a story fetched seconds apart
can reach stage 2 in either order; a redelivery of an old version can come much later.
The index must end with the latest-fetched text, and an older one is never a revision.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import permutations

import pytest

from pipeline.dedup import DEFAULT_CONFIG, Deduplicator, fingerprint, fingerprint_article, merge
from pipeline.dedup.state import MAX_DIGESTS, Version, decode, decode_version
from tests.unit.test_dedup_corpus import STRIKE
from wire.models import Article, SourceRef, article_id

T0 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
URL = "https://paper.example/2025/03/10/port-halden"
TITLE = "Dockworkers strike shuts Port Halden"
SOURCE = SourceRef(id="paper", name="paper", connector="rss")


def text(number: int) -> str:
    """Version ``number`` of the story: the same report with a numbered correction."""
    return "\n\n".join([*STRIKE, f"Update {number}: the count of ships waiting is {number}."])


def version(number: int, fetched: datetime | None) -> Article:
    return Article(
        id=article_id(URL), url=URL, urls=[URL], source=SOURCE, title=TITLE,
        body=text(number), published_at=T0, fetched_at=fetched,
    )  # fmt: skip


def recorded(dedup: Deduplicator) -> Version:
    found = decode_version(dedup.state[fingerprint_article(version(1, T0)).url_key])
    assert found is not None
    return found


def test_an_older_version_arriving_after_a_newer_one_is_stale() -> None:
    """v2 (fetched later) reaches dedup first: it is indexed; v1 is skipped, never a
    revision, and the story keeps v2's text and count."""
    dedup = Deduplicator({})
    v1, v2 = version(1, T0), version(2, T0 + timedelta(seconds=5))
    now = T0 + timedelta(seconds=20)
    _, first = dedup.route(v2, now)
    assert first is not None and first.body == text(2) and first.revisions == 1

    outcome, late = dedup.route(v1, now + timedelta(seconds=1))
    assert outcome.action == "skip" and late is None
    assert recorded(dedup).revision == 1

    # v2 again (a re-poll): still the same document, the same count
    outcome, again = dedup.route(v2, now + timedelta(minutes=5))
    assert outcome.decision.method == "url" and again is not None
    assert again.body == text(2) and again.revisions == 1


def test_a_newer_version_is_a_revision_and_records_its_fetch_time() -> None:
    dedup = Deduplicator({})
    t1, t2 = T0, T0 + timedelta(seconds=30)
    dedup.route(version(1, t1), t1 + timedelta(seconds=1))
    later = t2 + timedelta(seconds=1)
    outcome, second = dedup.route(version(2, t2), later)
    assert outcome.decision.method == "revision" and second is not None
    assert second.revisions == 2 and second.updated_at == later and second.body == text(2)
    assert recorded(dedup).fetched == int(t2.timestamp())

    # a version fetched between the two, arriving last: stale, not a third revision
    outcome, between = dedup.route(version(3, t1 + timedelta(seconds=10)), later)
    assert outcome.action == "skip" and between is None
    assert recorded(dedup).revision == 2


def test_equal_fetch_times_keep_arrival_order() -> None:
    """Two texts fetched in the same second cannot be ordered by fetch time: the later
    arrival is a revision, as before fetch times were recorded."""
    dedup = Deduplicator({})
    dedup.route(version(1, T0), T0)
    outcome, second = dedup.route(version(2, T0), T0 + timedelta(seconds=1))
    assert outcome.decision.method == "revision" and second is not None
    assert second.revisions == 2 and recorded(dedup).fetched == int(T0.timestamp())


def test_a_redelivery_long_after_its_digest_was_forgotten_is_stale() -> None:
    """v1 redelivered after more revisions than ``MAX_DIGESTS`` remembers: its digest is
    gone, its fetch time still says it is older."""
    dedup = Deduplicator({})
    last = MAX_DIGESTS + 1
    for number in range(1, last + 1):
        fetched = T0 + timedelta(hours=number)
        dedup.route(version(number, fetched), fetched + timedelta(seconds=2))
    known = recorded(dedup)
    assert known.revision == last
    assert fingerprint_article(version(1, T0)).digest not in known.digests

    outcome, stale = dedup.route(version(1, T0 + timedelta(hours=1)), T0 + timedelta(days=3))
    assert outcome.action == "skip" and stale is None
    assert recorded(dedup) == known


@pytest.mark.parametrize("order", list(permutations(range(1, 5))))
def test_any_arrival_order_ends_with_the_latest_fetched_text(order: tuple[int, ...]) -> None:
    """Four versions fetched a minute apart, reaching dedup in any order: the last text
    emitted is the latest fetched, and every emitted text is newer than the one before."""
    dedup = Deduplicator({})
    now = T0 + timedelta(hours=1)
    emitted: list[int] = []
    for step, number in enumerate(order):
        _, indexed = dedup.route(version(number, T0 + timedelta(minutes=number)), now)
        if indexed is not None:
            emitted.append(number)
            assert indexed.revisions == len(emitted)
        now += timedelta(seconds=step + 1)
    assert emitted == sorted(emitted) and emitted[-1] == 4


def test_state_without_fetch_times_reads_and_decides_as_before() -> None:
    """An owned URL entry written before fetch times (eight values) still reads: a new
    text is a revision whatever its fetch time (nothing to compare with), and the
    revision records the fetch time from then on."""
    dedup = Deduplicator({})
    fp1 = fingerprint_article(version(1, T0))
    seen = int(T0.timestamp())
    old = [fp1.id, fp1.timestamp, seen, None, None, 2, seen, ["aaaaaaaaaaaa", fp1.digest]]
    dedup.state[fp1.url_key] = old
    assert decode(old) is not None
    assert decode_version(old) == Version(2, seen, ("aaaaaaaaaaaa", fp1.digest), 0)

    older = T0 - timedelta(days=1)
    outcome, revised = dedup.route(version(2, older), T0 + timedelta(hours=1))
    assert outcome.decision.method == "revision" and revised is not None
    assert revised.revisions == 3
    assert recorded(dedup).fetched == int(older.timestamp())

    # the recorded text fetched again later, on old state: a replay that learns the time
    dedup.state[fp1.url_key] = old
    outcome, replay = dedup.route(version(1, T0), T0 + timedelta(hours=2))
    assert outcome.decision.method == "url" and replay is not None and replay.revisions == 2
    assert recorded(dedup).fetched == int(T0.timestamp())


def test_an_article_without_a_fetch_time_decides_as_before() -> None:
    """No fetch time (a hand-built article): arrival order, as before."""
    dedup = Deduplicator({})
    dedup.route(version(2, T0 + timedelta(seconds=5)), T0)
    outcome, revised = dedup.route(version(1, None), T0 + timedelta(seconds=1))
    assert outcome.decision.method == "revision" and revised is not None
    assert fingerprint_article(version(1, None)).fetched == 0


def test_versions_with_fetch_times_join_in_any_order() -> None:
    """The stored versions of one URL (with and without fetch times) merge as a join:
    any order and grouping of the writes ends with one value, and writing it again
    changes nothing."""
    seen = int(T0.timestamp())
    writes = [
        ["s", 1, seen, None, None, 1, 0, ["d1"]],
        ["s", 1, seen + 1, None, None, 2, 9, ["d1", "d2"], seen - 50],
        ["s", 1, seen + 2, None, None, 2, 9, ["d1", "d2"], seen - 40],
        ["s", 1, seen, None, None, 2, 9, ["d1", "d2"]],
    ]
    key = "url:x"
    results = []
    for order in permutations(writes):
        value = None
        for write in order:
            value = merge(key, value, write, T0, DEFAULT_CONFIG)
        assert merge(key, value, order[0], T0, DEFAULT_CONFIG) == value
        results.append(value)
    assert all(value == results[0] for value in results)
    assert decode_version(results[0]) == Version(2, 9, ("d1", "d2"), seen - 40)


def test_fetch_time_rides_on_the_fingerprint() -> None:
    fetched = T0 + timedelta(minutes=3)
    fp = fingerprint("s", URL, "paper", TITLE, text(1), T0, fetched_at=fetched)
    assert fp.fetched == int(fetched.timestamp())
    assert fingerprint_article(version(1, fetched)).fetched == fp.fetched
