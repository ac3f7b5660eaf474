"""The faults, one per phase. Each is called after the phase's pages are published;
it waits until they are flowing, breaks one thing, and repairs it the way an operator's
supervisor would (a killed role is started again at once; a stopped service after the
outage). ``before_publish`` runs before the pages are on the feeds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kafka import KafkaProducer

from tests.chaos.roles import CRASHING_INDEXER
from wire.clients import kafka_client_config

if TYPE_CHECKING:
    from tests.chaos.suite import Suite

Fault = Callable[["Suite", int], None]


def kill_role(name: str) -> Fault:
    def fault(suite: Suite, index: int) -> None:
        suite.wait_progress(0.25)
        role = suite.roles[name]
        role.kill9()
        suite.current.notes.append(f"{name} killed -9")  # type: ignore[union-attr]
        role.start()

    return fault


def es_stopped(seconds: float) -> Fault:
    def fault(suite: Suite, index: int) -> None:
        suite.wait_progress(0.25)
        suite.stack.stop_elasticsearch()
        time.sleep(seconds)
        suite.stack.start_elasticsearch()

    return fault


def kafka_stopped(seconds: float) -> Fault:
    def fault(suite: Suite, index: int) -> None:
        suite.wait_progress(0.25)
        suite.stack.stop_kafka()
        time.sleep(seconds)
        suite.stack.start_kafka()

    return fault


def indexer_crash_before_commit(suite: Suite, index: int) -> None:
    """The indexer is swapped for one that dies right after its first acknowledged bulk."""
    suite.retire("indexer")
    crashing = suite.role("indexer-crashing", ["--log-level", "info"], command=CRASHING_INDEXER)
    code = crashing.wait(240)
    suite.roles.pop("indexer-crashing")
    if code is None:
        crashing.stop()
    happened = "SIGKILL before commit" in crashing.log_tail(200)
    suite.current.notes.append(  # type: ignore[union-attr]
        f"indexer killed after a bulk, before its commit: {'yes' if happened else 'NO'} ({code})"
    )
    suite.role("indexer", ["indexer", "--log-level", "info"])


def second_processor(suite: Suite, index: int) -> None:
    """A second replica joins (rebalance), works a while, and is killed -9 (rebalance)."""
    suite.wait_progress(0.1)
    env = {"NEWSWIRE_PROCESSOR_DATA_DIR": str(suite.workdir / "processor-2")}
    replica = suite.role("processor-2", ["processor", "--log-level", "info"], env=env)
    suite.wait_progress(0.5, timeout=45)
    suite.roles.pop("processor-2")
    alive = replica.alive()
    replica.kill9()
    suite.current.notes.append(  # type: ignore[union-attr]
        f"second processor {'killed -9 mid-stream' if alive else 'had already exited'}"
    )


def throttled(seconds: float) -> Fault:
    """One host answers 429 with Retry-After to everything, while its pages are new."""

    def before(suite: Suite, index: int) -> None:
        host = index % len(suite.sites.hosts)
        suite.sites.throttle(host, seconds, retry_after=int(seconds))
        suite.throttled_host = host  # type: ignore[attr-defined]

    def fault(suite: Suite, index: int) -> None:
        time.sleep(seconds)
        host = suite.sites.hosts[suite.throttled_host]  # type: ignore[attr-defined]
        suite.current.notes.append(f"{host.throttled} answers 429 from {host.address}")  # type: ignore[union-attr]

    fault.before_publish = before  # type: ignore[attr-defined]
    return fault


POISON: list[tuple[str, bytes]] = [
    ("not-json", b"\xff\xfe\x00 not json {"),
    ("off-schema", b'{"schema_version": 1, "hello": "world"}'),
    ("newer-schema", b'{"schema_version": 99, "key": "x", "url": "http://x.test/"}'),
]


def poison(suite: Suite, index: int) -> None:
    """Three poison records on each consumed topic; unreadable states for two sources
    (the connectors are restarted to read them)."""
    s = suite.settings
    producer = KafkaProducer(**kafka_client_config(s), acks="all")
    topics = {"raw": s.topic_raw, "dedup": s.topic_dedup, "articles": s.topic_articles}
    keys = []
    for short, topic in topics.items():
        for kind, value in POISON:
            key = f"chaos-poison-{short}-{kind}"
            keys.append(key)
            producer.send(topic, key=key.encode(), value=value)
    producer.send(s.topic_state, key=b"host-0", value=b"\x00 not a state")
    producer.send(s.topic_state, key=b"host-1", value=b'["not", "a", "mapping"]')
    producer.send(s.topic_state, key=b"host-2", value=b'{"cursor": "nonsense", "stats": 7}')
    producer.flush()
    producer.close()
    role = suite.roles["connectors"]
    role.stop()
    role.start()
    suite.poison_keys = keys  # type: ignore[attr-defined]
    suite.wait_progress(1.0, timeout=180)
    letters = suite.probe.letters() or []
    got = {x.key for x in letters} & set(keys)
    suite.current.notes.append(f"poison records dead-lettered: {len(got)}/{len(keys)}")  # type: ignore[union-attr]
    if len(got) < len(keys):
        suite.current.notes.append(f"missing: {sorted(set(keys) - got)}")  # type: ignore[union-attr]


def kill_run(suite: Suite, index: int) -> None:
    """The roles as one ``newswire run`` process, killed -9 mid-stream, started again."""
    for name in ("connectors", "processor", "indexer"):
        suite.retire(name)
    src = ["--sources", str(suite.sources), "--log-level", "info"]
    run = suite.role("run", ["run", *src])
    suite.wait_progress(0.25, timeout=120)
    run.kill9()
    suite.current.notes.append("newswire run killed -9")  # type: ignore[union-attr]
    run.start()


def catalogue(cfg: Any) -> dict[str, Fault]:
    return {
        "kill -9 connectors": kill_role("connectors"),
        "kill -9 processor": kill_role("processor"),
        "kill -9 indexer": kill_role("indexer"),
        "indexer killed between bulk and commit": indexer_crash_before_commit,
        "second processor started, killed -9": second_processor,
        f"Elasticsearch stopped {cfg.es_down:.0f}s": es_stopped(cfg.es_down),
        f"Kafka stopped {cfg.kafka_down:.0f}s": kafka_stopped(cfg.kafka_down),
        f"429 Retry-After {cfg.throttle:.0f}s": throttled(cfg.throttle),
        "poison record on each topic": poison,
        "kill -9 newswire run": kill_run,
    }
