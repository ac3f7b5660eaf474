"""Search and the REST API over the demo archive, indexed through the whole pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from newswire.api import create_app
from wire.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def demo_indexed(tmp_path: Path, namespace: dict[str, str]) -> dict[str, str]:
    sources = tmp_path / "demo.yaml"
    sources.write_text(
        "sources:\n  - id: demo\n    connector: archive\n    config: {path: 'builtin:demo'}\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "newswire", "run", "-s", str(sources), "--exit-when-idle", "3"],
        env={**os.environ, **namespace}, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return namespace


def test_search_collapses_syndicated_copies(demo_indexed: dict[str, str]) -> None:
    found = subprocess.run(
        [sys.executable, "-m", "newswire", "search", "Tehran", "--region", "AF", "--json"],
        env={**os.environ, **demo_indexed}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(found.stdout)
    assert result["total"] > result["stories"]  # a syndicated copy was collapsed away
    top = result["hits"][0]
    assert "Helmand" in top["title"]
    assert top["outlets"] == 2
    assert "AF" in top["countries"]
    assert all("AF" in hit["countries"] for hit in result["hits"])
    assert len({hit["cluster_id"] for hit in result["hits"]}) == len(result["hits"])


def test_rest_api_answers_with_facets_and_pages(demo_indexed: dict[str, str]) -> None:
    settings = Settings(**{k.removeprefix("NEWSWIRE_").lower(): v for k, v in demo_indexed.items()})
    client = TestClient(create_app(settings))

    resp = client.get("/search", params={"q": "Tehran", "region": "AF"})
    assert resp.status_code == 200
    body = resp.json()
    assert "Helmand" in body["hits"][0]["title"]
    assert body["hits"][0]["outlets"] == 2
    assert body["facets"]["countries"]["AF"] == body["total"]
    assert "IR" in body["facets"]["countries"]

    first = client.get("/search", params={"size": 5, "page": 1}).json()
    second = client.get("/search", params={"size": 5, "page": 2}).json()
    assert first["stories"] == 33  # 36 pages, 3 syndicated copies
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}

    story = client.get(f"/stories/{first['hits'][0]['id']}").json()
    assert story["body"]
    assert client.get("/stories/nope").status_code == 404
    assert client.get("/search", params={"since": "yesterday"}).status_code == 422
    assert client.get("/health").json()["status"] == "ok"
    assert "/search" in client.get("/openapi.json").json()["paths"]
