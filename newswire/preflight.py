"""Fail fast, in one line, when Kafka or Elasticsearch will not take this client.

Client libraries hide why a secured service refused them: kafka-python retries a wrong
CA or a refused SCRAM login until "Unable to bootstrap" a minute later, and the broker
simply closes the socket on a bad password. Every role therefore probes both services
once at start, step by step (TCP, then TLS with the configured trust, then a real
client), so the message names the step that failed and the setting to look at.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from wire.clients import elasticsearch_client_options, kafka_client_config, kafka_ssl_context
from wire.settings import Settings


class AccessError(RuntimeError):
    """A service refused this client; the message is one line and says what to check."""


def check_access(settings: Settings, timeout: float = 10.0) -> None:
    with _quiet("kafka", "elastic_transport"):  # their retry logs would bury the one line
        check_kafka(settings, timeout)
        check_elasticsearch(settings)


@contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


def _first_broker(bootstrap: str) -> tuple[str, int]:
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port or 9092)


def check_kafka(settings: Settings, timeout: float = 10.0) -> None:
    s = settings
    where = f"Kafka at {s.kafka_bootstrap}"
    host, port = _first_broker(s.kafka_bootstrap)
    try:
        sock = socket.create_connection((host, port), timeout=3)
    except OSError as exc:
        raise AccessError(f"cannot reach {where}: {exc.strerror or exc}") from None
    with sock:
        context = kafka_ssl_context(s)
        if context is not None:
            try:
                context.wrap_socket(sock, server_hostname=host).close()
            except ssl.SSLCertVerificationError as exc:
                raise AccessError(
                    f"{where}: its TLS certificate is not trusted ({exc.verify_message}); "
                    "check NEWSWIRE_KAFKA_SSL_CAFILE"
                ) from None
            except (ssl.SSLError, OSError) as exc:
                raise AccessError(f"{where}: TLS handshake failed ({exc})") from None
        elif _speaks_tls(host, port):
            raise AccessError(
                f"{where} expects TLS: set NEWSWIRE_KAFKA_SECURITY_PROTOCOL=SASL_SSL (or SSL) "
                "and NEWSWIRE_KAFKA_SSL_CAFILE"
            )
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(
            **kafka_client_config(s),
            client_id="newswire-preflight",
            request_timeout_ms=int(timeout * 1000),
            bootstrap_timeout_ms=int(timeout * 1000),
        )
    except KafkaError:
        if s.kafka_security_protocol.startswith("SASL_"):
            raise AccessError(
                f"{where} refused the SASL {s.kafka_sasl_mechanism} login of user "
                f"{s.kafka_sasl_username!r}; check NEWSWIRE_KAFKA_SASL_USERNAME/PASSWORD/MECHANISM"
            ) from None
        raise AccessError(
            f"{where} did not accept this client over {s.kafka_security_protocol}; "
            "if it requires a login set NEWSWIRE_KAFKA_SECURITY_PROTOCOL=SASL_SSL and "
            "NEWSWIRE_KAFKA_SASL_*"
        ) from None
    admin.close()


def _speaks_tls(host: str, port: int) -> bool:
    """Does the port complete a TLS handshake? (a PLAINTEXT client on a TLS listener)"""
    # No CA store loaded (create_default_context reads the whole system bundle, 50 ms or
    # more of a start): nothing is verified, the probe only asks for a handshake.
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=3) as sock,
            probe.wrap_socket(sock, server_hostname=host),
        ):
            return True
    except (ssl.SSLError, OSError):
        return False


def check_elasticsearch(settings: Settings) -> None:
    from elastic_transport import ConnectionError as EsConnectionError
    from elastic_transport import TlsError
    from elasticsearch import ApiError, AuthenticationException, Elasticsearch

    s = settings
    where = f"Elasticsearch at {s.elasticsearch_url}"
    es = Elasticsearch(**elasticsearch_client_options(s), request_timeout=10, max_retries=0)
    try:
        es.security.authenticate()
    except AuthenticationException:
        how = (
            "the API key"
            if s.elasticsearch_api_key
            else f"user {s.elasticsearch_username!r}"
            if s.elasticsearch_username
            else "no credentials (set NEWSWIRE_ELASTICSEARCH_API_KEY or USERNAME/PASSWORD)"
        )
        raise AccessError(f"{where} refused {how} (401)") from None
    except ApiError:
        pass  # reachable, security off (a plain local node): nothing to authenticate
    except TlsError as exc:
        raise AccessError(
            f"{where}: TLS failed, its certificate is not trusted ({type(exc).__name__}); "
            "check NEWSWIRE_ELASTICSEARCH_CA_CERTS or NEWSWIRE_ELASTICSEARCH_SSL_FINGERPRINT"
        ) from None
    except EsConnectionError as exc:
        if urlsplit(s.elasticsearch_url).scheme == "http" and _speaks_tls(
            urlsplit(s.elasticsearch_url).hostname or "127.0.0.1",
            urlsplit(s.elasticsearch_url).port or 9200,
        ):
            raise AccessError(f"{where} expects TLS: use an https:// URL") from None
        raise AccessError(f"cannot reach {where}: {type(exc).__name__}") from None
    finally:
        es.close()
