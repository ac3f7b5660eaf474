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


def _count(env: dict[str, str], *args: str) -> int:
    found = subprocess.run(
        [sys.executable, "-m", "newswire", "search", *args, "--json", "-n", "100"],
        env={**os.environ, **env}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(found.stdout)
    assert "facets" in result and "days" in result["facets"]
    return int(result["total"])


def test_query_language_and_focus_filters(demo_indexed: dict[str, str]) -> None:
    """Issue 18's acceptance on the demo stories: each operator changes the result."""
    env = demo_indexed
    either = _count(env, "Kabul Iran")
    both = _count(env, "Kabul AND Iran")
    kabul = _count(env, "Kabul")
    assert 0 < both < min(either, kabul)  # AND narrows, side by side widens
    assert _count(env, "Kabul -Iran") == _count(env, "Kabul NOT Iran") == kabul - both
    phrase, words = _count(env, '"Helmand river"'), _count(env, "Helmand river")
    assert 0 < phrase < words
    assert _count(env, "Kab*") >= kabul > _count(env, "Kabu") == 0
    assert 0 < _count(env, "title:Kabul") < kabul
    # Region filters: every form of one country agrees; focus is narrower than mentions.
    focus = _count(env, "", "--region", "AF")
    assert focus == _count(env, "", "--region", "AFG") == _count(env, "", "--region", "afghanistan")
    assert 0 < focus < _count(env, "", "--region", "AF", "--mentions")
    assert focus < _count(env, "", "--region", "southern asia")
    bad = subprocess.run(
        [sys.executable, "-m", "newswire", "search", "--region", "Afganistan"],
        env={**os.environ, **env}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "did you mean AF (Afghanistan)" in bad.stderr
    settings = Settings.model_validate(
        {k.removeprefix("NEWSWIRE_").lower(): v for k, v in env.items()}
    )
    client = TestClient(create_app(settings))
    assert client.get("/search", params={"q": "Kabul AND Iran"}).json()["total"] == both
    assert client.get("/search", params={"region": "AF", "mentions": "true"}).status_code == 200
    for params in ({"q": '"Kabul'}, {"region": "ZZ"}, {"topic": "nonexistent"}):
        resp = client.get("/search", params=params)
        assert resp.status_code == 400, params
        assert resp.json()["detail"]
