"""Recorded HTTP answers served from 127.0.0.1, for connector tests.

A recording maps a request path (query string included, matched exactly) to a
``Reply``, or to a callable that builds one from the request handler. ``serve`` runs a
threaded server on a free port of 127.0.0.1; its ``routes`` can be swapped between polls
to play the next scene (nothing new, something new, an error). Anything not in the
routes answers 404, which is also what ``/robots.txt`` gets unless it is recorded.

Stdlib only, and ``http.server`` is imported on first use: the conformance kit's pytest
plugin imports this module in every pytest run.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

BASE_TOKEN = "{base}"
"""Replaced by the server's base URL (``http://127.0.0.1:PORT``) in served bodies and
headers, so a recorded feed can link to pages on the same server."""


@dataclass
class Reply:
    """One recorded answer."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None
    """Sent instead of ``body`` with chunked transfer encoding (no Content-Length)."""
    chunk_delay: float = 0.0
    """Seconds between two chunks: a server that drips its body."""
    delay: float = 0.0
    """Seconds before the answer starts: a server that does not answer."""

    def with_base(self, base: str) -> Reply:
        """This reply with every ``{base}`` replaced by ``base``."""
        if isinstance(self.body, bytes):
            body: bytes | str = self.body.replace(BASE_TOKEN.encode(), base.encode())
        else:
            body = self.body.replace(BASE_TOKEN, base)
        headers = {k: v.replace(BASE_TOKEN, base) for k, v in self.headers.items()}
        return replace(self, body=body, headers=headers)


Route = Reply | Callable[["BaseHTTPRequestHandler"], Reply]
Recording = Mapping[str, Route]
"""Request path (with its query string) -> the answer."""


@dataclass
class Server:
    """A running recorded server. ``requests`` lists (path, headers) as they came."""

    base: str
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]
    fallback: Route = field(default_factory=lambda: Reply(404, "not found"))
    """The answer to any path not in ``routes``."""

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def play(self, recording: Recording, fallback: Route | None = None) -> None:
        """Serve ``recording`` from now on, instead of the current routes; other paths
        get ``fallback`` (default: 404)."""
        self.routes.clear()
        self.routes.update(recording)
        self.fallback = fallback or Reply(404, "not found")


@contextmanager
def serve(routes: Recording | None = None) -> Iterator[Server]:
    """Serve ``routes`` on a free port of 127.0.0.1 until the block ends."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    server = Server("", dict(routes or {}), [])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes: with Nagle on, the second one waits for
        # the client's delayed ACK (40 ms a response on Linux).
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)  # unread bytes would be taken for the next request
            self._answer(send_body=True)

        def _answer(self, *, send_body: bool) -> None:
            server.requests.append((self.path, dict(self.headers.items())))
            route = server.routes.get(self.path, server.fallback)
            reply = (route(self) if callable(route) else route).with_base(server.base)
            try:
                self._send(reply, send_body=send_body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout under test)

        def _send(self, reply: Reply, *, send_body: bool) -> None:
            time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.chunks is not None:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in reply.chunks if send_body else []:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    time.sleep(reply.chunk_delay)
                self.wfile.write(b"0\r\n\r\n")
                return
            body = reply.body.encode() if isinstance(reply.body, str) else reply.body
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    # A short poll interval: shutdown() waits up to one interval, once per server.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def json_reply(doc: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    """``doc`` as a JSON answer."""
    import json

    return Reply(status, json.dumps(doc), {"Content-Type": "application/json", **(headers or {})})


def recording_from_dir(folder: Path | str, *, prefix: str = "/") -> dict[str, Reply]:
    """Every file under ``folder`` served with status 200 at ``prefix`` + its relative
    path, with a Content-Type guessed from its suffix (``.xml``: application/xml)."""
    root = Path(folder)
    routes: dict[str, Reply] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        routes[prefix + path.relative_to(root).as_posix()] = Reply(
            200, path.read_bytes(), {"Content-Type": ctype}
        )
    return routes


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connections are refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
