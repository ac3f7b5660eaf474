"""Webhook delivery for alerts (``pipeline.index.alerts``), wired into the indexer here.

The application layer owns it because it needs the connectors' HTTP client: a webhook URL
is user input, so it goes through the same SSRF guard (private addresses only with
NEWSWIRE_HTTP_ALLOW_PRIVATE=true), size cap and deadline as every fetch.

One daemon thread per indexer with a bounded queue: the indexer never waits on a slow
webhook (a full queue drops the notification with an error log and a dead letter, rather
than stalling indexing). Each POST is retried with exponential backoff; after
``ATTEMPTS`` failures the notification becomes a dead letter on ``news.dlq`` with stage
``alerts`` and the payload that would have been sent.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from datetime import UTC, datetime
from typing import Any

from pipeline.index.alerts import Alert, AlertHook, AlertStore
from wire.settings import Settings

log = logging.getLogger(__name__)

ATTEMPTS = 5
BACKOFF = 0.5  # seconds before the 2nd attempt; doubled each time (0.5, 1, 2, 4)
QUEUE_SIZE = 10_000
STORY_FIELDS = (
    "id", "url", "title", "summary", "source", "lang", "published_at", "fetched_at",
    "indexed_at", "countries", "focus_countries", "subdivisions", "world_regions", "topics",
    "cluster_id", "kind",
)  # fmt: skip


class WebhookFailed(RuntimeError):
    """A webhook kept failing; the notification is in the dead-letter topic."""


def payload(alert: Alert, story: dict[str, Any]) -> dict[str, Any]:
    """What a webhook receives: the alert and the story (no body; ``url`` opens it)."""
    return {
        "alert": {"name": alert.name, "query": alert.query, "region": alert.region,
                  "topic": alert.topic, "source": alert.source},
        "story": {k: story[k] for k in STORY_FIELDS if k in story},
        "sent_at": datetime.now(UTC).isoformat(),
    }  # fmt: skip


class WebhookSender:
    """``sender(alert, story)`` queues a POST; a thread delivers with retries."""

    def __init__(self, settings: Settings, attempts: int = ATTEMPTS, backoff: float = BACKOFF):
        from connectors.sdk.http import HttpClient

        self.settings = settings
        self.attempts = attempts
        self.backoff = backoff
        self.http = HttpClient.from_settings(settings)
        self.queue: queue.Queue[tuple[Alert, dict[str, Any]] | None] = queue.Queue(QUEUE_SIZE)
        self.sent = 0
        self.failed = 0
        self._producer: Any = None
        self._thread = threading.Thread(target=self._run, name="alerts-webhooks", daemon=True)
        self._thread.start()

    def __call__(self, alert: Alert, story: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait((alert, story))
        except queue.Full:
            log.error(
                "alerts: webhook queue full; %s for %s dead-lettered", alert.name, story["id"]
            )
            self._dead_letter(alert, payload(alert, story), "the webhook queue was full")

    def post(self, alert: Alert, body: dict[str, Any]) -> None:
        """One POST, raising on refusal (guard), transport failure or a non-2xx status."""
        resp = self.http.post(alert.webhook, json=body)
        if not 200 <= resp.status < 300:
            raise WebhookFailed(f"status {resp.status}")

    def deliver(self, alert: Alert, story: dict[str, Any]) -> bool:
        body = payload(alert, story)
        error = ""
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                self.post(alert, body)
                self.sent += 1
                return True
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning("alerts: webhook of %s failed (%d): %s", alert.name, attempt + 1, error)
        self.failed += 1
        self._dead_letter(alert, body, f"{self.attempts} attempts failed; last: {error}")
        return False

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (up to ``timeout``), then stop the thread."""
        try:
            self.queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)
        if self._producer is not None:
            self._producer.close(timeout=5)
        self.http.close()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            try:
                self.deliver(*item)
            except Exception:  # the thread must outlive any one notification
                log.exception("alerts: delivering %s failed", item[0].name)

    def _dead_letter(self, alert: Alert, body: dict[str, Any], why: str) -> None:
        from kafka import KafkaProducer

        from wire.clients import kafka_client_config
        from wire.models import DeadLetter

        letter = DeadLetter.for_error(
            "alerts",
            WebhookFailed(f"alert {alert.name}: webhook {alert.webhook}: {why}"),
            json.dumps(body),
            topic=f"{self.settings.index_prefix}-alerts",
            key=f"{alert.name}:{body['story'].get('id')}",
        )
        try:
            if self._producer is None:
                self._producer = KafkaProducer(
                    **kafka_client_config(self.settings), acks="all", client_id="newswire-alerts"
                )
            self._producer.send(
                self.settings.topic_dlq, key=letter.key.encode() if letter.key else None,
                value=letter.to_json_bytes(),
            ).get(timeout=30)  # fmt: skip
        except Exception:
            log.exception("alerts: dead letter for %s not written", letter.key)


def alert_hook(settings: Settings) -> AlertHook:
    """The indexer's hook: percolate after each acknowledged bulk, POST what matched."""
    from pipeline.index.writer import make_client

    sender = WebhookSender(settings)
    store = AlertStore(make_client(settings), settings.index_prefix, settings.index_alias)
    return AlertHook(store, sender, sender.close)
