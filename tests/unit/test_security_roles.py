"""Least-privilege roles, API keys and the secure stack's certificates (no services needed)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from cryptography import x509

from newswire.security import (
    READER_ROLE,
    WRITER_ROLE,
    create_api_keys,
    put_roles,
    reader_role,
    writer_role,
)
from newswire.stack.certs import fingerprint, make_certificates
from newswire.stack.secure import SecureStack, secure_settings
from tests.chaos.stack import PORT_OFFSET as CHAOS_OFFSET
from wire.settings import STACK_PORTS, Settings


class _Security:
    def __init__(self) -> None:
        self.roles: dict[str, dict[str, Any]] = {}
        self.keys: list[dict[str, Any]] = []

    def put_role(self, name: str, **body: Any) -> None:
        self.roles[name] = body

    def create_api_key(self, **body: Any) -> dict[str, str]:
        self.keys.append(body)
        return {"id": f"id{len(self.keys)}", "encoded": f"enc{len(self.keys)}"}


class _Es:
    def __init__(self) -> None:
        self.security = _Security()


def test_roles_name_only_the_configured_indices_and_no_admin_privilege() -> None:
    s = Settings(index_prefix="wire", index_alias="stories")
    writer, reader = writer_role(s), reader_role(s)
    assert writer["indices"] == [
        {
            "names": ["wire-*", "stories"],
            "privileges": ["create_index", "index", "read", "maintenance"],
        }
    ]
    assert set(writer["cluster"]) == {"monitor", "manage_index_templates", "manage_ilm"}
    assert reader["cluster"] == []
    assert reader["indices"][0]["privileges"] == ["read", "view_index_metadata"]
    for role in (writer, reader):
        granted = set(role["cluster"]) | {p for i in role["indices"] for p in i["privileges"]}
        assert not granted & {"all", "manage", "manage_security", "delete_index", "write"}


def test_api_keys_carry_their_role_descriptors() -> None:
    es: Any = _Es()
    s = Settings()
    put_roles(es, s)
    writer, reader = create_api_keys(es, s, tag="prod")
    assert set(es.security.roles) == {WRITER_ROLE, READER_ROLE}
    assert (writer.name, writer.encoded) == ("newswire_writer-prod", "enc1")
    assert es.security.keys[0]["role_descriptors"] == {WRITER_ROLE: writer_role(s)}
    assert es.security.keys[1]["role_descriptors"] == {READER_ROLE: reader_role(s)}
    assert reader.id == "id2"


def test_certificates_chain_to_their_ca_and_are_kept(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    server = x509.load_pem_x509_certificate(certs.server_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(certs.ca.read_bytes())
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    context = ssl.create_default_context(cafile=str(certs.ca))
    context.load_cert_chain(str(certs.server_cert), str(certs.server_key))
    assert certs.server_key.stat().st_mode & 0o077 == 0  # private keys are not world-readable
    before = fingerprint(certs.ca)
    assert make_certificates(tmp_path).ca == certs.ca and fingerprint(certs.ca) == before


def test_secure_stack_has_its_own_folder_and_ports(tmp_path: Path) -> None:
    plain = Settings(home=tmp_path)
    stack = SecureStack(plain)
    moved = secure_settings(plain)
    assert moved.kafka_port == plain.kafka_port + plain.secure_port_offset
    assert moved.elasticsearch_port == plain.elasticsearch_port + plain.secure_port_offset
    assert stack.home == tmp_path / "secure"
    for service in stack.services:
        for path in (service.data, service.logs, service.process.pidfile):
            assert stack.home in path.parents
        assert service.root.parent == tmp_path  # the downloads are shared
    assert stack.processor_dir() != (plain.processor_data_dir or plain.home / "processor")


def test_every_default_stack_port_is_below_the_ephemeral_range() -> None:
    # Linux hands out 32768-60999 to clients' sockets: a listener there can find its port
    # taken (a test run's secure Kafka once did, at 39092).
    plain = Settings.model_construct()  # the defaults, whatever the environment says
    for settings in (plain, secure_settings(plain), plain.ports_moved(CHAOS_OFFSET)):
        ports = [getattr(settings, name) for name in STACK_PORTS]
        assert all(1024 < port < 32768 for port in ports), ports
