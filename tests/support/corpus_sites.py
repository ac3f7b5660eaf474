"""Real pages of the shared corpus served from several loopback hosts, each with a feed.

Each host is its own address (127.0.0.2, 127.0.0.3, ...) so the connectors see distinct
sites. Pages are published in rounds (``publish``): a feed lists everything its host
published so far, newest first. A host can be told to answer 429 with ``Retry-After``
to every request for a while (``throttle``). Used by the chaos suite (``tests.chaos``)
and anything else that needs many real pages behind real HTTP.

Canonical links (``<link rel=canonical>``, ``og:url``) are taken out of every page, so
a page's story URL is the URL it is served at: a copy served by a second host is then
found a duplicate by its text (the dedup state), not by a URL both copies name.
"""

from __future__ import annotations

import gzip
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

CORPUS_HTML = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "html"

_CANONICAL = re.compile(
    rb"<link\b[^>]*\brel\s*=\s*[\"']?canonical[^>]*>|<meta\b[^>]*\bproperty\s*=\s*[\"']?og:url[^>]*>",
    re.IGNORECASE,
)


def strip_canonical(html: bytes) -> bytes:
    """The page without the links that name its URL elsewhere (see the module doc)."""
    return _CANONICAL.sub(b"", html)


def corpus_pages(root: Path = CORPUS_HTML) -> Iterator[tuple[str, bytes]]:
    """(name, body) of every HTML page of the corpus, gzip ones decompressed, sorted."""
    for path in sorted(root.rglob("*")):
        if path.name.endswith(".html"):
            yield str(path.relative_to(root)), path.read_bytes()
        elif path.name.endswith(".html.gz"):
            yield str(path.relative_to(root)), gzip.decompress(path.read_bytes())


@dataclass
class Entry:
    path: str
    title: str
    body: bytes
    published: datetime


@dataclass
class Host:
    address: str
    entries: list[Entry] = field(default_factory=list)
    throttled_until: float = 0.0
    retry_after: int = 60
    throttled: int = 0  # 429s answered
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def feed(self) -> bytes:
        with self.lock:
            entries = sorted(self.entries, key=lambda e: e.published, reverse=True)
        items = "\n".join(
            f"<item><title>{escape(e.title)}</title><link>{self.base}{quote(e.path)}</link>"
            f"<guid>{self.base}{quote(e.path)}</guid>"
            f"<pubDate>{format_datetime(e.published)}</pubDate>"
            "</item>"
            for e in entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Host {self.address}</title><link>{self.base}/</link>"
            f"<description>chaos pages</description>{items}</channel></rss>"
        ).encode()

    def page(self, path: str) -> bytes | None:
        """The page at a request's path, however the client escaped it."""
        wanted = unquote(path)
        with self.lock:
            return next((e.body for e in self.entries if e.path == wanted), None)


class Sites:
    """``count`` hosts on 127.0.0.2 upwards, each a ThreadingHTTPServer in a thread."""

    def __init__(self, count: int) -> None:
        self.hosts = [Host(f"127.0.0.{2 + i}") for i in range(count)]
        self.servers: list[ThreadingHTTPServer] = []
        self._clock = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)

    def start(self) -> None:
        for host in self.hosts:
            server = ThreadingHTTPServer((host.address, 0), _handler(host))
            server.daemon_threads = True
            host.base = f"http://{host.address}:{server.server_address[1]}"
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def publish(self, host: int, path: str, title: str, body: bytes) -> str:
        """Put a page on a host's feed; returns its URL. A corpus file name may hold spaces
        and other letters a URL cannot: the feed and the URL carry it percent-escaped."""
        self._clock += timedelta(seconds=1)
        h = self.hosts[host]
        with h.lock:
            h.entries.append(Entry(path, title, body, self._clock))
        return h.base + quote(path)

    def throttle(self, host: int, seconds: float, retry_after: int) -> None:
        """Answer 429 with ``Retry-After: retry_after`` to everything for ``seconds``."""
        h = self.hosts[host]
        h.retry_after = retry_after
        h.throttled_until = time.monotonic() + seconds


def _handler(host: Host) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if time.monotonic() < host.throttled_until:
                host.throttled += 1
                self._send(429, b"slow down", "text/plain", {"Retry-After": str(host.retry_after)})
            elif self.path == "/feed.xml":
                self._send(200, host.feed(), "application/rss+xml")
            elif (body := host.page(self.path)) is not None:
                self._send(200, body, "text/html")  # the page says its charset
            else:
                self._send(404, b"not found", "text/plain")

        def _send(
            self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
