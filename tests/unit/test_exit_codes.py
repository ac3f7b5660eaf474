"""A role never outlives its worker, and the indexer outlives a Kafka outage.

The workers are injected (no stack needed): the CLI commands run as users run them,
with ``prepare`` and the role classes replaced by fakes.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, cast

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaConnectionError, KafkaTimeoutError
from kafka.structs import OffsetAndMetadata
from typer.testing import CliRunner

import newswire.runtime as runtime
from newswire.cli.main import app
from newswire.runtime import RoleFailed, Worker, supervise
from pipeline.index.indexer import Indexer
from wire.settings import Settings


class Boom(RuntimeError):
    pass


class FailingIndexer:
    """An indexer whose worker raises after a moment, as one whose commit timed out did."""

    def __init__(self, settings: Settings, *args: Any) -> None:
        self.indexed = self.dead_letters = self.assigned = 0
        self._stop = threading.Event()

    def run(self) -> None:
        self._stop.wait(0.3)
        raise Boom("commit timed out")

    def stop(self) -> None:
        self._stop.set()


class QuietRunner:
    """A connector runner that polls nothing until stopped."""

    def __init__(self, settings: Settings, sources: Any, **kwargs: Any) -> None:
        self._stop = threading.Event()

    def run(self) -> None:
        self._stop.wait()

    def stop(self) -> None:
        self._stop.set()

    def idle(self) -> bool:
        return False


@pytest.fixture
def no_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "prepare", lambda settings: None)
    monkeypatch.setattr("pipeline.index.indexer.Indexer", FailingIndexer)
    monkeypatch.setattr("connectors.sdk.runner.Runner", QuietRunner)
    monkeypatch.setattr("connectors.sdk.sources.load_sources", lambda path: [])


def test_supervise_raises_when_a_worker_raises() -> None:
    def work() -> None:
        raise Boom("worker broke")

    with pytest.raises(RoleFailed, match="indexer died: Boom: worker broke"):
        supervise([Worker("indexer", work, lambda: None)], poll=0.05)


def test_supervise_raises_when_a_worker_ends_unasked() -> None:
    with pytest.raises(RoleFailed, match="connectors stopped by itself"):
        supervise([Worker("connectors", lambda: None, lambda: None)], poll=0.05)


def test_indexer_role_exits_non_zero_when_its_worker_raises(no_stack: None) -> None:
    result = CliRunner().invoke(app, ["indexer", "--metrics-port", "-1"])
    assert result.exit_code == 1, result.output
    assert "indexer died: Boom: commit timed out" in result.output


def test_run_exits_non_zero_when_the_indexer_thread_dies(
    no_stack: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stopped = threading.Event()

    def processor(
        settings: Settings, loglevel: str = "warn", monitor: Any = None, **kw: Any
    ) -> None:
        assert stopped.wait(10), "the dead indexer did not stop the processor"

    monkeypatch.setattr(runtime, "run_processor", processor)
    monkeypatch.setattr(runtime, "stop_processor", stopped.set)
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n")
    result = CliRunner().invoke(app, ["run", "-s", str(sources), "--metrics-port", "-1"])
    assert result.exit_code == 1, result.output
    assert "indexer died: Boom: commit timed out" in result.output


class StartedRunner(QuietRunner):
    """A quiet connector runner that says when its ``run`` began."""

    started = threading.Event()

    def run(self) -> None:
        StartedRunner.started.set()
        super().run()


class QuietIndexer(FailingIndexer):
    def run(self) -> None:
        self._stop.wait()


def _run_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, processor: Any) -> Any:
    StartedRunner.started.clear()
    monkeypatch.setattr(runtime, "prepare", lambda settings: None)
    monkeypatch.setattr("pipeline.index.indexer.Indexer", QuietIndexer)
    monkeypatch.setattr("connectors.sdk.runner.Runner", StartedRunner)
    monkeypatch.setattr("connectors.sdk.sources.load_sources", lambda path: [])
    monkeypatch.setattr(runtime, "run_processor", processor)
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n")
    return CliRunner().invoke(app, ["run", "-s", str(sources), "--metrics-port", "-1"])


def test_run_starts_its_connectors_once_the_processor_holds_partitions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, bool] = {}

    def processor(settings: Settings, loglevel: str = "warn", **kw: Any) -> None:
        # joining its group: the connectors wait (their downloads would slow the join)
        seen["before"] = StartedRunner.started.wait(0.5)
        kw["on_assigned"]()
        seen["after"] = StartedRunner.started.wait(5)

    result = _run_with(monkeypatch, tmp_path, processor)
    assert result.exit_code == 0, result.output
    assert seen == {"before": False, "after": True}


def test_run_starts_its_connectors_anyway_when_no_partitions_come(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(runtime, "CONNECTORS_WAIT_S", 0.2)
    seen: dict[str, bool] = {}

    def processor(settings: Settings, loglevel: str = "warn", **kw: Any) -> None:
        seen["started"] = StartedRunner.started.wait(5)  # never assigned: the deadline

    result = _run_with(monkeypatch, tmp_path, processor)
    assert result.exit_code == 0, result.output
    assert seen == {"started": True}


def test_a_worker_whose_start_waits_is_alive_and_never_starts_after_its_stop() -> None:
    ran = threading.Event()
    worker = Worker("connectors", ran.set, lambda: None)
    assert worker.alive() and worker.failure() is None  # waiting is not dead
    worker.stop()
    worker.join(timeout=1)  # never started: nothing to join, no error
    worker.start()  # a deferred start that lost the race to the stop
    assert not ran.wait(0.2) and not worker.started


# -- the indexer's offset commit through a Kafka outage ---------------------------------


class FlakyConsumer:
    """A consumer whose commit fails ``failures`` times with the given errors."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = list(errors)
        self.committed: list[Any] = []
        self.paused = 0

    def commit(self, offsets: Any) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.committed.append(offsets)

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("news.articles", 0)}

    def pause(self, *tps: TopicPartition) -> None:
        self.paused += 1

    def resume(self, *tps: TopicPartition) -> None:
        pass

    def poll(self, timeout_ms: int = 0) -> dict[Any, Any]:
        return {}


OFFSETS = {TopicPartition("news.articles", 0): OffsetAndMetadata(42, "", -1)}


def _indexer(monkeypatch: pytest.MonkeyPatch, retry_seconds: float) -> Indexer:
    monkeypatch.setattr("pipeline.index.indexer.random.uniform", lambda a, b: 0.01)
    settings = Settings(index_commit_retry_seconds=retry_seconds)
    return Indexer(settings, writer=object())  # type: ignore[arg-type]


def test_commit_retries_through_an_outage_and_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = FlakyConsumer(
        [KafkaTimeoutError("commit"), KafkaConnectionError(), KafkaTimeoutError()]
    )
    _indexer(monkeypatch, retry_seconds=60)._commit(cast(KafkaConsumer, consumer), OFFSETS)
    assert consumer.committed == [OFFSETS]
    assert consumer.paused == 3  # each wait keeps the partitions paused: nothing new consumed


def test_commit_gives_up_past_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = FlakyConsumer([KafkaTimeoutError("commit")] * 100)
    with pytest.raises(KafkaTimeoutError):
        _indexer(monkeypatch, retry_seconds=0)._commit(cast(KafkaConsumer, consumer), OFFSETS)
    assert consumer.committed == []


def test_commit_after_a_rebalance_is_given_up_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = FlakyConsumer([CommitFailedError()])
    _indexer(monkeypatch, retry_seconds=60)._commit(cast(KafkaConsumer, consumer), OFFSETS)
    assert consumer.committed == []
    assert consumer.paused == 0
