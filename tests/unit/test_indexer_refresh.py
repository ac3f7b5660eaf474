"""When the indexer refreshes what it wrote (``pipeline.index.refresh``, issue 16): at once
after a quiet second, at most once a second per index, later in a backlog, at once when
the writes stop."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elastic_transport import ConnectionError as EsConnectionError

from pipeline.index.indexer import Indexer, _Batch
from pipeline.index.refresh import BACKSTOP, MAX_DELAY_S, RefreshPlan
from pipeline.index.template import index_template
from pipeline.index.writer import Writer
from wire.metrics import REFRESHES
from wire.models import Article, MergeTarget, SourceRef
from wire.settings import Settings


def test_an_index_written_after_a_quiet_second_is_refreshed_at_once() -> None:
    plan = RefreshPlan()
    plan.written({"news-2026": 30.0}, now=100.0)  # first write: old stories, still at once
    assert plan.due(100.0) == ["news-2026"]
    plan.written({"news-2026": 0.2}, now=101.5)  # 1.5 s later, nothing written between
    assert plan.due(101.5) == ["news-2026"]
    assert plan.next_due() is None


def test_a_busy_index_is_refreshed_at_most_once_a_second_or_twice_for_fresh_stories() -> None:
    plan = RefreshPlan()
    plan.written({"a": 3.0}, now=10.0)
    assert plan.due(10.0) == ["a"]
    plan.written({"a": 3.0}, now=10.2)  # stories a few seconds old: once a second at most
    assert plan.due(10.9) == []
    assert plan.next_due() == 11.0
    plan.written({"a": 3.0}, now=10.6)  # a second write does not push it back
    assert plan.next_due() == 11.0
    assert plan.due(11.0) == ["a"]
    plan.written({"a": 0.1}, now=11.1)  # fresh stories (steady live traffic): every 0.5 s
    assert plan.next_due() == 11.5
    assert plan.due(11.5) == ["a"]
    plan.written({"a": 0.1}, now=12.2)  # after a quiet half second: at once
    assert plan.due(12.2) == ["a"]


def test_in_a_backlog_a_refresh_waits_a_share_of_the_stories_age() -> None:
    plan = RefreshPlan(quiet=math.inf)  # the writes go on (the quiet rule: next test)
    plan.written({"a": 8.0, "b": 8.0}, now=0.0)
    assert plan.due(0.0) == ["a", "b"]
    plan.written({"a": 8.0, "b": 100.0}, now=0.5)  # stories 8 s old; a day-old replay
    assert plan.next_due() == 2.5  # a: 0.5 + 0.25 x 8
    assert plan.due(2.4) == []
    assert plan.due(2.5) == ["a"]
    assert plan.due(0.5 + MAX_DELAY_S) == ["b"]  # never more than MAX_DELAY_S
    plan.written({"a": 8.0}, now=3.0)
    assert plan.next_due() == pytest.approx(5.0)
    plan.written({"a": 0.2}, now=3.1)  # a fresh story pulls the refresh forward
    assert plan.next_due() == pytest.approx(3.15)


def test_once_the_writes_stop_every_waiting_index_is_refreshed_within_its_spacing() -> None:
    plan = RefreshPlan()
    plan.written({"a": 20.0, "b": 20.0}, now=0.0)  # a burst's first bulk: at once
    assert plan.due(0.0) == ["a", "b"]
    for step in range(1, 10):  # stories 20 s old keep coming every 0.2 s
        plan.written({"a": 20.0, "b": 20.0} if step < 5 else {"a": 20.0}, now=0.2 * step)
        assert plan.due(0.2 * step) == []  # the refresh may wait 5 s (a quarter of 20 s)...
    assert plan.next_due() == pytest.approx(2.3)  # ...but nothing came after the bulk at 1.8
    assert plan.due(2.29) == []
    assert plan.due(2.3) == ["a", "b"]
    assert plan.next_due() is None
    # the spacing still holds: a write just after a refresh waits for its second
    plan.written({"a": 20.0}, now=2.4)
    assert plan.next_due() == pytest.approx(3.3)
    assert plan.due(3.29) == []
    assert plan.due(3.3) == ["a"]
    # and the quiet time moves with each write: no refresh while they keep coming
    plan.written({"a": 20.0}, now=5.0)
    assert plan.due(5.0) == ["a"]  # written after a quiet second: at once
    for step in range(1, 7):  # a bulk every 0.4 s from 5.4 to 7.4
        plan.written({"a": 20.0}, now=5.0 + 0.4 * step)
        assert plan.due(5.0 + 0.4 * step + 0.39) == []
    assert plan.next_due() == pytest.approx(7.9)
    assert plan.due(7.9) == ["a"]


def test_a_failed_refresh_is_tried_again_and_stopping_refreshes_everything() -> None:
    plan = RefreshPlan()
    plan.written({"a": 0.0}, now=0.0)
    assert plan.due(0.0) == ["a"]
    plan.failed(["a"], now=0.3)
    assert plan.due(1.2) == []
    assert plan.due(1.3) == ["a"]
    plan.written({"a": 60.0, "b": 60.0}, now=1.5)
    assert plan.due(1.5) == ["b"]
    assert plan.due(1.6, everything=True) == ["a"]
    assert plan.next_due() is None


def test_the_template_interval_is_only_a_backstop() -> None:
    settings = index_template("news", "news")["template"]["settings"]
    assert settings["refresh_interval"] == BACKSTOP == "30s"


class RecordingWriter(Writer):
    """The real writer's bulk body, no cluster: records the refreshes asked for."""

    def __init__(self) -> None:
        super().__init__(Settings(), client=object())  # type: ignore[arg-type]
        self.refreshed: list[list[str]] = []

    def legacy_indices(self) -> frozenset[str]:
        return frozenset()

    def refresh(self, indices: list[str]) -> None:
        self.refreshed.append(indices)


class NowExecutor:
    def submit(self, fn: Any, *args: Any) -> None:
        fn(*args)


def _article(key: str, published: datetime, age: float) -> Article:
    return Article(
        id=key, url=f"https://x.example/{key}", title="T", body="B.",
        source=SourceRef(id="x", name="X", connector="rss"), published_at=published,
        fetched_at=datetime.now(UTC) - timedelta(seconds=age),
    )  # fmt: skip


def test_the_indexer_refreshes_the_indices_a_batch_wrote(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    writer = RecordingWriter()
    indexer = Indexer(Settings(), writer=writer)
    old, new = datetime(2019, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    sighting = _article("s", new, 1.0).model_copy(
        update={"merged_into": MergeTarget(id="o", story_time=old)}
    )

    def settle(articles: list[Article]) -> None:
        batch = _Batch([(None, a) for a in articles], writer.prepare(articles), {})  # type: ignore[misc]
        indexer._written(batch)
        indexer._refresh_due(NowExecutor())  # type: ignore[arg-type]

    settle([_article("n", new, 1.0), sighting])  # the sighting updates its story's year
    assert writer.refreshed == [["news-2019", "news-2026"]]
    clock[0] += 0.3
    settle([_article("m", new, 20.0)])  # a backlog: may wait 0.25 x 20 s...
    assert writer.refreshed == [["news-2019", "news-2026"]]
    # ...but nothing more is written: due as soon as the index's second is up
    assert indexer._poll_timeout_ms() == 700
    clock[0] += 0.7
    assert indexer._poll_timeout_ms() == 0
    indexer._refresh_due(NowExecutor())  # type: ignore[arg-type]
    assert writer.refreshed[-1] == ["news-2026"]


class FailingWriter(RecordingWriter):
    def refresh(self, indices: list[str]) -> None:
        self.refreshed.append(indices)
        raise EsConnectionError("cluster unreachable")


def test_a_failed_refresh_is_counted_and_sent_again_a_second_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [50.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    writer = FailingWriter()
    indexer = Indexer(Settings(), writer=writer)
    failed = REFRESHES.labels("failed")._value.get()
    a = _article("a", datetime(2026, 3, 1, tzinfo=UTC), 0.5)
    indexer._written(_Batch([(None, a)], writer.prepare([a]), {}))  # type: ignore[list-item]
    indexer._refresh_due(NowExecutor())  # type: ignore[arg-type]
    assert writer.refreshed == [["news-2026"]]
    assert REFRESHES.labels("failed")._value.get() == failed + 1
    clock[0] += 0.5
    indexer._refresh_due(NowExecutor())  # type: ignore[arg-type]
    assert writer.refreshed == [["news-2026"]]  # not yet: a second after the failure is seen
    clock[0] += 0.9
    indexer._refresh_due(NowExecutor())  # type: ignore[arg-type]
    assert writer.refreshed == [["news-2026"]]
    clock[0] += 0.1
    indexer._refresh_due(NowExecutor())  # type: ignore[arg-type]
    assert writer.refreshed == [["news-2026"], ["news-2026"]]
