"""The side door on the real stack: metrics during ``newswire run``, and readiness.

The shared Elasticsearch is never stopped here (other work uses it): the "Elasticsearch
gone" case points the indexer's readiness check at a loopback port nobody listens on,
then back at the real cluster. Stopping and restarting the real service is left to a
stack of one's own.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from wire.metrics import CATALOGUE
from wire.settings import Settings

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:  # not listening yet
        return 0, str(exc)


def _samples(text: str, name: str) -> dict[str, float]:
    """``{labels: value}`` of one metric's samples in the Prometheus text format."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        m = re.match(rf"^{name}(\{{[^}}]*\}})? (\S+)$", line)
        if m:
            found[m.group(1) or ""] = float(m.group(2))
    return found


def test_run_serves_metrics_health_and_readiness(tmp_path: Path, namespace: dict[str, str]) -> None:
    dead = _free_port()  # a feed nobody serves: a source that fails, for the error counters
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - id: demo\n    connector: archive\n    config: {path: 'builtin:demo'}\n"
        f"  - id: gone\n    connector: rss\n    config: {{url: 'http://127.0.0.1:{dead}/feed'}}\n"
    )
    port = _free_port()
    log = tmp_path / "run.log"
    log_file = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "newswire", "--log-format", "json", "run", "-s", str(sources),
         "--metrics-port", str(port), "--log-level", "info"],
        env={**os.environ, **namespace},
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    es = Elasticsearch(Settings().elasticsearch_url)
    alias = namespace["NEWSWIRE_INDEX_ALIAS"]
    try:
        deadline = time.monotonic() + 240
        ready, count = (0, ""), 0
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            ready = _get(port, "/readyz")
            if es.indices.exists_alias(name=alias):
                es.indices.refresh(index=alias)
                count = es.count(index=alias)["count"]
            if ready[0] == 200 and count >= 36:
                break
            time.sleep(2)
        assert count == 36
        assert ready == (200, '{"status": "ok", "role": "run"}\n'), ready
        assert _get(port, "/healthz")[0] == 200
        time.sleep(16)  # one more lag round of the Kafka watch (every 15 s), after the commit
        code, text = _get(port, "/metrics")
    finally:
        proc.send_signal(signal.SIGTERM)
        exit_code = proc.wait(timeout=90)
        log_file.close()
    assert code == 200
    assert exit_code == 0, log.read_text()[-3000:]
    for name in CATALOGUE:
        assert f"# TYPE {name} " in text, name

    def total(name: str, **labels: str) -> float:
        want = [f'{k}="{v}"' for k, v in labels.items()]
        return sum(v for k, v in _samples(text, name).items() if all(w in k for w in want))

    assert total("newswire_source_polls_total", source="demo", outcome="ok") >= 1
    assert total("newswire_source_items_total", source="demo") == 36
    assert total("newswire_source_errors_total", source="gone") >= 1
    assert total("newswire_source_polls_total", source="gone", outcome="retriable") >= 1
    for stage in ("extraction", "dedup", "index"):
        assert total("newswire_stage_items_in_total", stage=stage) >= 36, stage
        assert total("newswire_stage_items_out_total", stage=stage) >= 36, stage
    for stage in ("extraction", "cleanup", "tagging", "dedup", "index"):
        assert total("newswire_stage_duration_seconds_count", stage=stage) >= 36, stage
    assert total("newswire_indexed_documents_total") >= 36
    assert total("newswire_bulk_duration_seconds_count") >= 1
    assert total("newswire_freshness_seconds_count") >= 36
    assert total("process_cpu_seconds_total") > 0
    group = namespace["NEWSWIRE_INDEXER_GROUP"]
    lag = _samples(text, "newswire_consumer_lag_records")
    assert any(f'group="{group}"' in k for k in lag), lag
    assert total("newswire_consumer_lag_records", group=group) == 0  # caught up
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "role", "message"} <= set(doc) for doc in lines)
    assert any(d["role"] == "connectors" and "source gone" in d["message"] for d in lines)
    assert {d["role"] for d in lines} <= {"connectors", "processor", "indexer", "observability"}


def test_indexer_readiness_follows_elasticsearch(
    namespace: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from newswire.observability import SideDoor, elasticsearch_check
    from newswire.runtime import Worker, indexer_health, prepare
    from pipeline.index.indexer import Indexer

    for key, value in namespace.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    prepare(settings)
    indexer = Indexer(settings)
    worker = Worker("indexer", indexer.run, indexer.stop)
    gone = settings.model_copy(update={"elasticsearch_url": f"http://127.0.0.1:{_free_port()}"})
    health = indexer_health(gone, indexer, worker)  # its Elasticsearch check sees nobody
    health.interval = 0.5
    door = SideDoor(health, 0, host="127.0.0.1").start()
    worker.start()
    try:
        reason = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            code, body = _get(door.port, "/readyz")
            reason = json.loads(body).get("reason", "") if code == 503 else ""
            if reason.startswith("elasticsearch:"):
                break
            time.sleep(0.5)
        assert code == 503
        assert reason.startswith(f"elasticsearch: no answer from {gone.elasticsearch_url}")

        health.require("elasticsearch", elasticsearch_check(settings))  # the real cluster
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _get(door.port, "/readyz")[0] != 200:
            time.sleep(0.5)
        assert _get(door.port, "/readyz") == (200, '{"status": "ok", "role": "indexer"}\n')
        assert _get(door.port, "/healthz")[0] == 200
    finally:
        worker.stop()
        worker.thread.join(timeout=60)
        door.close()
    assert worker.failure() is None
