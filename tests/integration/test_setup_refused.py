"""Issue 13, finding 12: ``newswire run`` against an Elasticsearch that refuses writes to
its indices (the flood-stage block) stops at setup in one line, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from wire.settings import Settings

pytestmark = pytest.mark.integration


def test_run_against_blocked_indices_fails_at_setup(
    tmp_path: Path, namespace: dict[str, str]
) -> None:
    index = f"{namespace['NEWSWIRE_INDEX_PREFIX']}-2020"
    with Elasticsearch(Settings().elasticsearch_url) as es:
        es.indices.create(index=index)
        es.indices.put_settings(index=index, settings={"index.blocks.read_only_allow_delete": True})
    sources = tmp_path / "none.yaml"
    sources.write_text("sources: []\n")
    run = subprocess.run(
        [sys.executable, "-m", "newswire", "run", "-s", str(sources), "--exit-when-idle", "2"],
        env={**os.environ, **namespace}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    (line,) = [x for x in run.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith("error: Elasticsearch refuses writes: ") and f"index {index}: " in line
