"""A fake Jetstream v1 on 127.0.0.1: replays recorded events over a real WebSocket.

It honours what the connector relies on: ``cursor=`` (only events with ``time_us`` above
it), ``wantedCollections`` and ``wantedDids`` (server-side filters, also when sent in an
``options_update`` hello after ``requireHello=true``). ``drops`` scripts failures: the
n-th connection is cut (TCP shutdown, no close frame) after ``drops[n]`` messages.
Messages that are not JSON objects are sent only on a connection without a cursor.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


@dataclass
class Connection:
    query: dict[str, list[str]]
    headers: dict[str, str]
    hello: dict[str, Any] | None = None
    sent: int = 0

    @property
    def cursor(self) -> int | None:
        values = self.query.get("cursor")
        return int(values[0]) if values else None


@dataclass
class FakeJetstream:
    events: list[str]
    drops: list[int | None] = field(default_factory=list)
    filter_dids: bool = True
    connections: list[Connection] = field(default_factory=list)
    url: str = ""

    def handle(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None
        query = parse_qs(urlsplit(request.path).query)
        conn = Connection(query, {k.lower(): v for k, v in request.headers.raw_items()})
        self.connections.append(conn)
        collections = set(query.get("wantedCollections", []))
        dids = set(query.get("wantedDids", []))
        if query.get("requireHello") == ["true"]:
            conn.hello = json.loads(ws.recv(timeout=5))
            payload = conn.hello["payload"]
            collections, dids = set(payload["wantedCollections"]), set(payload["wantedDids"])
        limit = (
            self.drops[len(self.connections) - 1]
            if len(self.connections) <= len(self.drops)
            else None
        )
        for raw in self.events:
            if not self._wanted(raw, conn.cursor, collections, dids):
                continue
            if limit is not None and conn.sent >= limit:
                ws.socket.shutdown(socket.SHUT_RDWR)  # a cut, not a goodbye
                return
            try:
                ws.send(raw)
            except ConnectionClosed:
                return
            conn.sent += 1
        try:
            while True:  # live and idle until the client leaves
                ws.recv()
        except ConnectionClosed:
            pass

    def _wanted(self, raw: str, cursor: int | None, collections: set[str], dids: set[str]) -> bool:
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            return cursor is None
        time_us = event.get("time_us")
        if cursor is not None and isinstance(time_us, int) and time_us <= cursor:
            return False
        if self.filter_dids and dids and event.get("did") not in dids:
            return False
        commit = event.get("commit")
        if collections and isinstance(commit, dict):
            return commit.get("collection") in collections
        return True


@contextmanager
def fake_jetstream(
    events: list[str], drops: list[int | None] | None = None, *, filter_dids: bool = True
) -> Iterator[FakeJetstream]:
    fake = FakeJetstream(list(events), list(drops or []), filter_dids)
    with serve(fake.handle, "127.0.0.1", 0, compression=None) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        fake.url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/subscribe"
        try:
            yield fake
        finally:
            server.shutdown()
            thread.join(timeout=5)
