"""A Kafka + Elasticsearch of the suite's own, beside the developer's stack.

The suite stops and starts these services as faults, so it must never run them on the
stack other people (or other test runs) use. Same manager as ``newswire stack``
(``newswire.stack.Stack``), with its own home and every port moved by ``PORT_OFFSET``.
The downloaded distributions are copied from the default home when they are there
(a copy, not a link: the manager writes each service's configuration into its
distribution folder), so no second Maven download is needed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from newswire.stack import Stack
from wire.settings import Settings

HOME = Path(os.environ.get("NEWSWIRE_CHAOS_HOME", "/var/cache/newswire-chaos"))
PORT_OFFSET = 1000


def chaos_settings(home: Path = HOME, offset: int = PORT_OFFSET) -> Settings:
    """Settings of the suite's own stack: its home and the default ports plus ``offset``."""
    moved = Settings().ports_moved(offset)
    return moved.model_copy(
        update={
            "home": home,
            "kafka_bootstrap": f"127.0.0.1:{moved.kafka_port}",
            "elasticsearch_url": f"http://127.0.0.1:{moved.elasticsearch_port}",
            "heap_mb": 512,
        }
    )


def stack_environment(settings: Settings) -> dict[str, str]:
    """What a ``newswire`` subprocess needs to talk to this stack."""
    return {
        "NEWSWIRE_HOME": str(settings.home),
        "NEWSWIRE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "NEWSWIRE_ELASTICSEARCH_URL": settings.elasticsearch_url,
        "NEWSWIRE_KAFKA_PORT": str(settings.kafka_port),
        "NEWSWIRE_KAFKA_CONTROLLER_PORT": str(settings.kafka_controller_port),
        "NEWSWIRE_ELASTICSEARCH_PORT": str(settings.elasticsearch_port),
        "NEWSWIRE_ELASTICSEARCH_TRANSPORT_PORT": str(settings.elasticsearch_transport_port),
    }


def seed_distributions(settings: Settings, source_home: Path | None = None) -> list[str]:
    """Copy the services' distributions from ``source_home`` (the default home) when this
    home lacks them; returns what was copied. Ownership is kept (Elasticsearch runs as its
    own user when we are root)."""
    source_home = source_home or Settings().home
    copied = []
    for name in (
        f"kafka-{settings.kafka_version}",
        f"elasticsearch-dist-{settings.elasticsearch_version}",
    ):
        src, dst = source_home / name, settings.home / name
        if dst.exists() or not (src / ".complete").exists() or src == dst:
            continue
        settings.home.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dst, symlinks=True, copy_function=_copy_keep_owner)
        copied.append(name)
    return copied


def _copy_keep_owner(src: str, dst: str) -> None:
    shutil.copy2(src, dst)
    st = os.stat(src)
    if os.geteuid() == 0:
        os.chown(dst, st.st_uid, st.st_gid)


class ChaosStack:
    """The suite's stack: up (idempotent), the two services to stop and start, down."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stack = Stack(settings)
        self.started_here = False

    def up(self) -> None:
        seed_distributions(self.settings)
        result = self.stack.up(report=lambda line: print(f"  stack: {line}", flush=True))
        self.started_here = bool(result.started)

    def down(self) -> None:
        self.stack.down()

    def stop_kafka(self) -> None:
        self.stack.kafka.process.stop()

    def start_kafka(self) -> None:
        self.stack.kafka.start()
        self.stack.kafka.wait()

    def stop_elasticsearch(self) -> None:
        self.stack.elasticsearch.process.stop()

    def start_elasticsearch(self) -> None:
        self.stack.elasticsearch.start()
        self.stack.elasticsearch.wait()
