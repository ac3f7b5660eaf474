"""``status`` and ``sources status --fail-on``: exit codes for cron jobs and probes."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from newswire.cli.main import app


def fresh_states() -> dict[str, Any]:
    """A healthy and a failing source, due relative to now (not to when pytest imported
    this module: a long suite would make the healthy one overdue)."""
    now = time.time()
    return {
        "steppe-courier": {
            "stats": {"polls": 5, "items": 9, "failing": False, "next_due": now + 60}
        },
        "dead-feed": {
            "stats": {
                "polls": 4,
                "errors": 4,
                "consecutive_failures": 4,
                "failing": True,
                "last_error": "FatalSourceError: 404",
                "next_due": now + 600,
            }
        },
    }


class FakeStateStore:
    states: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def load_all(self) -> dict[str, Any]:
        return self.states


class FakeProbe:
    lags: ClassVar[dict[str, int]] = {"raw": 0, "articles": 0}

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def lag(self, group: str, topic: str) -> int:
        return self.lags["articles" if topic == self.settings.topic_articles else "raw"]

    def close(self) -> None:
        pass


class FakeProducer:
    def __init__(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def no_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("connectors.sdk.state.KafkaStateStore", FakeStateStore)
    monkeypatch.setattr("newswire.kafka.LagProbe", FakeProbe)
    monkeypatch.setattr("kafka.KafkaProducer", FakeProducer)
    monkeypatch.setattr(FakeStateStore, "states", fresh_states())
    monkeypatch.setattr(FakeProbe, "lags", {"raw": 0, "articles": 0})


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_sources_status_fails_on_a_failing_source() -> None:
    assert _run("sources", "status").exit_code == 0  # without --fail-on: a report only
    result = _run("sources", "status", "--fail-on", "failing")
    assert result.exit_code == 1, result.output
    assert "1 failing: dead-feed" in result.output
    assert _run("sources", "status", "--json", "--fail-on", "failing").exit_code == 1


def test_sources_status_passes_when_nothing_asked_for_is_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _run("sources", "status", "--fail-on", "lagging").exit_code == 0
    healthy = {"steppe-courier": FakeStateStore.states["steppe-courier"]}
    monkeypatch.setattr(FakeStateStore, "states", healthy)
    assert _run("sources", "status", "--fail-on", "failing,lagging").exit_code == 0


def test_an_overdue_source_is_lagging(monkeypatch: pytest.MonkeyPatch) -> None:
    late = {"stats": {"polls": 1, "interval": 300, "next_due": time.time() - 3600}}
    monkeypatch.setattr(FakeStateStore, "states", {"late": late})
    result = _run("sources", "status", "--fail-on", "failing", "--fail-on", "lagging")
    assert result.exit_code == 1
    assert "1 lagging: late" in result.output


def test_status_fails_on_lag_and_failing_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run("status", "--fail-on", "lagging").exit_code == 0
    assert _run("status", "--fail-on", "failing").exit_code == 1
    monkeypatch.setattr(FakeProbe, "lags", {"raw": 0, "articles": 5000})
    result = _run("status", "--json", "--fail-on", "lagging")
    assert result.exit_code == 1
    assert "1 lagging: indexer" in result.output
    assert _run("status", "--fail-on", "lagging", "--max-lag", "10000").exit_code == 0


def test_fail_on_refuses_unknown_values() -> None:
    result = _run("sources", "status", "--fail-on", "failng")
    assert result.exit_code == 2
    assert "--fail-on takes failing or lagging, not failng" in result.output
