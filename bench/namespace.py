"""A fresh namespace on the running stack for one benchmark round.

Every topic, consumer group and index gets a unique prefix, so rounds never read each
other's records and the shared stack needs no cleaning between them.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient

from wire.clients import elasticsearch_client_options, kafka_client_config
from wire.settings import Settings

NAMES = (
    "topic_raw",
    "topic_articles",
    "topic_dlq",
    "topic_state",
    "processor_group",
    "indexer_group",
    "index_prefix",
    "index_alias",
    "processor_data_dir",
    "processor_store",
)


def namespaced(prefix: str, workdir: Path | None = None) -> Settings:
    """Settings of a new namespace; with ``workdir``, a processor keeps its data there."""
    ns = prefix + uuid.uuid4().hex[:8]
    settings = Settings(
        topic_raw=f"{ns}.raw",
        topic_articles=f"{ns}.articles",
        topic_dlq=f"{ns}.dlq",
        topic_state=f"{ns}.state",
        processor_group=f"{ns}-processor",
        indexer_group=f"{ns}-indexer",
        index_prefix=f"{ns}-news",
        index_alias=f"{ns}-news",
    )
    if workdir is None:
        return settings
    return settings.model_copy(
        update={"processor_data_dir": workdir / ns, "processor_store": "memory://"}
    )


def environment(settings: Settings) -> dict[str, str]:
    """The ``NEWSWIRE_*`` variables that give a subprocess the same namespace."""
    return {f"NEWSWIRE_{name.upper()}": str(getattr(settings, name)) for name in NAMES}


def remove(settings: Settings) -> None:
    """Delete the namespace's indices, index template and topics (faust's own included)."""
    es = Elasticsearch(**elasticsearch_client_options(settings))
    prefix = settings.index_prefix
    es.options(ignore_status=404).indices.delete(index=f"{prefix}-*")
    es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-articles")
    es.close()
    remove_topics(settings)


def remove_topics(settings: Settings) -> None:
    """Delete the namespace's topics (the processor's internal ones included)."""
    admin = KafkaAdminClient(**kafka_client_config(settings))
    ns = settings.topic_raw.split(".")[0]
    mine = [t for t in admin.list_topics() if t.startswith(ns)]
    if mine:
        admin.delete_topics(mine)
    admin.close()
