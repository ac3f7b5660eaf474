"""Search and the REST API over the demo archive, indexed through the whole pipeline."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from newswire.api import create_app
from newswire.api.auth import new_key
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
    settings = Settings.model_validate(
        {k.removeprefix("NEWSWIRE_").lower(): v for k, v in demo_indexed.items()}
    )
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_served_api_needs_keys_limits_rate_and_keeps_internals_out(
    demo_indexed: dict[str, str],
) -> None:
    """`newswire api` as a process on the real stack, as a client sees it."""
    refused = subprocess.run(
        [sys.executable, "-m", "newswire", "api", "--host", "0.0.0.0"],
        env={**os.environ, **demo_indexed, "NEWSWIRE_API_KEYS": ""},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr

    made = new_key("itest")
    port = _free_port()
    env = {
        **os.environ, **demo_indexed,
        "NEWSWIRE_API_KEYS": made.entry,
        "NEWSWIRE_API_RATE_LIMIT": "0.2",
        "NEWSWIRE_API_RATE_BURST": "5",
        # above Elasticsearch's own 10000, so Elasticsearch itself refuses a deep page
        "NEWSWIRE_API_MAX_RESULT_WINDOW": "20000",
    }  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "newswire", "api", "--port", str(port), "--log-level", "debug"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    key = {"Authorization": f"Bearer {made.key}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "api did not start"
            time.sleep(0.3)

        assert httpx.get(f"{base}/search").status_code == 401
        wrong = {"Authorization": f"Bearer {made.key[:-3]}abc"}
        assert httpx.get(f"{base}/search", headers=wrong).status_code == 401
        found = httpx.get(f"{base}/search", params={"q": "Tehran", "region": "AF"}, headers=key)
        assert found.status_code == 200
        assert "Helmand" in found.json()["hits"][0]["title"]

        deep = httpx.get(f"{base}/search", params={"page": 1000, "size": 100}, headers=key)
        assert deep.status_code == 400
        assert "20000" in deep.json()["detail"]
        es_refused = httpx.get(f"{base}/search", params={"page": 150, "size": 100}, headers=key)
        assert es_refused.status_code == 400  # Elasticsearch's result window, not ours
        assert set(es_refused.json()) == {"detail"}
        for internal in ("exception", "max_result_window", demo_indexed["NEWSWIRE_INDEX_PREFIX"]):
            assert internal not in es_refused.text

        codes = [httpx.get(f"{base}/health", headers=key) for _ in range(4)]
        assert [r.status_code for r in codes][:2] == [200, 200]
        limited = codes[-1]
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert httpx.get(f"{base}/docs").status_code == 200  # docs stay public
    finally:
        server.terminate()
        logs, _ = server.communicate(timeout=30)
    assert "BadRequestError" in logs  # the details went to the log, not to the client
    assert "key 'itest'" in logs
    assert made.key not in logs and made.key[4:] not in logs
