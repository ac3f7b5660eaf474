"""``newswire fetch``: one page through the connectors' client and the chain, or a refusal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

PAGE = Path(__file__).parents[1] / "fixtures" / "dedup" / "torkham-kabulmonitor.html"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "private").mkdir()
    shutil.copy(PAGE, tmp_path / "page.html")
    shutil.copy(PAGE, tmp_path / "private" / "page.html")
    (tmp_path / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _fetch(*args: str, private: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSWIRE_HTTP_ALLOW_PRIVATE": "true" if private else "false"}
    return subprocess.run(
        [sys.executable, "-m", "newswire", "fetch", *args],
        env={**env, "COLUMNS": "100"}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_fetch_prints_the_processed_article(site: str) -> None:
    run = _fetch(f"{site}/page.html")
    assert run.returncode == 0, run.stderr
    assert "Torkham" in run.stdout.splitlines()[0]  # the title first
    for label in ("url:", "published:", "language:", "focus:", "countries:", "topics:"):
        assert label in run.stdout, label
    assert "AF (" in run.stdout  # a country with its evidence


def test_fetch_json_and_a_saved_page_agree(site: str, tmp_path: Path) -> None:
    fetched = json.loads(_fetch(f"{site}/page.html", "--json").stdout)
    saved = _fetch("https://kabulmonitor.example/x", "--html", str(PAGE), "--json")
    offline = json.loads(saved.stdout)
    assert fetched["title"] == offline["title"] and fetched["body"] == offline["body"]
    assert "AF" in fetched["focus_countries"]
    assert fetched["topic_scores"] and fetched["lang"] == "en"


def test_robots_and_private_addresses_are_refused_in_one_line(site: str) -> None:
    robots = _fetch(f"{site}/private/page.html")
    private = _fetch(f"{site}/page.html", private=False)
    for run, says in ((robots, "disallows"), (private, "non-public address")):
        assert run.returncode != 0
        assert run.stderr.count("\n") == 1 and says in run.stderr, run.stderr
        assert run.stdout == ""
