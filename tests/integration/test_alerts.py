"""Alerts end to end on the real stack: percolated after indexing, POSTed once, dead-lettered.

An alert added with the CLI fires exactly once for a matching story indexed after it (even
when the story is indexed again, and with a second indexer's hook seeing the same batch),
never for a story that does not match; a webhook that keeps failing gets a dead letter
with stage ``alerts``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from kafka import KafkaConsumer, KafkaProducer

from newswire.alerts import alert_hook
from newswire.kafka import ensure_topics
from pipeline.index.alerts import AlertHook, AlertStore
from pipeline.index.indexer import Indexer
from pipeline.index.writer import Writer, make_client
from wire.models import Article, DeadLetter, SourceRef
from wire.settings import Settings

pytestmark = pytest.mark.integration

SOURCE = SourceRef(id="hindukush", name="Hindukush Times", connector="rss")


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((self.path, body))
        self.send_response(500 if self.path == "/broken" else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(namespace: dict[str, str]) -> Iterator[Settings]:
    s = Settings.model_validate(
        {k.removeprefix("NEWSWIRE_").lower(): v for k, v in namespace.items()}
    )
    ensure_topics(s)
    Writer(s).setup()
    yield s
    es = make_client(s)  # hidden indices and their template: not covered by the fixture
    es.options(ignore_status=404).indices.delete(
        index=f"{s.index_prefix}-alerts,{s.index_prefix}-alert-deliveries", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=f"{s.index_prefix}-alerts")


def _article(key: str, title: str, body: str, focus: list[str], minutes: int = 0) -> Article:
    return Article(
        id=key, url=f"https://hindukush.example/{key}", source=SOURCE, title=title, body=body,
        lang="en", focus_countries=focus, countries=focus,
        published_at=datetime.now(UTC), processed_at=datetime.now(UTC) + timedelta(minutes=minutes),
    )  # fmt: skip


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newswire", *args], env={**os.environ, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _send(s: Settings, *articles: Article) -> None:
    producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap)
    for a in articles:
        producer.send(s.topic_articles, key=a.id.encode(), value=a.to_json_bytes())
    producer.flush()
    producer.close()


def _wait(check: Callable[[], object], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


def test_an_alert_fires_once_for_a_matching_story_and_never_for_others(
    namespace: dict[str, str], settings: Settings, receiver: str
) -> None:
    added = _cli(namespace, "alerts", "add", "helmand", '"Helmand river" OR Helmand*',
                 "--region", "Afghanistan", "--webhook", f"{receiver}/hook")  # fmt: skip
    assert added.returncode == 0, added.stderr
    broken = _cli(namespace, "alerts", "add", "broken", "gauge", "--webhook", f"{receiver}/broken")
    assert broken.returncode == 0, broken.stderr
    listed = _cli(namespace, "alerts", "list", "--json")
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == [
        "broken", "helmand"
    ]  # fmt: skip

    match = _article(
        "m1",
        "Afghanistan and Iran set up a gauge on the Helmand river",
        "Officials in Kabul said the gauge on the Helmand river opens in May.",
        ["AF"],
    )
    other = _article("n1", "Kabul market prices rise", "Flour and fuel cost more in Kabul.", ["AF"])
    elsewhere = _article("n2", "Helmand river talks in Tehran", "Iran's view of the river.", ["IR"])

    indexer = Indexer(settings)
    indexer.alerts = alert_hook(settings)
    thread = threading.Thread(target=indexer.run, daemon=True)
    thread.start()
    try:
        _send(settings, match, other, elsewhere)
        assert _wait(lambda: indexer.indexed >= 3), "the stories were not indexed"

        def hooks() -> list[dict[str, Any]]:
            return [b for p, b in _Receiver.received if p == "/hook"]

        assert _wait(lambda: len(hooks()) >= 1, 20), "the alert did not fire"

        # The same story indexed again (a newer version) and a second replica's hook
        # percolating the same story: the delivery record stops both.
        _send(settings, _article("m1", match.title or "", match.body, ["AF"], minutes=5))
        assert _wait(lambda: indexer.indexed >= 4)
        store = AlertStore(make_client(settings), settings.index_prefix, settings.index_alias)
        second: list[str] = []
        assert AlertHook(store, lambda a, doc: second.append(a.name)).indexed([match]) == 0
        assert second == []

        # The failing webhook: 5 attempts, then a dead letter with stage "alerts".
        assert _wait(lambda: sum(p == "/broken" for p, _ in _Receiver.received) >= 5, 30)
        time.sleep(3)
    finally:
        indexer.stop()
        thread.join(timeout=30)

    fired = [b for p, b in _Receiver.received if p == "/hook"]
    assert len(fired) == 1, fired
    assert fired[0]["alert"]["name"] == "helmand"
    assert fired[0]["story"]["id"] == "m1"
    assert fired[0]["story"]["url"] == "https://hindukush.example/m1"
    assert sum(p == "/broken" for p, _ in _Receiver.received) == 5  # the one gauge story

    letters = _dead_letters(settings)
    assert [(d.stage, d.error_class, d.key) for d in letters] == [
        ("alerts", "WebhookFailed", "broken:m1")
    ]
    assert json.loads(letters[0].payload)["story"]["id"] == "m1"


def test_a_private_webhook_is_refused_without_the_setting(namespace: dict[str, str]) -> None:
    env = {**namespace, "NEWSWIRE_HTTP_ALLOW_PRIVATE": "false"}
    added = _cli(env, "alerts", "add", "x", "Kabul", "--webhook", "http://127.0.0.1:9/hook")
    assert added.returncode == 2
    assert added.stderr.count("\n") == 1 and "non-public address" in added.stderr


def _dead_letters(s: Settings) -> list[DeadLetter]:
    consumer = KafkaConsumer(
        s.topic_dlq, bootstrap_servers=s.kafka_bootstrap, auto_offset_reset="earliest",
        consumer_timeout_ms=3000, group_id=None,
    )  # fmt: skip
    letters = [DeadLetter.model_validate_json(r.value) for r in consumer]
    consumer.close()
    return letters
