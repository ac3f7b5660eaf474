"""Settings from ``NEWSWIRE_*`` environment variables; defaults point at the local stack."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_home() -> Path:
    # Elasticsearch refuses root and runs as a dedicated user, who cannot enter /root.
    if os.geteuid() == 0:
        return Path("/var/cache/newswire")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newswire"


STACK_PORTS = (
    "kafka_port",
    "kafka_controller_port",
    "elasticsearch_port",
    "elasticsearch_transport_port",
)
"""The settings naming a port the local stack (``newswire stack``) listens on."""


class Settings(BaseSettings):
    # hide_input_in_errors: a refused value (a URL with a password in it) is never echoed.
    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_", env_file=None, extra="ignore", hide_input_in_errors=True
    )

    # Services
    kafka_bootstrap: str = "127.0.0.1:19092"
    elasticsearch_url: str = "http://127.0.0.1:19200"
    kibana_url: str = "http://127.0.0.1:5601"
    kibana_api_key: SecretStr | None = Field(default=None, repr=False)

    # Elasticsearch security (docs/security.md): credentials are never part of the URL.
    elasticsearch_api_key: SecretStr | None = Field(
        default=None, repr=False, description="API key, encoded (base64 of id:key)"
    )
    elasticsearch_username: str | None = None
    elasticsearch_password: SecretStr | None = Field(default=None, repr=False)
    elasticsearch_ca_certs: Path | None = Field(
        default=None, description="PEM bundle of the CA(s) that signed the cluster's HTTP cert"
    )
    elasticsearch_ssl_fingerprint: str | None = Field(
        default=None, description="SHA-256 fingerprint of the cluster's CA or HTTP certificate"
    )
    elasticsearch_verify_certs: bool = Field(
        default=True, description="TLS verification; false is logged as a warning at start"
    )

    # Kafka security (docs/security.md): one group for every client the project creates.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = Field(default=None, description="client certificate (PEM)")
    kafka_ssl_keyfile: Path | None = Field(default=None, description="its private key (PEM)")
    kafka_ssl_check_hostname: bool = True
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = Field(default=None, repr=False)

    @field_validator("elasticsearch_url", "kibana_url")
    @classmethod
    def _no_userinfo(cls, url: str) -> str:
        """A password in a URL ends up in logs, process lists and error messages."""
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            raise ValueError(
                "the URL must not carry credentials (user:password@); use "
                "NEWSWIRE_ELASTICSEARCH_API_KEY or NEWSWIRE_ELASTICSEARCH_USERNAME/PASSWORD"
            )
        return url

    @field_validator("elasticsearch_ssl_fingerprint")
    @classmethod
    def _fingerprint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        hexdigits = re.sub(r"[:\s]", "", value).lower()
        if not re.fullmatch(r"[0-9a-f]{64}", hexdigits):
            raise ValueError("NEWSWIRE_ELASTICSEARCH_SSL_FINGERPRINT must be a SHA-256 (64 hex)")
        return hexdigits

    @model_validator(mode="after")
    def _security_coherent(self) -> Self:
        """A wrong combination is refused at start, in one line, rather than at first use."""
        if problem := security_problem(self):
            raise ValueError(problem)
        return self

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

    def ports_moved(self, offset: int) -> Self:
        """These settings with every port of the local stack (``STACK_PORTS``) plus
        ``offset``: a second stack beside the first (the secure one, the chaos suite's)."""
        return self.model_copy(update={name: getattr(self, name) + offset for name in STACK_PORTS})

    # Elasticsearch
    index_prefix: str = "news"
    index_alias: str = "news"
    index_shards: int = Field(default=1, ge=1, description="primary shards per index")
    index_replicas: int = Field(default=0, ge=0, description="replicas per shard (0 on one node)")
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
    secure_port_offset: int = Field(
        default=10000,
        description="`stack up --secure` listens on the plain ports plus this, so both run",
    )  # 29092...29300: below Linux's ephemeral ports (32768 up), which a client's socket
    # may hold at any moment (at 20000, a test run's secure Kafka once found 39092 taken)
    heap_mb: int = 512
    java_home: Path | None = None
    jvm_dirs: list[Path] = Field(default_factory=lambda: [Path("/usr/lib/jvm")])
    es_user: str = "newswire"

    # Processing
    processor_data_dir: Path | None = None
    processor_store: str = Field(
        default="rocksdb://", description="faust table store: rocksdb:// (rocksdict) or memory://"
    )
    processor_session_timeout_s: float = Field(
        default=10.0,
        ge=6.0,
        description="Kafka session timeout of the processor's consumer: how soon the partitions "
        "of a processor that died (kill -9) go to another one (faust's default was 60 s)",
    )
    processor_instance_id: str | None = Field(
        default=None,
        description="static group membership (group.instance.id), unique per replica (e.g. the "
        "StatefulSet pod name): a restarted replica takes its partitions back at once",
    )
    processor_local_dedup: bool = Field(
        default=True,
        description="the worker holding the dedup partition decides on its own articles "
        "in-process instead of sending them through the internal dedup topic (one Kafka "
        "round trip less a story); false: every article goes through the topic",
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
    index_linger_seconds: float = Field(
        default=0.2,
        ge=0,
        description="how long after one bulk request the next waits for more stories: under "
        "load, fewer and larger bulks (a story that comes after a quiet spell goes at once)",
    )
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

    # REST API (`newswire api`, docs/api.md). Lists: a JSON list or comma-separated.
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        repr=False,
        description="name:sha256hex entries from `newswire api keys create NAME`; none: the "
        "API serves loopback only and refuses any other bind",
    )
    api_rate_limit: float = Field(
        default=10.0, ge=0, description="requests per second per API key (per replica); 0: off"
    )
    api_rate_burst: int = Field(default=20, ge=1, description="requests a key may make at once")
    api_cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="browser origins allowed by CORS; none by default"
    )
    api_max_page_size: int = Field(default=100, ge=1, description="largest size= of a page")
    api_max_result_window: int = Field(
        default=10_000,
        ge=1,
        description="deepest result page*size can reach (Elasticsearch's "
        "index.max_result_window, 10000 by default)",
    )
    api_max_body_bytes: int = Field(default=16_384, ge=0, description="largest request body")
    api_docs_public: bool = Field(
        default=True, description="/docs and /openapi.json answer without a key"
    )

    @field_validator("api_keys", "api_cors_origins", mode="before")
    @classmethod
    def _list(cls, value: object) -> object:
        """A JSON list, or the friendlier ``a,b`` for an environment variable."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("api_keys")
    @classmethod
    def _api_keys(cls, entries: list[str]) -> list[str]:
        """Each entry is ``name:sha256hex``: a key itself (or a typo) is refused, never echoed."""
        for n, entry in enumerate(entries, 1):
            name, _, digest = entry.partition(":")
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) or not re.fullmatch(
                r"[0-9a-f]{64}", digest
            ):
                raise ValueError(
                    f"NEWSWIRE_API_KEYS entry {n} is not name:sha256hex (64 lowercase hex), "
                    "as printed by `newswire api keys create NAME`"
                )
        return entries


def security_problem(s: Settings) -> str | None:
    """What is wrong with the security settings taken together, in one line, or None."""
    tls = s.kafka_security_protocol in ("SSL", "SASL_SSL")
    sasl = s.kafka_security_protocol.startswith("SASL_")
    if sasl and not (s.kafka_sasl_mechanism and s.kafka_sasl_username and s.kafka_sasl_password):
        return (
            f"NEWSWIRE_KAFKA_SECURITY_PROTOCOL={s.kafka_security_protocol} needs "
            "NEWSWIRE_KAFKA_SASL_MECHANISM, NEWSWIRE_KAFKA_SASL_USERNAME and "
            "NEWSWIRE_KAFKA_SASL_PASSWORD"
        )
    if not sasl and (s.kafka_sasl_mechanism or s.kafka_sasl_username or s.kafka_sasl_password):
        return (
            "NEWSWIRE_KAFKA_SASL_* is set but NEWSWIRE_KAFKA_SECURITY_PROTOCOL="
            f"{s.kafka_security_protocol} does not use SASL (SASL_SSL or SASL_PLAINTEXT)"
        )
    if not tls and (s.kafka_ssl_cafile or s.kafka_ssl_certfile or s.kafka_ssl_keyfile):
        return (
            "NEWSWIRE_KAFKA_SSL_* is set but NEWSWIRE_KAFKA_SECURITY_PROTOCOL="
            f"{s.kafka_security_protocol} does not use TLS (SSL or SASL_SSL)"
        )
    if bool(s.kafka_ssl_certfile) != bool(s.kafka_ssl_keyfile):
        return "NEWSWIRE_KAFKA_SSL_CERTFILE and NEWSWIRE_KAFKA_SSL_KEYFILE go together"
    for name in ("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile"):
        path = getattr(s, name)
        if path is not None and not Path(path).is_file():
            return f"NEWSWIRE_{name.upper()}: no such file {path}"
    if s.elasticsearch_api_key and (s.elasticsearch_username or s.elasticsearch_password):
        return (
            "set either NEWSWIRE_ELASTICSEARCH_API_KEY or NEWSWIRE_ELASTICSEARCH_USERNAME/"
            "PASSWORD, not both"
        )
    if bool(s.elasticsearch_username) != bool(s.elasticsearch_password):
        return "NEWSWIRE_ELASTICSEARCH_USERNAME and NEWSWIRE_ELASTICSEARCH_PASSWORD go together"
    https = urlsplit(s.elasticsearch_url).scheme == "https"
    if not https and (s.elasticsearch_ca_certs or s.elasticsearch_ssl_fingerprint):
        return (
            "NEWSWIRE_ELASTICSEARCH_CA_CERTS/SSL_FINGERPRINT need an https:// "
            "NEWSWIRE_ELASTICSEARCH_URL"
        )
    if s.elasticsearch_ca_certs is not None and not Path(s.elasticsearch_ca_certs).is_file():
        return f"NEWSWIRE_ELASTICSEARCH_CA_CERTS: no such file {s.elasticsearch_ca_certs}"
    return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
