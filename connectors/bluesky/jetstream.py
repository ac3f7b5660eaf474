"""Jetstream v1: the subscription URL, event parsing, and a resume cursor that neither
loses nor repeats posts across reconnects.

Jetstream's cursor is a time (``time_us``, microseconds since the epoch, stamped by the
server); ``?cursor=T`` replays the server's retention window (about a day) from ``T``.
Event times are not strictly increasing (the capture in the shared corpus has inversions
of up to 30 ms), and the docs advise against resuming at the exact boundary. So the
cursor keeps the highest ``time_us`` handled, a reconnect asks for ``rewind_s`` seconds
before it, and the keys of the posts delivered inside that rewound span are kept in the
cursor, so the replayed ones are dropped. Keys older than the span cannot come back and
are pruned: the cursor's size follows the post rate of the last few seconds.

Cursor layout (JSON, saved by the runner after Kafka acknowledged the page)::

    {"time_us": 1783175888172335, "seen": [[1783175888130414, "did:plc:x/3mptb..."], ...]}
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.sdk.base import Cursor
from connectors.sdk.seen import StampedSeen

MAX_WANTED_DIDS = 10_000
"""Jetstream's cap on ``wantedDids`` per connection."""
URL_DIDS = 100
"""Up to this many DIDs go in the URL; more are sent in an ``options_update`` message
after connecting (``requireHello=true``), as URLs of 10,000 DIDs break proxies."""
SEEN_CAP = 20_000
"""Hard bound on remembered keys, whatever the post rate."""


class BadEvent(ValueError):
    """A message that is not a Jetstream event of the expected shape."""


class Commit(BaseModel):
    model_config = ConfigDict(extra="ignore")

    operation: str
    collection: str
    rkey: str
    record: dict[str, Any] | None = None


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    did: str
    time_us: int
    kind: str
    commit: Commit | None = None

    @property
    def key(self) -> str:
        return f"{self.did}/{self.commit.rkey}" if self.commit else self.did


def parse_event(message: str | bytes) -> Event:
    """Raises ``BadEvent`` with the reason: not JSON, or not an event's shape."""
    try:
        data = json.loads(message)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadEvent(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadEvent(f"unexpected Jetstream event: a JSON {type(data).__name__}")
    try:
        event = Event.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        raise BadEvent(f"unexpected Jetstream event: {where}: {first['msg']}") from exc
    if event.kind == "commit" and event.commit is None:
        raise BadEvent("unexpected Jetstream event: a commit without its commit object")
    return event


def subscribe_url(
    base: str,
    *,
    collections: list[str],
    dids: list[str],
    cursor_us: int | None,
    max_message_bytes: int,
) -> str:
    """The subscription URL; its own query (if any) is kept. With more than
    ``URL_DIDS`` DIDs, the URL asks for a hello and :func:`options_update` carries them."""
    parts = urlsplit(base)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [("wantedCollections", c) for c in collections]
    if len(dids) > URL_DIDS:
        query.append(("requireHello", "true"))
    else:
        query += [("wantedDids", d) for d in dids]
    query.append(("maxMessageSizeBytes", str(max_message_bytes)))
    if cursor_us is not None:
        query.append(("cursor", str(cursor_us)))
    return urlunsplit((*parts[:3], urlencode(query), ""))


def options_update(collections: list[str], dids: list[str], max_message_bytes: int) -> str:
    """The subscriber-sourced message that sets the filters on a ``requireHello`` stream."""
    payload = {
        "wantedCollections": collections,
        "wantedDids": dids,
        "maxMessageSizeBytes": max_message_bytes,
    }
    return json.dumps({"type": "options_update", "payload": payload})


class ResumeState:
    """The working form of the cursor: the highest time handled and the recent keys."""

    def __init__(self, cursor: Cursor, rewind_us: int) -> None:
        self.rewind_us = rewind_us
        time_us = cursor.get("time_us")
        self.time_us: int | None = time_us if isinstance(time_us, int) else None
        self._seen = StampedSeen.from_cursor(cursor.get("seen"), limit=SEEN_CAP)

    def resume_from(self) -> int | None:
        """The ``cursor=`` to reconnect with: ``rewind_us`` before the last time handled."""
        return None if self.time_us is None else max(0, self.time_us - self.rewind_us)

    def seen(self, key: str) -> bool:
        return key in self._seen

    def handled(self, time_us: int, key: str | None = None) -> None:
        """One event handled; ``key`` (a post delivered or dead-lettered) is remembered."""
        self.time_us = time_us if self.time_us is None else max(self.time_us, time_us)
        if key is not None:
            self._seen.add(key, time_us)

    def to_cursor(self) -> Cursor:
        """The JSON cursor, keeping only keys a reconnect could replay."""
        # >= (pairs' floor): a server that replays from the cursor inclusively must find it
        kept = self._seen.pairs(self.resume_from())
        cursor: Cursor = {"seen": [[t, key] for t, key in kept]}
        if self.time_us is not None:
            cursor["time_us"] = self.time_us
        return cursor
