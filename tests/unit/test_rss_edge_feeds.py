"""Every feed of the shared corpus through the RSS connector: items or a clear error.

``feedparser-tests/`` holds feedparser's ~2,100 edge cases (encodings, entities, dates,
ill-formed XML); ``feeds/`` real RSS, Atom, JSON Feed and sitemap snapshots and HTML
pages that advertise feeds. Each file is served from 127.0.0.1 with the HTTP headers
its header comment names (``Header: Content-type: ...``, as feedparser's own harness
does) and polled with article fetching on. Nothing may escape but a ``ConnectorError``.

Links to other hosts (entries' pages, feeds an HTML page advertises) must not reach the
network: every request not to 127.0.0.1 goes to a proxy that refuses connections, so it
fails like an unreachable site does.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.rss import RssConfig, RssConnector
from connectors.sdk.base import Page
from connectors.sdk.errors import ConnectorError
from connectors.sdk.http import HttpClient
from connectors.sdk.recording import Reply, Server, closed_port_url, serve
from wire.models import RawItem, SourceRef

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
FOLDERS = ("feedparser-tests", "feeds")
NOT_FEEDS = (".opml", ".upstream", ".serde.json")  # subscription lists, licences, expectations
HEADER = re.compile(r"^Header:\s*([\w-]+):\s*(.*?)\s*$", re.MULTILINE)
SOURCE = SourceRef(id="edge", name="Edge cases", connector="rss")

KNOWN_CRASHES: dict[str, str] = {
    # "feedparser-tests/...xml": "connectors/rss/connector.py raises X on ...",
}
"""Files that still crash the connector, with the reason: they xfail until it is fixed."""


def _cases() -> list[str]:
    if not CORPUS.is_dir():
        return []  # the test skips through the shared_dir fixture
    return [
        path.relative_to(CORPUS).as_posix()
        for folder in FOLDERS
        for path in sorted((CORPUS / folder).rglob("*"))
        if path.is_file() and not path.name.endswith(NOT_FEEDS)
    ]


def _headers(path: Path, body: bytes) -> dict[str, str]:
    """The headers to serve ``path`` with: its header comment's, or by its suffix."""
    if path.is_relative_to(CORPUS / "feedparser-tests"):
        comment = body[:2000].decode("latin-1")
        return {name: value for name, value in HEADER.findall(comment)}
    ctype = mimetypes.guess_type(path.name)[0]
    return {"Content-Type": ctype} if ctype else {}


@pytest.fixture(scope="module")
def feed_server() -> Iterator[Server]:
    with serve() as server:
        yield server


@pytest.fixture(scope="module")
def http() -> Iterator[HttpClient]:
    refused = closed_port_url()
    with pytest.MonkeyPatch.context() as env:
        for name in ("http_proxy", "https_proxy", "all_proxy"):
            env.setenv(name, refused)
            env.setenv(name.upper(), refused)
        env.setenv("no_proxy", "127.0.0.1")
        env.setenv("NO_PROXY", "127.0.0.1")
        client = HttpClient(user_agent="newswire-test", timeout=5, allow_private=True)
    yield client  # the proxies are read when the client is made
    client.close()


@pytest.mark.parametrize("name", _cases())
def test_feed_yields_items_or_a_clear_error(
    name: str, shared_dir: Path, feed_server: Server, http: HttpClient
) -> None:
    path = shared_dir / "corpus" / name
    body = path.read_bytes()
    feed_server.play({"/feed": Reply(200, body, _headers(path, body))})
    conn = RssConnector(SOURCE, RssConfig.model_validate({"url": feed_server.url("/feed")}), http)
    try:
        outcome: Page | ConnectorError = conn.poll({})
    except ConnectorError as exc:
        outcome = exc
    except Exception:
        if name in KNOWN_CRASHES:
            pytest.xfail(KNOWN_CRASHES[name])
        raise
    if isinstance(outcome, ConnectorError):  # a clear per-source error, said in words
        assert str(outcome).strip(), f"{type(outcome).__name__} without a message"
    else:
        assert all(isinstance(item, RawItem) for item in outcome.items)
        assert all(reason for reason, _ in outcome.skipped)
