"""The same-event search names only the indices that can hold candidates (issue 16), and the
stories written lately are candidates from memory, since the search cannot see them yet."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from pipeline.events import WINDOW
from pipeline.index.events import RECENT_S, EventGrouper, candidate_indices
from pipeline.index.writer import index_at
from wire.models import Article, SourceRef

LEGACY = frozenset({"news-2024.12", "news-2025.01", "news-2025.06"})


@pytest.mark.parametrize(
    ("when", "legacy", "expected"),
    [
        (datetime(2025, 7, 1, 12, tzinfo=UTC), frozenset(), ["news-2025"]),
        (datetime(2025, 1, 1, 10, tzinfo=UTC), frozenset(), ["news-2024", "news-2025"]),
        (datetime(2024, 12, 30, 23, tzinfo=UTC), frozenset(), ["news-2024", "news-2025"]),
        (datetime(2025, 1, 3, 0, tzinfo=UTC), frozenset(), ["news-2025"]),  # 1 Jan 00:00 on
        (
            datetime(2025, 1, 1, 10, tzinfo=UTC),
            LEGACY,
            ["news-2024", "news-2025", "news-2024.12", "news-2025.01"],
        ),
        (datetime(2025, 6, 15, tzinfo=UTC), LEGACY, ["news-2025", "news-2025.06"]),
        (datetime(2025, 7, 1, 12, tzinfo=UTC), LEGACY, ["news-2025", "news-2025.06"]),
        (datetime(2025, 7, 3, 12, tzinfo=UTC), LEGACY, ["news-2025"]),  # July: no index
    ],
)
def test_candidate_indices(when: datetime, legacy: frozenset[str], expected: list[str]) -> None:
    assert candidate_indices("news", when, legacy) == expected


def test_every_time_in_the_window_is_written_to_a_searched_index() -> None:
    """Whatever the story's time, a candidate anywhere in ±WINDOW was written (index_at) to
    one of the indices searched: across years, months, time zones and the legacy layout."""
    start = datetime(2023, 12, 20, tzinfo=UTC)
    for hours in range(0, 24 * 60, 7):
        when = start + timedelta(hours=hours, minutes=13)
        names = set(candidate_indices("news", when, LEGACY))
        for step in range(-96, 97):
            at = when + WINDOW * step / 96
            assert index_at("news", at, LEGACY) in names, (when, at)
    local = datetime(2025, 1, 2, 9, tzinfo=timezone(timedelta(hours=10)))  # 1 Jan 23:00 UTC
    assert candidate_indices("news", local) == ["news-2024", "news-2025"]


class FakeClient:
    def __init__(self) -> None:
        self.searches: list[dict[str, Any]] = []

    def msearch(self, searches: list[dict[str, Any]]) -> dict[str, Any]:
        self.searches = searches
        return {"responses": [{"hits": {"hits": []}} for _ in searches[::2]]}


def _article(key: str, when: datetime) -> Article:
    return Article(
        id=key, url=f"https://x.example/{key}", title="Floods in Herat", body="Rain fell.",
        source=SourceRef(id="x", name="X", connector="rss"), published_at=when,
        processed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def test_each_search_names_its_story_years_not_the_alias() -> None:
    client = FakeClient()
    grouper = EventGrouper(client, "ns-news")  # type: ignore[arg-type]
    old, new_year = datetime(2019, 5, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    grouper.assign([_article("a", old), _article("b", new_year)])
    headers = client.searches[::2]
    assert [h["index"] for h in headers] == [["ns-news-2019"], ["ns-news-2025", "ns-news-2026"]]
    assert all(h["ignore_unavailable"] and h["allow_no_indices"] for h in headers)


def test_a_story_written_lately_is_a_candidate_from_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [500.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    grouper = EventGrouper(FakeClient(), "news")  # type: ignore[arg-type]
    when = datetime(2025, 7, 1, 12, tzinfo=UTC)
    first, second, later = _article("a", when), _article("b", when), _article("c", when)
    grouper.assign([first])  # written; the search finds nothing (not refreshed yet)
    grouper.assign([second])
    assert (first.story_id, second.story_id) == ("a", "a")
    clock[0] += RECENT_S + 1  # long enough for any refresh: the search's to find, not memory's
    grouper.assign([later])
    assert later.story_id == "c"
