"""The side door (/metrics, /healthz, /readyz) and JSON log lines, without the stack."""

from __future__ import annotations

import json
import logging
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from newswire.logs import JsonFormatter
from newswire.observability import Health, SideDoor, assigned_check, elasticsearch_check
from wire.metrics import CATALOGUE, STAGE_IN
from wire.settings import Settings


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def door() -> Iterator[SideDoor]:
    health = Health("test", interval=3600)  # refreshed by the tests themselves
    side = SideDoor(health, 0, host="127.0.0.1").start()
    yield side
    side.close()


def test_metrics_lists_the_catalogue_and_counts(door: SideDoor) -> None:
    STAGE_IN.labels("dedup").inc(3)
    code, text = _get(door.port, "/metrics")
    assert code == 200
    for name in CATALOGUE:
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    value = next(
        line
        for line in text.splitlines()
        if line.startswith("newswire_stage_items_in_total{") and 'stage="dedup"' in line
    )
    assert float(value.split()[-1]) >= 3
    assert "process_cpu_seconds_total" in text or sys.platform != "linux"


def test_healthz_fails_when_a_worker_dies(door: SideDoor) -> None:
    done = threading.Event()
    worker = threading.Thread(target=done.wait)
    worker.start()
    door.health.watch("indexer", worker.is_alive)
    assert _get(door.port, "/healthz")[0] == 200
    done.set()
    worker.join()
    code, body = _get(door.port, "/healthz")
    assert code == 503
    assert json.loads(body)["reason"] == "worker stopped: indexer"


def test_readyz_follows_the_checks_with_a_one_line_reason(door: SideDoor) -> None:
    partitions = [0]
    door.health.require("indexer", assigned_check(lambda: partitions[0]))
    code, body = _get(door.port, "/readyz")
    assert (code, json.loads(body)["reason"]) == (503, "indexer: not checked yet")
    door.health.refresh()
    code, body = _get(door.port, "/readyz")
    assert code == 503
    assert body.count("\n") == 1
    assert json.loads(body)["reason"] == "indexer: no partitions assigned (yet)"
    partitions[0] = 2
    door.health.refresh()
    assert _get(door.port, "/readyz") == (200, '{"status": "ok", "role": "test"}\n')
    assert _get(door.port, "/nothing")[0] == 404


def test_elasticsearch_check_names_a_cluster_that_does_not_answer() -> None:
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    check = elasticsearch_check(Settings(elasticsearch_url=f"http://127.0.0.1:{port}"))
    reason = check()
    assert reason is not None and f"127.0.0.1:{port}" in reason


def test_json_log_lines_carry_role_source_story_and_error_class() -> None:
    formatter = JsonFormatter("run")
    record = logging.LogRecord(
        "pipeline.index.indexer", logging.WARNING, __file__, 1,
        "indexer dead letter for %s: %s", ("abc123", ValueError("mapping")), None,
    )  # fmt: skip
    record.threadName = "indexer"
    record.story = "abc123"
    line = formatter.format(record)
    assert "\n" not in line
    doc = json.loads(line)
    assert doc["role"] == "indexer"
    assert doc["level"] == "warning"
    assert doc["story"] == "abc123"
    assert doc["error"] == "ValueError"
    assert doc["message"] == "indexer dead letter for abc123: mapping"
    assert doc["time"].endswith("+00:00")

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "polled", (), None)
    record.threadName = "connector-3"
    record.source = "steppe-courier"
    doc = json.loads(formatter.format(record))
    assert (doc["role"], doc["source"]) == ("connectors", "steppe-courier")
    assert "error" not in doc
    record.threadName = "MainThread"
    assert json.loads(formatter.format(record))["role"] == "processor"
    assert json.loads(JsonFormatter("indexer").format(record))["role"] == "indexer"


def test_log_format_json_from_the_global_option(capsys: pytest.CaptureFixture[str]) -> None:
    from typer.testing import CliRunner

    from newswire.cli import common
    from newswire.cli.main import app

    result = CliRunner().invoke(app, ["--log-format", "json", "sources", "check", "/nonexistent"])
    assert result.exit_code != 0  # the file does not exist; the option itself is accepted
    common.log_format = "json"
    try:
        common.setup_logging("info", role="indexer")
        logging.getLogger("newswire.test").info("hello %s", "there")
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        common.log_format = None
        common.setup_logging("warning")
    assert json.loads(line)["message"] == "hello there"
    assert json.loads(line)["role"] == "indexer"


def test_api_probes_answer_without_a_key_and_follow_elasticsearch() -> None:
    from fastapi.routing import APIRoute

    from newswire.api import create_app

    class FakeEs:
        up = True

        def options(self, **kwargs: object) -> FakeEs:
            return self

        @property
        def cluster(self) -> FakeEs:
            return self

        def health(self) -> dict[str, str]:
            if not self.up:
                raise ConnectionError("refused")
            return {"status": "green"}

    es = FakeEs()
    app = create_app(Settings(), client=es)  # type: ignore[arg-type]
    # starlette's TestClient needs an HTTP client this venv lacks: call the routes.
    routes = {r.path: r for r in app.routes if isinstance(r, APIRoute)}
    assert not routes["/healthz"].dependant.dependencies  # nothing asked of the caller
    assert not routes["/readyz"].dependant.dependencies
    assert routes["/healthz"].endpoint() == {"status": "ok", "role": "api"}
    resp = routes["/readyz"].endpoint()
    assert (resp.status_code, json.loads(resp.body)) == (200, {"status": "ok", "role": "api"})
    es.up = False
    resp = routes["/readyz"].endpoint()
    assert resp.status_code == 503
    assert json.loads(resp.body)["reason"].startswith("elasticsearch: no answer from http")


def test_cleanup_and_tagging_times_travel_back_from_the_extraction_process() -> None:
    from pipeline.pool import extract_raw_timed
    from wire.models import RawItem, SourceRef

    text = " ".join(["The minister met the delegation at the river crossing today."] * 12)
    page = f"<html><head><title>Talks</title></head><body><article><p>{text}</p></article>"
    raw = RawItem(
        key="k1",
        url="https://example.org/news/talks",
        source=SourceRef(id="s", name="s", connector="rss"),
        html=page,
    )
    article_id, data, spent = extract_raw_timed(raw.to_json_bytes())
    assert article_id and data.startswith(b"{")
    assert set(spent) == {"cleanup", "tagging"}
    assert spent["cleanup"] > 0
    from wire.metrics import CHAIN_CLOCK

    assert CHAIN_CLOCK.take() == {}  # taken with the page: the next one starts from zero


def test_a_port_in_use_costs_the_side_door_not_the_role(caplog: pytest.LogCaptureFixture) -> None:
    from newswire.observability import serve

    first = serve(Health("one"), 0)
    assert first is not None
    try:
        with caplog.at_level(logging.ERROR):
            assert serve(Health("two"), first.port) is None
        assert f"NOT served: port {first.port}" in caplog.text
        assert serve(Health("off"), -1) is None
    finally:
        first.close()


def test_kafka_watch_reports_lag_in_records_and_seconds() -> None:
    import time as clock
    from types import SimpleNamespace

    from kafka import TopicPartition

    from newswire.observability import KafkaWatch
    from wire.metrics import CONSUMER_LAG_RECORDS, CONSUMER_LAG_SECONDS

    now = clock.time()
    ends = {0: 10, 1: 5}  # partition 0: 4 records behind, the oldest 120 s old; 1: caught up
    committed = {0: 6, 1: 5}

    class Consumer:
        def partitions_for_topic(self, topic: str) -> set[int]:
            return {0, 1}

        def end_offsets(self, tps: list[TopicPartition], timeout_ms: int) -> dict[Any, int]:
            return {tp: ends.get(tp.partition, 0) for tp in tps}

        def assign(self, tps: list[TopicPartition]) -> None:
            self.tp = tps[0]

        def seek(self, tp: TopicPartition, offset: int) -> None:
            assert (tp.partition, offset) == (0, 6)  # the first record not committed

        def poll(self, timeout_ms: int, max_records: int) -> dict[Any, Any]:
            return {self.tp: [SimpleNamespace(timestamp=(now - 120) * 1000)]}

    class Admin:
        def list_group_offsets(self, wanted: dict[str, list[TopicPartition]]) -> dict[str, Any]:
            group, tps = next(iter(wanted.items()))
            return {group: {tp: SimpleNamespace(offset=committed[tp.partition]) for tp in tps}}

    watch = KafkaWatch(Settings(), [("g-lag", "t-lag")])
    watch.observe(SimpleNamespace(consumer=Consumer(), admin=Admin()))
    assert CONSUMER_LAG_RECORDS.labels("g-lag", "t-lag", "0")._value.get() == 4
    assert CONSUMER_LAG_RECORDS.labels("g-lag", "t-lag", "1")._value.get() == 0
    assert 119 < CONSUMER_LAG_SECONDS.labels("g-lag", "t-lag")._value.get() < 130
    committed[0] = 10  # caught up: no record is waiting, so no age
    watch.observe(SimpleNamespace(consumer=Consumer(), admin=Admin()))
    assert CONSUMER_LAG_SECONDS.labels("g-lag", "t-lag")._value.get() == 0
