"""Settings turned into client keyword arguments, so every client is secured the same way.

Every Kafka and Elasticsearch client the project creates (producers, consumers, admin
clients, the faust app, the Elasticsearch client) takes its connection and security
options from here, never from its own reading of the settings: one place decides how
TLS and credentials are passed, and a new client cannot forget them. This module
imports no client library (the wire layer must not); it returns plain dicts and a
standard-library ``ssl.SSLContext``.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any, Final
from urllib.parse import urlsplit

from wire.settings import Settings

log = logging.getLogger(__name__)
_warned_unverified = False


def kafka_client_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for kafka-python's ``KafkaProducer``, ``KafkaConsumer`` and
    ``KafkaAdminClient``: ``bootstrap_servers`` and the security options."""
    s = settings
    config: dict[str, Any] = {
        "bootstrap_servers": s.kafka_bootstrap,
        "security_protocol": s.kafka_security_protocol,
    }
    if s.kafka_security_protocol in ("SSL", "SASL_SSL"):
        config["ssl_check_hostname"] = s.kafka_ssl_check_hostname
        if s.kafka_ssl_cafile:
            config["ssl_cafile"] = str(s.kafka_ssl_cafile)
        if s.kafka_ssl_certfile and s.kafka_ssl_keyfile:
            config["ssl_certfile"] = str(s.kafka_ssl_certfile)
            config["ssl_keyfile"] = str(s.kafka_ssl_keyfile)
    if s.kafka_security_protocol.startswith("SASL_"):
        config["sasl_mechanism"] = s.kafka_sasl_mechanism
        config["sasl_plain_username"] = s.kafka_sasl_username
        if s.kafka_sasl_password is not None:
            config["sasl_plain_password"] = s.kafka_sasl_password.get_secret_value()
    return config


def kafka_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for clients that take one (faust/aiokafka), or None without TLS.

    Verification is always on: the CA file when given, else the system's CAs.
    """
    s = settings
    if s.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    context = ssl.create_default_context(
        cafile=str(s.kafka_ssl_cafile) if s.kafka_ssl_cafile else None
    )
    context.check_hostname = s.kafka_ssl_check_hostname
    if s.kafka_ssl_certfile and s.kafka_ssl_keyfile:
        context.load_cert_chain(str(s.kafka_ssl_certfile), str(s.kafka_ssl_keyfile))
    return context


def elasticsearch_client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``elasticsearch.Elasticsearch``: the host, one credential
    (API key or username/password, never inside the URL) and the TLS options."""
    global _warned_unverified
    s = settings
    options: dict[str, Any] = {"hosts": [s.elasticsearch_url]}
    if s.elasticsearch_api_key is not None:
        options["api_key"] = s.elasticsearch_api_key.get_secret_value()
    elif s.elasticsearch_username and s.elasticsearch_password is not None:
        options["basic_auth"] = (
            s.elasticsearch_username,
            s.elasticsearch_password.get_secret_value(),
        )
    if urlsplit(s.elasticsearch_url).scheme == "https":
        if s.elasticsearch_ca_certs:
            options["ca_certs"] = str(s.elasticsearch_ca_certs)
        if s.elasticsearch_ssl_fingerprint:
            options["ssl_assert_fingerprint"] = s.elasticsearch_ssl_fingerprint
        if not s.elasticsearch_verify_certs:
            options["verify_certs"] = False
            options["ssl_show_warn"] = False  # said once here, not on every request
            if not _warned_unverified:
                _warned_unverified = True
                log.warning(
                    "TLS certificate verification to Elasticsearch at %s is OFF "
                    "(NEWSWIRE_ELASTICSEARCH_VERIFY_CERTS=false): anyone on the path can "
                    "read and change the traffic",
                    s.elasticsearch_url,
                )
    return options


# Every producer of records that matter compresses with zstd. gzip, which kafka-python and
# aiokafka both run at level 9, cost 9.6 ms per corpus page (273 kB of HTML) in the connector,
# half of what extracting the page costs; zstd costs 1.0-1.2 ms and makes the batch smaller
# (0.18 of the size against gzip's 0.19); lz4 is faster in kafka-python (0.5 ms) but 3.9 ms
# in aiokafka and 0.31 of the size (docs/performance.md). Consumers read any codec: records
# written before with gzip stay readable. kafka-python needs `zstandard`, aiokafka `cramjam`.
KAFKA_COMPRESSION: Final = "zstd"  # Final: typed as the literal the clients accept
