"""The bad-input catalogue (issue 13, item 8; docs/bad-inputs.md), the kinds that need no
stack: each hostile input gives a clear error or a dead letter, and the next input is
handled normally. Hostile inputs are generated here, never committed.

Kinds covered elsewhere are listed in docs/bad-inputs.md with their test's name.
"""

from __future__ import annotations

import gzip
import os
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from connectors.rss import RssConfig, RssConnector
from connectors.sdk.errors import BadPayload, ConnectorError, FatalSourceError, RetriableError
from connectors.sdk.http import HttpClient
from connectors.sdk.sources import SourcesError, load_sources
from connectors.sdk.state import _readable
from pipeline.chain import NotAnArticle, process
from tests.support.httpserver import Reply, http_server
from wire.models import RawItem, SourceRef

SOURCE = SourceRef(id="hostile", name="Hostile", connector="rss")
RSS = "application/rss+xml"
GOOD_ITEM = "<item><title>Good</title><link>{base}/good</link><description>ok</description></item>"


def _feed(items: str = GOOD_ITEM, doctype: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{doctype}<rss version="2.0"><channel>'
        f"<title>t</title><link>{{base}}/</link><description>d</description>{items}"
        "</channel></rss>"
    )


def _connector(url: str, **config: object) -> RssConnector:
    http = HttpClient(user_agent="t", timeout=5, allow_private=True)
    cfg = RssConfig(url=url, fetch_articles=False, **config)  # type: ignore[arg-type]
    return RssConnector(SOURCE, cfg, http)


def _poll_good_after(srv_url: str) -> None:
    """The stream goes on: the next, well-formed feed is read by a fresh poll."""
    page = _connector(srv_url).poll({})
    assert [i.title for i in page.items] == ["Good"]


def test_xxe_entities_are_not_resolved() -> None:
    doctype = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    item = "<item><title>a &xxe; b</title><link>{base}/x</link></item>"
    routes = {"/xxe": Reply(200, _feed(item, doctype), {"Content-Type": RSS})}
    routes["/good"] = Reply(200, _feed(), {"Content-Type": RSS})
    with http_server(routes) as srv:
        try:
            items = _connector(srv.url("/xxe")).poll({}).items
        except ConnectorError as exc:  # refused as not a feed: a clear error is fine too
            items, error = [], str(exc)
        else:
            error = "feed"
        assert "feed" in error
        assert all("root:" not in (i.title or "") for i in items)
        _poll_good_after(srv.url("/good"))


def test_billion_laughs_is_not_expanded() -> None:
    ents = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    item = "<item><title>&l9;</title><link>{base}/x</link></item>"
    routes = {"/laughs": Reply(200, _feed(item, f"<!DOCTYPE rss [{ents}]>"), {"Content-Type": RSS})}
    routes["/good"] = Reply(200, _feed(), {"Content-Type": RSS})
    with http_server(routes) as srv:
        begin = time.monotonic()
        try:
            items = _connector(srv.url("/laughs")).poll({}).items
        except ConnectorError:
            items = []
        assert time.monotonic() - begin < 10
        assert all(len(i.title or "") < 10_000 for i in items)
        _poll_good_after(srv.url("/good"))


def test_a_200_mb_feed_is_refused_at_the_body_cap() -> None:
    mib = b"<!-- " + b"x" * (1024 * 1024 - 9) + b" -->"  # one object, sent 200 times
    routes = {"/huge": Reply(200, chunks=[mib] * 200, headers={"Content-Type": RSS})}
    routes["/good"] = Reply(200, _feed(), {"Content-Type": RSS})
    with http_server(routes) as srv:
        with pytest.raises(FatalSourceError, match="exceeds"):
            _connector(srv.url("/huge")).poll({})
        _poll_good_after(srv.url("/good"))


def test_a_feed_of_50000_items_takes_max_entries_and_counts_the_rest() -> None:
    items = "".join(
        f"<item><link>{{base}}/s/{i}</link><description>d</description></item>"
        for i in range(50_000)
    )
    routes = {"/many": Reply(200, _feed(items), {"Content-Type": RSS})}
    with http_server(routes) as srv:
        page = _connector(srv.url("/many"), max_entries=500).poll({})
    assert len(page.items) == 500
    assert page.stats == {"dropped": 49_500}


def _gzip_bomb(decompressed_mib: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    zeros = b"\0" * (1024 * 1024)
    return b"".join(comp.compress(zeros) for _ in range(decompressed_mib)) + comp.flush()


def test_a_gzip_bomb_feed_is_refused() -> None:
    bomb = _gzip_bomb(200)  # 200 MiB of zeros in ~200 kB
    assert len(bomb) < 1024 * 1024
    headers = {"Content-Type": RSS, "Content-Encoding": "gzip"}
    routes = {
        "/bomb": Reply(200, bomb, headers),
        "/good": Reply(200, _feed(), {"Content-Type": RSS}),
    }
    with http_server(routes) as srv:
        with pytest.raises(FatalSourceError, match="exceeds"):
            _connector(srv.url("/bomb")).poll({})
        _poll_good_after(srv.url("/good"))


@pytest.mark.parametrize(
    "body",
    [os.urandom(64 * 1024), b"\x89PNG\r\n\x1a\n" + os.urandom(4096)],
    ids=["random-bytes", "png"],
)
def test_a_binary_body_is_not_a_feed(body: bytes) -> None:
    routes = {"/bin": Reply(200, body, {"Content-Type": "application/octet-stream"})}
    with http_server(routes) as srv, pytest.raises(FatalSourceError, match="not a feed"):
        _connector(srv.url("/bin")).poll({})


def test_a_feed_in_another_encoding_than_declared_still_gives_its_items() -> None:
    feed = _feed(
        "<item><title>Café déjà vu</title><link>{base}/c</link><description>d</description></item>"
    )
    body = feed.encode("latin-1")  # the XML declaration says utf-8
    with http_server({"/enc": Reply(200, body, {"Content-Type": RSS})}) as srv:
        items = _connector(srv.url("/enc")).poll({}).items
    assert len(items) == 1 and items[0].title and items[0].title.startswith("Caf")


def test_a_feed_cut_mid_item_gives_the_whole_items_before_the_cut() -> None:
    feed = _feed(GOOD_ITEM + "<item><title>Second</title><link>{base}/second</link></item>")
    cut = feed[: feed.index("<item><title>Second") + 20]
    with http_server({"/cut": Reply(200, cut, {"Content-Type": RSS})}) as srv:
        items = _connector(srv.url("/cut")).poll({}).items
    assert [i.title for i in items][:1] == ["Good"]


@contextmanager
def _lying_server() -> Iterator[str]:
    """Declares 100,000 bytes, sends 100, closes: a response truncated by the network."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"<rss>" * 20)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/feed"
    finally:
        sock.close()


def test_a_truncated_response_is_a_retriable_error() -> None:
    with _lying_server() as url, pytest.raises(RetriableError):
        _connector(url).poll({})


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/x"],
    ids=["file", "metadata", "private"],
)
def test_redirects_to_file_metadata_or_private_addresses_are_refused(location: str) -> None:
    routes = {"/r": Reply(302, headers={"Location": location})}
    with http_server(routes) as srv:
        # The test server is on loopback: allow that, and refuse what the redirect names.
        http = HttpClient(user_agent="t", timeout=5, allow_private=False)
        conn = RssConnector(SOURCE, RssConfig(url=srv.url("/r")), http)  # type: ignore[arg-type]
        with pytest.raises(FatalSourceError, match=r"scheme|private|link-local|address"):
            conn.poll({})


def _raw(html: str) -> RawItem:
    return RawItem(key="https://x.test/a", url="https://x.test/a", source=SOURCE, html=html)


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 100_000 + "deep" + "</div>" * 100_000,
        os.urandom(200_000).decode("latin-1"),
        "\ufffd" * 50_000,
        "<html><body></body></html>",
    ],
    ids=["100000-nested", "binary", "replacement-chars", "empty-page"],
)
def test_hostile_pages_are_not_articles_or_bounded_articles(html: str) -> None:
    try:
        body, error = process(_raw(html)).body, ""
    except NotAnArticle as exc:
        body, error = "", str(exc)
    assert "no article text" in error or 0 < len(body) < len(html)


def test_a_sources_file_of_2000_entries_loads(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    entry = "  - id: s{i}\n    connector: rss\n    config: {{url: 'https://s{i}.test/feed'}}\n"
    path.write_text("sources:\n" + "".join(entry.format(i=i) for i in range(2_000)))
    assert len(load_sources(path)) == 2_000  # its speed is a bench matter, not a test's


def test_a_sources_file_reads_the_installed_connectors_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # entry_points() reads every installed distribution's metadata: once per entry made a
    # 20,000-entry file take minutes to load
    from connectors.sdk import registry

    calls: list[object] = []

    def counted(**kwargs: object) -> object:
        calls.append(kwargs)
        return entry_points(**kwargs)

    monkeypatch.setattr(registry, "entry_points", counted)
    registry._entry_points.cache_clear()
    registry.available.cache_clear()
    path = tmp_path / "sources.yaml"
    entry = "  - id: s{i}\n    connector: rss\n    config: {{url: 'https://s{i}.test/feed'}}\n"
    path.write_text("sources:\n" + "".join(entry.format(i=i) for i in range(50)))
    try:
        assert len(load_sources(path)) == 50
        assert len(calls) == 1
    finally:
        registry._entry_points.cache_clear()
        registry.available.cache_clear()


@pytest.mark.parametrize(
    "text",
    [
        "sources: [\n",  # not YAML
        "- just\n- a list\n",  # no sources key
        "sources: 7\n",
        "sources:\n  - 42\n",  # an entry that is not a mapping
        "sources:\n  - id: a\n    connector: rss\n  - id: a\n    connector: rss\n",  # dup ids
        "\x00\x01\x02binary",
        "sources:\n  - &a [*a]\n",  # a recursive alias
    ],
    ids=["not-yaml", "no-key", "not-a-list", "entry-not-mapping", "duplicate", "binary", "alias"],
)
def test_malformed_sources_files_are_one_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    with pytest.raises(SourcesError):
        load_sources(path)


def test_gzip_bomb_helper_is_a_real_bomb() -> None:
    bomb = _gzip_bomb(4)
    assert len(gzip.decompress(bomb)) == 4 * 1024 * 1024


def test_a_page_over_the_cap_is_refused_and_the_feed_item_becomes_a_dead_letter() -> None:
    big = b"<html><body>" + b"<p>word </p>" * (5 * 1024 * 1024) + b"</body></html>"  # 60 MB
    feed = _feed("<item><title>Big</title><link>{base}/big</link></item>" + GOOD_ITEM)
    routes = {
        "/feed": Reply(200, feed, {"Content-Type": RSS}),
        "/big": Reply(200, big, {"Content-Type": "text/html"}),
        "/good": Reply(200, "<html><body><p>fine</p></body></html>", {"Content-Type": "text/html"}),
    }
    with http_server(routes) as srv:
        http = HttpClient(user_agent="t", timeout=20, allow_private=True)
        conn = RssConnector(SOURCE, RssConfig(url=srv.url("/feed")), http)  # type: ignore[arg-type]
        page = conn.poll({})
    assert [i.title for i in page.items] == ["Good"]
    assert len(page.skipped) == 1 and "exceeds" in page.skipped[0][0]
    assert isinstance(BadPayload, type)


@pytest.mark.parametrize(
    "value",
    [b"\x00 not json", b'["a", "list"]', b'"a string"', b'{"cursor": "x"}', b'{"stats": 7}'],
    ids=["binary", "list", "string", "cursor-not-mapping", "stats-not-mapping"],
)
def test_an_unreadable_connector_state_is_ignored_not_a_crash(value: bytes) -> None:
    # Before: a JSON list reached Runner._add and stopped the runner (AttributeError).
    assert _readable("src", value) is None
    assert _readable("src", b'{"cursor": {"seen": []}, "stats": {}}') == {
        "cursor": {"seen": []},
        "stats": {},
    }
