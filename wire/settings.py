"""Settings from ``NEWSWIRE_*`` environment variables; defaults point at the local stack."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    # Elasticsearch refuses root and runs as a dedicated user, who cannot enter /root.
    if os.geteuid() == 0:
        return Path("/var/cache/newswire")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newswire"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", env_file=None, extra="ignore")

    # Services
    kafka_bootstrap: str = "127.0.0.1:19092"
    elasticsearch_url: str = "http://127.0.0.1:19200"
    elasticsearch_api_key: str | None = Field(default=None, repr=False)
    kibana_url: str = "http://127.0.0.1:5601"
    kibana_api_key: str | None = Field(default=None, repr=False)

    # Topics
    topic_raw: str = "news.raw"
    topic_articles: str = "news.articles"
    topic_dlq: str = "news.dlq"
    topic_state: str = "news.connector-state"
    topic_partitions: int = 4
    topic_replication: int = 1

    # Consumer groups
    processor_group: str = "newswire-processor"
    indexer_group: str = "newswire-indexer"

    @property
    def topic_dedup(self) -> str:
        """The processor's internal topic between its extract and dedup stages."""
        return f"{self.processor_group}-dedup"

    # Elasticsearch
    index_prefix: str = "news"
    index_alias: str = "news"
    retention_days: int = Field(
        default=730, ge=0, description="ILM delete age where the cluster has ILM; 0 keeps all"
    )

    # Local stack (no Docker)
    home: Path = Field(default_factory=_default_home)
    kafka_version: str = "4.1.1"
    elasticsearch_version: str = "9.2.4"
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    elasticsearch_port: int = 19200
    elasticsearch_transport_port: int = 19300
    heap_mb: int = 512
    java_home: Path | None = None
    jvm_dirs: list[Path] = Field(default_factory=lambda: [Path("/usr/lib/jvm")])
    es_user: str = "newswire"

    # Processing
    processor_data_dir: Path | None = None
    processor_store: str = Field(
        default="rocksdb://", description="faust table store: rocksdb:// (rocksdict) or memory://"
    )
    dedup_sweep_seconds: float = 600.0
    extraction_timeout_s: float = 20.0
    max_raw_bytes: int = 10 * 1024 * 1024

    # Connectors (politeness is per origin, shared by every source on it)
    http_timeout_s: float = 20.0
    http_allow_private: bool = False
    http_respect_robots: bool = Field(
        default=True,
        description="check article pages against robots.txt (a configured feed is fetched "
        "regardless, as feed readers do) and honour Crawl-delay",
    )
    http_per_host_interval: float = Field(
        default=0.5, ge=0, description="seconds between two requests to one host"
    )
    http_per_host_concurrency: int = Field(
        default=2, ge=1, description="requests in flight to one host"
    )
    connector_workers: int = Field(default=8, ge=1, description="sources polled at once")
    user_agent: str = "newswire/0.1 (+https://github.com/newswire/newswire)"

    # Indexer
    index_batch_size: int = 500
    index_batch_seconds: float = 1.0
    index_batch_bytes: int = 8 * 1024 * 1024
    index_commit_retry_seconds: float = Field(
        default=900.0,
        ge=0,
        description="how long the indexer retries an offset commit Kafka does not answer "
        "(an outage) before its role gives up and exits non-zero",
    )

    # Observability
    metrics_port: int = Field(
        default=9464,
        description="port of /metrics, /healthz and /readyz; 0 picks a free one (logged), "
        "a negative value serves none",
    )
    log_format: str = Field(default="text", pattern="^(text|json)$", description="text or json")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
