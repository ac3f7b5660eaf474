"""Issue 13, finding 11: yearly indices keep shards bounded; monthly indices written
before keep their stories (a re-indexed old story overwrites, never duplicates)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from pipeline.index.writer import Writer, index_for
from wire.models import Article, MergeTarget, SourceRef
from wire.settings import Settings


class _Cluster:
    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.calls = 0

    def state(self, **_: Any) -> SimpleNamespace:
        self.calls += 1
        return SimpleNamespace(body={"metadata": {"indices": {n: {} for n in self.names}}})


def client_with(names: list[str]) -> Any:
    return SimpleNamespace(cluster=_Cluster(names))


NO_INDICES = client_with([])


def _action(op: dict[str, Any] | bytes) -> dict[str, Any]:
    """A bulk body line that must be an action (the lines alternate action, source)."""
    assert isinstance(op, dict), op
    return op


def _article(when: datetime, id: str = "a1") -> Article:
    ref = SourceRef(id="x", name="X", connector="rss")
    return Article(id=id, url=f"https://x.example/{id}", source=ref, body="b", published_at=when)


def test_a_ten_year_backfill_makes_ten_indices() -> None:
    """One story a day over ten years: 10 indices (was 120 monthly ones)."""
    start = datetime(2016, 1, 1, tzinfo=UTC)
    names = {index_for(_article(start + timedelta(days=d)), "news") for d in range(3653)}
    assert len(names) == 10 and names == {f"news-{y}" for y in range(2016, 2026)}


def test_a_story_of_a_month_with_a_monthly_index_is_written_there() -> None:
    client = client_with(["news-2025.03", "news-2026", "news-2025.03-restored", "other"])
    writer = Writer(Settings(index_prefix="news"), client=client)
    old, new = (
        _article(datetime(2025, 3, 9, tzinfo=UTC)),
        _article(datetime(2025, 4, 1, tzinfo=UTC)),
    )
    assert old.published_at is not None
    sighting = Article(
        id="copy", url="https://x.example/c", urls=["https://x.example/c"],
        source=old.source, merged_into=MergeTarget(id="a1", story_time=old.published_at),
    )  # fmt: skip
    ops = writer.prepare([old, new, sighting])
    assert _action(ops[0])["index"]["_index"] == "news-2025.03"
    assert _action(ops[2])["index"]["_index"] == "news-2025"
    assert _action(ops[4])["update"]["_index"] == "news-2025.03"
    writer.prepare([old])
    assert client.cluster.calls == 1, "the monthly indices are listed once per writer"
