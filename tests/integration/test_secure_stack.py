"""The pipeline against the secure local stack: TLS and logins on the real servers.

`newswire stack up --secure` (own folder, own ports: it runs beside the plain stack the
other tests use) prints the client settings; with them a story goes from a local feed
through Kafka (SASL_SSL, SCRAM-SHA-512) to a search over HTTPS as the read-only user.
Clients without credentials, with a wrong password or with a wrong CA are refused at
start in one line with a non-zero exit. The secure stack is stopped at the end when
this module started it. Select it alone with ``pytest -m secure``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from newswire.stack.certs import make_ca
from tests.support.settings import stream_namespace
from tests.support.site import Site, make_stories, serve

pytestmark = [pytest.mark.integration, pytest.mark.secure]

NEWSWIRE = [sys.executable, "-m", "newswire"]


def _newswire(
    args: list[str], env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSWIRE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _base_env() -> dict[str, str]:
    """The caller's environment without any NEWSWIRE_ setting that would point elsewhere."""
    keep = {"NEWSWIRE_HOME", "NEWSWIRE_JAVA_HOME", "NEWSWIRE_HEAP_MB"}
    keep.add("NEWSWIRE_SECURE_PORT_OFFSET")
    return {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_") or k in keep}


@pytest.fixture(scope="module")
def secure() -> Iterator[dict[str, str]]:
    """The client settings printed by `stack up --secure` (parsed from its export lines)."""
    env = _base_env()
    was_up = _newswire(["stack", "status", "--secure"], env, timeout=60).returncode == 0
    up = _newswire(["stack", "up", "--secure"], env, timeout=400)
    if up.returncode != 0:
        _newswire(["stack", "down", "--secure"], env, timeout=120)
        message = f"`newswire stack up --secure` failed: {up.stderr[-2000:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    client = dict(
        line.removeprefix("export ").split("=", 1)
        for line in up.stdout.splitlines()
        if line.startswith("export NEWSWIRE_")
    )
    assert client["NEWSWIRE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert client["NEWSWIRE_ELASTICSEARCH_URL"].startswith("https://")
    try:
        yield {**env, **client}
    finally:
        if not was_up:
            down = _newswire(["stack", "down", "--secure"], env, timeout=180)
            assert down.returncode == 0, down.stderr


def _secrets(client: dict[str, str]) -> dict[str, str]:
    folder = Path(client["NEWSWIRE_KAFKA_SSL_CAFILE"]).parents[1]
    return dict(json.loads((folder / "secrets.json").read_text()))


def test_a_story_goes_from_a_feed_to_a_search_over_tls_with_logins(
    tmp_path: Path, secure: dict[str, str]
) -> None:
    ns = "sec" + uuid.uuid4().hex[:8]
    env = {
        **secure,
        **stream_namespace(ns, str(tmp_path / "processor")),
    }
    site = Site(stories=make_stories(3))
    server, base = serve(site)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - id: secure-courier\n    connector: rss\n    name: Secure Courier\n"
        f"    config: {{url: '{base}/feed.xml'}}\n    interval: 600\n"
    )
    try:
        began = time.monotonic()
        run = _newswire(["run", "-s", str(sources), "--exit-when-idle", "3"], env, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        # the writer's own searches (same-event candidates) are allowed by its role
        assert "candidate search" not in run.stderr, run.stderr[-3000:]
        print(f"secure run: {time.monotonic() - began:.1f}s")
    finally:
        server.shutdown()
        server.server_close()

    # Read back as the read-only user (what the API and analysts use).
    keys = _secrets(secure)
    reader = {
        **env,
        "NEWSWIRE_ELASTICSEARCH_USERNAME": "newswire_reader",
        "NEWSWIRE_ELASTICSEARCH_PASSWORD": keys["es_reader"],
    }
    story = site.stories[0]
    found = _newswire(["search", story.title, "--json", "--size", "20"], reader, timeout=60)
    assert found.returncode == 0, found.stderr[-2000:]
    urls = {hit["url"] for hit in json.loads(found.stdout)["hits"]}
    assert f"{base}/news/{story.slug}" in urls


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"drop": "NEWSWIRE_KAFKA_"}, "expects TLS"),
        ({"NEWSWIRE_KAFKA_SASL_PASSWORD": "wrong-password"}, "refused the SASL SCRAM-SHA-512"),
        ({"wrong_ca": "NEWSWIRE_KAFKA_SSL_CAFILE"}, "TLS certificate is not trusted"),
        ({"drop": "NEWSWIRE_ELASTICSEARCH_"}, "expects TLS: use an https:// URL"),
        ({"NEWSWIRE_ELASTICSEARCH_PASSWORD": "wrong-password"}, "refused user 'newswire' (401)"),
        ({"wrong_ca": "NEWSWIRE_ELASTICSEARCH_CA_CERTS"}, "its certificate is not trusted"),
        (
            {
                "unset": "NEWSWIRE_ELASTICSEARCH_USERNAME,NEWSWIRE_ELASTICSEARCH_PASSWORD",
                "NEWSWIRE_ELASTICSEARCH_API_KEY": "bm90LWEta2V5OkxlYWstQ2FuYXJ5LTdmM2E5Yw==",
            },
            "refused the API key (401)",
        ),
    ],
)
def test_a_refused_client_fails_fast_in_one_line(
    tmp_path: Path, secure: dict[str, str], change: dict[str, str], expected: str
) -> None:
    env = dict(secure)
    if prefix := change.pop("drop", None):
        # The URL/bootstrap stays (the right address), every security setting goes.
        address = {k: v for k, v in env.items() if k in ("NEWSWIRE_KAFKA_BOOTSTRAP",)}
        env = {k: v for k, v in env.items() if not k.startswith(prefix)} | address
        if prefix == "NEWSWIRE_ELASTICSEARCH_":
            env["NEWSWIRE_ELASTICSEARCH_URL"] = secure["NEWSWIRE_ELASTICSEARCH_URL"].replace(
                "https://", "http://"
            )
    for name in filter(None, change.pop("unset", "").split(",")):
        env.pop(name)
    if ca_setting := change.pop("wrong_ca", None):
        env[ca_setting] = str(make_ca(tmp_path / "other-ca", "not the stack's CA").ca)
    env.update(change)
    began = time.monotonic()
    role = _newswire(["indexer"], env, timeout=120)
    took = time.monotonic() - began
    assert role.returncode != 0
    lines = [line for line in role.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: "), role.stderr[-2000:]
    assert expected in lines[-1]
    assert "Traceback" not in role.stderr
    assert took < 60
    for secret in (v for k, v in change.items() if "PASSWORD" in k or "API_KEY" in k):
        assert secret not in role.stderr + role.stdout  # a refused secret is never echoed


LEAK = "Leak-Canary-7f3a9c"  # every secret below contains it: one search finds them all


class _Instance(BaseHTTPRequestHandler):
    """A social API that answers with a maintenance page (a BadPayload dead letter)."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<html><body>down for maintenance</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


def _topic_values(client: dict[str, str], topic: str) -> bytes:
    """Every key and value on ``topic``, read with the stack's client settings."""
    from kafka import KafkaConsumer, TopicPartition

    from wire.clients import kafka_client_config
    from wire.settings import Settings

    consumer = KafkaConsumer(**kafka_client_config(Settings(**_settings_kwargs(client))))
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        data = b""
        # position() is None when the consumer has no offset: a TypeError, as before
        while any(consumer.position(tp) < end[tp] for tp in tps):  # type: ignore[operator]
            for records in consumer.poll(timeout_ms=1000).values():
                data += b"".join((r.key or b"") + (r.value or b"") for r in records)
        return data
    finally:
        consumer.close()


def _settings_kwargs(client: dict[str, str]) -> dict[str, Any]:
    return {
        k.removeprefix("NEWSWIRE_").lower(): v
        for k, v in client.items()
        if k.startswith("NEWSWIRE_KAFKA_")
    }


def test_no_secret_leaks_into_logs_status_letters_state_or_errors(
    tmp_path: Path, secure: dict[str, str]
) -> None:
    keys = _secrets(secure)
    ns = "leak" + uuid.uuid4().hex[:8]
    env = {
        **secure,
        **stream_namespace(ns, str(tmp_path / "processor")),
        "NEWSWIRE_KIBANA_API_KEY": f"kibana-{LEAK}",
    }
    # The real logins of the stack are secrets too: they must not show either.
    real = [keys["kafka_newswire"], keys["es_newswire"]]
    site = Site(stories=make_stories(2))
    server, base = serve(site)
    social = ThreadingHTTPServer(("127.0.0.1", 0), _Instance)
    threading.Thread(target=social.serve_forever, daemon=True).start()
    other = f"http://127.0.0.1:{social.server_port}"
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - {{id: feed, connector: rss, config: {{url: '{base}/feed.xml'}}}}\n"
        "  - id: toots\n    connector: mastodon\n"
        f"    config: {{instance: '{other}', hashtag: news, access_token: 'mast-{LEAK}',"
        " use_rss: false}\n"
        "  - id: reddit\n    connector: reddit\n"
        f"    config: {{subreddit: worldnews, client_id: cid, client_secret: 'reddit-{LEAK}',"
        f" base_url: '{other}', oauth_url: '{other}', token_url: '{other}/token'}}\n"
    )
    try:
        run = _newswire(
            ["run", "-s", str(sources), "--exit-when-idle", "5", "--log-level", "debug"],
            env,
            timeout=300,
        )
    finally:
        server.shutdown()
        server.server_close()
        social.shutdown()
        social.server_close()
    assert run.returncode == 0, run.stderr[-3000:]
    assert "DEBUG" in run.stderr  # the logs really were at DEBUG
    seen = {"run logs": run.stdout + run.stderr}
    for args in (["status", "--json"], ["sources", "status", "--json"]):
        done = _newswire(args, env, 120)
        seen[" ".join(args)] = done.stdout + done.stderr
    seen["dead letters"] = _topic_values(secure, env["NEWSWIRE_TOPIC_DLQ"]).decode("latin-1")
    seen["connector state"] = _topic_values(secure, env["NEWSWIRE_TOPIC_STATE"]).decode("latin-1")
    assert seen["dead letters"], "the maintenance page should have made a dead letter"
    assert "toots" in seen["connector state"] and "reddit" in seen["connector state"]
    for where, text in seen.items():
        assert LEAK not in text, where
        for secret in real:
            assert secret not in text, where
