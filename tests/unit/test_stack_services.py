"""The local stack's Kafka storage is formatted with an id its tool accepts."""

from __future__ import annotations

import uuid

import pytest

from newswire.stack import services


def test_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xF8 is 111110 in its first six bits: "-" in URL-safe base64, which kafka-storage
    # then reads as an option ("argument --cluster-id/-t: expected one argument").
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x10" + bytes(15))])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(drawn))
    cluster_id = services.kafka_cluster_id()
    assert cluster_id == "EAAAAAAAAAAAAAAAAAAAAA"
    assert next(drawn, None) is None  # the first draw was refused


def test_cluster_id_is_sixteen_bytes_of_url_safe_base64() -> None:
    ids = {services.kafka_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
