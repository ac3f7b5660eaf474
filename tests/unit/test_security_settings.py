"""Security settings: coherent combinations only, secrets hidden, client options built once."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import wire.clients
from pipeline.index.template import index_template
from pipeline.stream.credentials import broker_credentials
from wire.clients import elasticsearch_client_options, kafka_client_config, kafka_ssl_context
from wire.settings import Settings

SECRET = "S3cr3t-n3wsw1re-LEAK"


def _settings(**values: Any) -> Settings:
    return Settings(**values)


def _error(**values: Any) -> str:
    with pytest.raises(ValidationError) as info:
        Settings(**values)
    errors = info.value.errors()
    assert len(errors) == 1
    return str(errors[0]["msg"])


@pytest.fixture
def pem(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text("not read by the settings\n")
    return path


def test_plain_defaults_give_plain_clients() -> None:
    s = _settings()
    assert kafka_client_config(s) == {
        "bootstrap_servers": "127.0.0.1:19092",
        "security_protocol": "PLAINTEXT",
    }
    assert elasticsearch_client_options(s) == {"hosts": ["http://127.0.0.1:19200"]}
    assert kafka_ssl_context(s) is None
    assert broker_credentials(s) is None


def test_sasl_ssl_kafka_options(pem: Path) -> None:
    s = _settings(
        kafka_bootstrap="broker:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_ssl_cafile=pem,
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="newswire",
        kafka_sasl_password=SECRET,
    )
    assert kafka_client_config(s) == {
        "bootstrap_servers": "broker:9093",
        "security_protocol": "SASL_SSL",
        "ssl_check_hostname": True,
        "ssl_cafile": str(pem),
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "newswire",
        "sasl_plain_password": SECRET,
    }
    assert SECRET not in repr(s) and SECRET not in str(s)
    assert SECRET not in s.model_dump_json()


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_faust_gets_sasl_credentials(mechanism: str) -> None:
    s = _settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="u",
        kafka_sasl_password=SECRET,
    )
    creds: Any = broker_credentials(s)
    assert creds.mechanism.value == mechanism
    assert creds.protocol.value == "SASL_PLAINTEXT"
    assert (creds.username, creds.password) == ("u", SECRET)
    assert SECRET not in repr(creds)


def test_faust_tls_context_verifies_with_system_cas() -> None:
    s = _settings(kafka_security_protocol="SSL")
    creds: Any = broker_credentials(s)
    assert creds.protocol.value == "SSL"
    assert isinstance(creds.context, ssl.SSLContext)
    assert creds.context.verify_mode == ssl.CERT_REQUIRED
    assert creds.context.check_hostname


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "needs NEWSWIRE_KAFKA_SASL_MECHANISM"),
        (
            {"kafka_sasl_mechanism": "PLAIN", "kafka_sasl_username": "u"},
            "does not use SASL",
        ),
        ({"kafka_ssl_cafile": "/etc/hostname"}, "does not use TLS"),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_certfile": "/etc/hostname"},
            "go together",
        ),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/nonexistent.pem"}, "no such"),
        ({"elasticsearch_api_key": "k", "elasticsearch_username": "u"}, "not both"),
        ({"elasticsearch_username": "u"}, "go together"),
        ({"elasticsearch_ca_certs": "/etc/hostname"}, "need an https://"),
        ({"elasticsearch_ssl_fingerprint": "abc"}, "SHA-256"),
    ],
)
def test_wrong_combinations_are_one_line_errors(values: dict[str, Any], fragment: str) -> None:
    message = _error(**values)
    assert fragment in message
    assert "\n" not in message


def test_a_url_with_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(elasticsearch_url=f"https://elastic:{SECRET}@es.example:9200")
    assert "must not carry credentials" in info.value.errors()[0]["msg"]
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


def test_elasticsearch_api_key_and_tls(pem: Path) -> None:
    fingerprint = ":".join(["AB"] * 32)
    s = _settings(
        elasticsearch_url="https://es.example:9200",
        elasticsearch_api_key=SECRET,
        elasticsearch_ca_certs=pem,
        elasticsearch_ssl_fingerprint=fingerprint,
    )
    assert elasticsearch_client_options(s) == {
        "hosts": ["https://es.example:9200"],
        "api_key": SECRET,
        "ca_certs": str(pem),
        "ssl_assert_fingerprint": "ab" * 32,
    }
    assert SECRET not in repr(s)


def test_basic_auth_and_verification_off_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(wire.clients, "_warned_unverified", False)
    s = _settings(
        elasticsearch_url="https://es.example:9200",
        elasticsearch_username="newswire",
        elasticsearch_password=SECRET,
        elasticsearch_verify_certs=False,
    )
    with caplog.at_level(logging.WARNING, logger="wire.clients"):
        options = elasticsearch_client_options(s)
    assert options["basic_auth"] == ("newswire", SECRET)
    assert options["verify_certs"] is False
    assert "verification to Elasticsearch at https://es.example:9200 is OFF" in caplog.text
    assert SECRET not in caplog.text


def test_env_secrets_are_secret_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_ELASTICSEARCH_API_KEY", SECRET)
    monkeypatch.setenv("NEWSWIRE_KIBANA_API_KEY", SECRET)
    s = Settings()
    assert s.elasticsearch_api_key is not None
    assert s.elasticsearch_api_key.get_secret_value() == SECRET
    assert SECRET not in repr(s)


def test_shards_and_replicas_come_from_settings() -> None:
    s = _settings(index_shards=3, index_replicas=2)
    body = index_template("news", "news", shards=s.index_shards, replicas=s.index_replicas)
    assert body["template"]["settings"]["number_of_shards"] == 3
    assert body["template"]["settings"]["number_of_replicas"] == 2
    assert index_template("news", "news")["template"]["settings"]["number_of_replicas"] == 0
