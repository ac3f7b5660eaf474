"""The three roles as separate processes, with two processor workers in one group.

The demo archive holds three syndicated pairs: with two workers sharing ``news.raw``,
each pair must still land in one cluster (the dedup stage is global), and every role
must stop cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from wire.settings import Settings

pytestmark = pytest.mark.integration


def _start(role: str, env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen[bytes]:
    # The child keeps its own copy of the descriptor; ours is closed (no ResourceWarning).
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "newswire", role, *extra],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_roles_scale_out_and_dedup_stays_global(tmp_path: Path, namespace: dict[str, str]) -> None:
    sources = tmp_path / "demo.yaml"
    sources.write_text(
        "sources:\n  - id: demo\n    connector: archive\n    config: {path: 'builtin:demo'}\n"
    )
    procs: dict[str, subprocess.Popen[bytes]] = {}
    worker_env = [
        {
            **namespace,
            "NEWSWIRE_PROCESSOR_DATA_DIR": f"{namespace['NEWSWIRE_PROCESSOR_DATA_DIR']}-{i}",
        }
        for i in (1, 2)
    ]
    procs["processor-1"] = _start("processor", worker_env[0], tmp_path / "p1.log")
    procs["processor-2"] = _start("processor", worker_env[1], tmp_path / "p2.log")
    procs["indexer"] = _start("indexer", namespace, tmp_path / "i.log")
    procs["connectors"] = _start("connectors", namespace, tmp_path / "c.log", "-s", str(sources))

    es = Elasticsearch(Settings().elasticsearch_url)
    alias = namespace["NEWSWIRE_INDEX_ALIAS"]
    count = 0
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            for name, proc in procs.items():
                assert proc.poll() is None, f"{name} died: {(tmp_path / name).name}"
            if es.indices.exists_alias(name=alias):
                es.indices.refresh(index=alias)
                count = es.count(index=alias)["count"]
                if count >= 36:
                    break
            time.sleep(2)
        assert count == 36
        clusters = es.search(
            index=alias,
            size=0,
            aggs={
                "c": {"cardinality": {"field": "cluster_id"}},
                "d": {"filter": {"exists": {"field": "duplicate_of"}}},
            },
        )["aggregations"]
        assert clusters["c"]["value"] == 33
        assert clusters["d"]["doc_count"] == 3
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = {name: proc.wait(timeout=90) for name, proc in procs.items()}
    logs = {p.name: p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("*.log")}
    assert all(code == 0 for code in codes.values()), (codes, logs)
