"""The REST API's guard, limits, errors, CORS, docs and OpenAPI, over a fake Elasticsearch."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, ConnectionError, HttpHeaders, NodeConfig
from elasticsearch import BadRequestError
from fastapi.testclient import TestClient

from newswire.api import create_app
from newswire.api.auth import new_key
from pipeline.index.search import FACETS
from wire.settings import Settings

KEY = new_key("alice")
# What Elasticsearch's own errors carry: none of it may reach a client.
INTERNALS = ("illegal_argument_exception", "news-2026.01", "19200", "max_result_window", "[10000]")


class FakeEs:
    """Answers searches with one story, or raises what it was told to."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error: Exception | None = None

    def search(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        if kwargs.get("size") == 0:
            return {"aggregations": {"c": {"buckets": [{"key": "c1", "doc_count": 2}]}}}
        source = {"id": "a1", "url": "https://example.org/a", "cluster_id": "c1", "title": "T",
                  "source": {"id": "s", "name": "S"}, "indexed_later": 5}  # fmt: skip
        aggs = {n: {"buckets": [{"key": "AF", "doc_count": 2}]} for n in FACETS}
        return {
            "hits": {"total": {"value": 2}, "hits": [{"_source": source, "_score": 1.5}]},
            "aggregations": {"clusters": {"value": 1}, **aggs},
        }

    @property
    def cluster(self) -> FakeEs:
        return self

    def health(self) -> dict[str, str]:
        if self.error is not None:
            raise self.error
        return {"status": "green"}

    def options(self, **kwargs: object) -> FakeEs:
        return self

    def ping(self) -> bool:
        return True


def es_bad_request() -> BadRequestError:
    meta = ApiResponseMeta(400, "1.1", HttpHeaders(), 0.01, NodeConfig("http", "127.0.0.1", 19200))
    body = {"error": {"type": "illegal_argument_exception", "index": "news-2026.01",
                      "reason": "Result window is too large, from + size must be less than or "
                                "equal to: [10000] ... index.max_result_window"}}  # fmt: skip
    return BadRequestError("search_phase_execution_exception", meta, body)


def make(es: FakeEs | None = None, **settings: Any) -> tuple[TestClient, FakeEs]:
    es = es or FakeEs()
    app = create_app(Settings(**settings), client=es)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False), es


def auth(key: str = KEY.key) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_without_keys_it_serves_loopback_clients_and_refuses_others() -> None:
    client, _ = make()
    assert client.get("/search").status_code == 200
    app = client.app
    remote = TestClient(app, client=("203.0.113.9", 40000))
    resp = remote.get("/search")
    assert resp.status_code == 403
    assert "loopback" in resp.json()["detail"]
    assert TestClient(app, client=("127.0.0.1", 40000)).get("/search").status_code == 200


def test_with_keys_every_route_needs_a_valid_key() -> None:
    client, es = make(api_keys=[KEY.entry])
    for path in ("/search", "/stories/a1", "/health", "/no-such-route"):
        resp = client.get(path)
        assert resp.status_code == 401, path
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/search", headers=auth("nwk_wrong")).status_code == 401
    assert client.get("/search", headers=auth(KEY.key + "x")).status_code == 401
    basic = {"Authorization": f"Basic {KEY.key}"}
    assert client.get("/search", headers=basic).status_code == 401
    assert es.calls == []  # nothing reached Elasticsearch without a key
    resp = client.get("/search", headers=auth())
    assert resp.status_code == 200
    assert resp.json()["hits"][0]["outlets"] == 2
    assert client.get("/search", headers={"authorization": f"bearer {KEY.key}"}).status_code == 200


def test_a_rotated_name_may_hold_two_keys() -> None:
    newer = new_key("alice")
    client, _ = make(api_keys=[KEY.entry, newer.entry])
    assert client.get("/search", headers=auth(KEY.key)).status_code == 200
    assert client.get("/search", headers=auth(newer.key)).status_code == 200


def test_rate_limit_answers_429_with_retry_after_per_key() -> None:
    other = new_key("bob")
    client, _ = make(api_keys=[KEY.entry, other.entry], api_rate_limit=0.1, api_rate_burst=3)
    assert [client.get("/health", headers=auth()).status_code for _ in range(3)] == [200] * 3
    resp = client.get("/health", headers=auth())
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert "3" in resp.json()["detail"] and "alice" in resp.json()["detail"]
    assert client.get("/health", headers=auth(other.key)).status_code == 200  # its own bucket
    assert client.get("/healthz").status_code == 200  # probes are never limited


def test_a_page_beyond_the_result_window_is_a_plain_400() -> None:
    client, es = make()
    resp = client.get("/search", params={"page": 1000, "size": 100})
    assert resp.status_code == 400
    detail = resp.json()["detail"]
    assert "page 1000" in detail and "10000" in detail
    too_big = client.get("/search", params={"size": 500})
    assert too_big.status_code == 400
    assert "100" in too_big.json()["detail"]
    assert es.calls == []
    assert client.get("/search", params={"page": 100, "size": 100}).status_code == 200
    assert es.calls[0]["from_"] == 9900


def test_elasticsearch_errors_reach_clients_without_internals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    es = FakeEs()
    client, _ = make(es)
    es.error = es_bad_request()
    with caplog.at_level(logging.WARNING, logger="newswire.api"):
        bad = client.get("/search", params={"q": "x"})
    assert bad.status_code == 400
    es.error = ConnectionError("Connection refused to http://127.0.0.1:19200 (errno 111)")
    down = [client.get(path) for path in ("/search", "/stories/a1", "/health")]
    assert {resp.status_code for resp in down} == {503}
    es.error = RuntimeError("Traceback: secret internals at 127.0.0.1:19200")
    crash = client.get("/search")
    assert crash.status_code == 500
    for resp in (bad, *down, crash):
        assert set(resp.json()) == {"detail"}
        assert not any(word in resp.text for word in (*INTERNALS, "Traceback", "Error("))
    assert "illegal_argument_exception" in caplog.text  # the details are logged instead


def test_validation_errors_name_the_parameter_without_echoing_it() -> None:
    client, _ = make()
    resp = client.get("/search", params={"q": "zq" * 600})
    assert resp.status_code == 422
    assert resp.json()["detail"].startswith("q:")
    assert "zqzq" not in resp.text
    assert client.get("/search", params={"since": "yesterday"}).status_code == 422


def test_request_body_over_the_cap_is_refused() -> None:
    client, _ = make(api_max_body_bytes=1024)
    resp = client.request("GET", "/search", content=b"x" * 2048)
    assert resp.status_code == 413
    assert "1024" in resp.json()["detail"]
    assert client.request("GET", "/search", content=b"x" * 100).status_code == 200


def test_a_key_never_appears_in_logs_or_responses(caplog: pytest.LogCaptureFixture) -> None:
    client, es = make(api_keys=[KEY.entry], api_rate_limit=0.1, api_rate_burst=2)
    texts = []
    with caplog.at_level(logging.DEBUG):
        for headers in (auth(), auth(), auth(), auth(KEY.key[:-2] + "zz"), {"X": "y"}):
            resp = client.get("/search", headers=headers)
            texts.append(resp.text + str(resp.headers))
        es.error = es_bad_request()
        resp = client.get("/search", headers=auth(new_key("x").key))
        texts.append(resp.text)
    assert "key 'alice'" in caplog.text  # the key's name is logged, at DEBUG
    secrets = (KEY.key, KEY.key[len("nwk_") :], KEY.key[:-2])
    for text in (caplog.text, *texts):
        assert not any(secret in text for secret in secrets)


def test_cors_allows_only_the_listed_origins() -> None:
    client, _ = make(api_keys=[KEY.entry], api_cors_origins=["https://desk.example"])
    ok = client.get("/search", headers={**auth(), "Origin": "https://desk.example"})
    assert ok.headers["access-control-allow-origin"] == "https://desk.example"
    other = client.get("/search", headers={**auth(), "Origin": "https://evil.example"})
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers
    refused = client.get("/search", headers={"Origin": "https://desk.example"})
    assert refused.status_code == 401  # readable by the allowed page, still refused
    assert refused.headers["access-control-allow-origin"] == "https://desk.example"
    preflight = {"Origin": "https://desk.example", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}  # fmt: skip
    assert client.options("/search", headers=preflight).status_code == 200
    evil = client.options("/search", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers
    default, _ = make()
    plain = default.get("/search", headers={"Origin": "https://desk.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_docs_are_served_offline_from_the_package() -> None:
    client, _ = make(api_keys=[KEY.entry])
    page = client.get("/docs")
    assert page.status_code == 200
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(
        r"url: '([^']+)'", page.text
    )
    assert refs and all(ref.startswith("/") for ref in refs), refs
    assert not re.search(r"https?://", page.text)
    assert '"validatorUrl": null' in page.text  # no spec URL sent to validator.swagger.io
    for ref in refs:
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 1000 or ref.endswith(".json"), ref
    hidden, _ = make(api_keys=[KEY.entry], api_docs_public=False)
    assert hidden.get("/openapi.json").status_code == 401
    assert hidden.get("/openapi.json", headers=auth()).status_code == 200


def test_openapi_describes_the_bearer_scheme_and_typed_responses() -> None:
    client, _ = make(api_keys=[KEY.entry])
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]
        ["bearer"]["description"],
    }  # fmt: skip
    assert doc["security"] == [{"bearer": []}]
    for probe in ("/healthz", "/readyz"):
        assert doc["paths"][probe]["get"]["security"] == []
        assert client.get(probe).status_code == 200  # no key needed
    search = doc["paths"]["/search"]["get"]
    assert "security" not in search  # the global requirement applies
    ok = search["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/SearchResults")
    for code in ("400", "401", "422", "429", "503"):
        ref = search["responses"][code]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/Problem"), code
    hit = doc["components"]["schemas"]["StoryHit"]["properties"]
    assert {"id", "url", "title", "outlets", "countries"} <= set(hit)


def test_no_secret_setting_reaches_a_response_or_the_debug_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 14 item 6, the API's part: a real Elasticsearch client with credentials,
    pointed at a port nobody answers, so every failure path runs."""
    secrets = {
        "elasticsearch_api_key": "LEAKCHECK-es-api-key-5c1b",
        "kafka_sasl_password": "LEAKCHECK-kafka-password-77d0",
        "kibana_api_key": "LEAKCHECK-kibana-key-a9e2",
    }
    settings = Settings(
        elasticsearch_url="http://127.0.0.1:9",  # discard port: refused at once
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="api",
        api_keys=[KEY.entry],
        **secrets,  # type: ignore[arg-type]
    )
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    texts = [repr(settings)]
    with caplog.at_level(logging.DEBUG):
        for path in ("/search", "/stories/x", "/health", "/readyz", "/openapi.json", "/docs"):
            for headers in (auth(), {}):
                resp = client.get(path, headers=headers)
                texts.append(f"{resp.status_code} {resp.headers} {resp.text}")
    assert any(text.startswith("503") for text in texts)  # the failure paths did run
    leaked = [s for s in (*secrets.values(), KEY.key) for t in (caplog.text, *texts) if s in t]
    assert not leaked
