"""What the runner writes to Kafka besides scheduling: items, dead letters, source states.

- ``Output.send_item``: one raw item to ``news.raw``; an item too large even without its
  HTML goes to the dead letters instead.
- ``Output.dead_letter``: the one place a dead letter is made, and so the one place a
  payload is trimmed (to ``MAX_LETTER_BYTES``). Connectors hand over whole payloads
  (``Page.skipped``, ``BadPayload.payload``, ``SkipItem.payload``) and never cut them.
- ``Output.refused_body``: a ``BadPayload``'s body, lettered once per distinct body.
- ``StateBatch``: each source's state (cursor + health), saved at once after a page's
  items are acknowledged, or batched a moment later when only counters changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from kafka import KafkaProducer

from connectors.sdk.errors import BadPayload
from connectors.sdk.state import StateStore
from wire.metrics import DEAD_LETTERS, error_class
from wire.models import DeadLetter, RawItem
from wire.settings import Settings

log = logging.getLogger(__name__)

DELIVERY_TIMEOUT = 120.0  # seconds to wait for Kafka to acknowledge a page's items
MAX_LETTER_BYTES = 100_000  # of a refused payload kept in its dead letter


def trim(payload: str | bytes | None) -> str | bytes | None:
    """``payload`` cut to ``MAX_LETTER_BYTES`` bytes (text in UTF-8, at a character end)."""
    if isinstance(payload, str):
        if len(payload) * 4 <= MAX_LETTER_BYTES:  # short enough whatever its characters
            return payload
        return payload.encode(errors="replace")[:MAX_LETTER_BYTES].decode("utf-8", errors="ignore")
    return payload if payload is None else payload[:MAX_LETTER_BYTES]


class Output:
    """Items and dead letters of every source, through the runner's one producer."""

    def __init__(self, producer: KafkaProducer, settings: Settings) -> None:
        self.producer = producer
        self.settings = settings

    def send_item(self, item: RawItem) -> tuple[Any, bool]:
        """Produce one item: (its future, True), or (future, False) when it was too big
        to keep and went to the dead-letter topic instead."""
        value = item.to_json_bytes()
        if len(value) > self.settings.max_raw_bytes:
            if not (item.content or item.summary):
                too_big = ValueError(f"raw item of {len(value)} bytes exceeds the cap")
                return self.dead_letter(item.key, too_big, value), False
            # Keep the story: drop the raw HTML, the processor falls back to the feed text.
            value = item.model_copy(update={"html": None}).to_json_bytes()
        return self.producer.send(self.settings.topic_raw, key=item.key.encode(), value=value), True

    def dead_letter(self, key: str, exc: BaseException, payload: str | bytes | None) -> Any:
        """Produce a dead letter (its future); the payload is trimmed here, and only here."""
        letter = DeadLetter.for_error("connector", exc, trim(payload), key=key)
        DEAD_LETTERS.labels("connector", error_class(exc)).inc()
        return self.producer.send(
            self.settings.topic_dlq, key=key.encode(), value=letter.to_json_bytes()
        )

    def refused_body(self, source_id: str, exc: BadPayload, last: str | None) -> str | None:
        """Letter a body the source should not have sent, unless its digest is ``last``
        (the same maintenance page all night is lettered once, then only counted).
        Returns the digest to remember, or ``last`` when nothing was sent."""
        body = exc.payload if isinstance(exc.payload, bytes) else (exc.payload or "").encode()
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        if digest == last:
            return last
        try:
            self.dead_letter(source_id, exc, body).get(timeout=DELIVERY_TIMEOUT)
        except Exception:  # Kafka trouble: the failure is still reported in the source's health
            log.exception("source %s: could not send the refused payload", source_id)
            return last
        return digest


class StateBatch:
    """Source states waiting to be saved. ``save(now=True)`` sends at once (the page's
    items are acked); others go out with the next ``flush()``. Thread-safe."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._state_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._unsaved: dict[str, dict[str, Any]] = {}

    def save(self, source_id: str, snapshot: dict[str, Any], *, now: bool) -> None:
        with self._state_lock:
            self._unsaved[source_id] = snapshot
        if now:
            self.flush(source_id)

    def flush(self, only: str | None = None) -> None:
        """Send queued states. ``_send_lock`` keeps a source's saves in the order they were
        made; ``_state_lock`` is held only to take them, so workers never wait on Kafka."""
        with self._send_lock:
            with self._state_lock:
                if only is None:
                    batch, self._unsaved = self._unsaved, {}
                else:
                    snapshot = self._unsaved.pop(only, None)
                    batch = {only: snapshot} if snapshot is not None else {}
            for source_id, state in batch.items():
                try:
                    self.store.send(source_id, state).add_errback(
                        lambda exc, sid=source_id: log.warning(
                            "source %s: state not saved: %s", sid, exc
                        )
                    )
                except Exception as exc:  # Kafka itself may be the trouble: try again later
                    log.warning("source %s: could not save its state: %s", source_id, exc)
                    with self._state_lock:
                        self._unsaved.setdefault(source_id, state)
