"""The shared HTTP client against a real local server: status mapping, caps, conditional GET."""

from __future__ import annotations

import pytest

from connectors.sdk.errors import FatalSourceError, RetriableError, RetryAfter
from connectors.sdk.http import HttpClient
from tests.support.httpserver import Reply, http_server


def _client(**kw: object) -> HttpClient:
    opts: dict[str, object] = {"user_agent": "newswire-test", "timeout": 5, "allow_private": True}
    opts.update(kw)
    return HttpClient(**opts)  # type: ignore[arg-type]


def test_status_codes_map_onto_the_error_tree() -> None:
    routes = {
        "/busy": Reply(429, "slow down", {"Retry-After": "42"}),
        "/gone": Reply(404),
        "/auth": Reply(401),
        "/broken": Reply(500),
        "/ok": Reply(200, "fine", {"Content-Type": "text/plain; charset=utf-8"}),
    }
    with http_server(routes) as srv:
        client = _client()
        with pytest.raises(RetryAfter) as busy:
            client.get(srv.url("/busy"))
        assert busy.value.seconds == 42 and busy.value.status == 429
        for path in ("/gone", "/auth"):
            with pytest.raises(FatalSourceError):
                client.get(srv.url(path))
        with pytest.raises(RetriableError) as broken:
            client.get(srv.url("/broken"))
        assert not isinstance(broken.value, RetryAfter)
        assert client.get(srv.url("/ok")).text == "fine"


def test_user_agent_is_honest() -> None:
    with http_server({"/": Reply(200, "x")}) as srv:
        _client().get(srv.url("/"))
        assert srv.requests[0][1]["User-Agent"] == "newswire-test"


def test_body_over_the_cap_is_refused() -> None:
    with (
        http_server({"/big": Reply(200, b"x" * 50_000)}) as srv,
        pytest.raises(FatalSourceError, match="exceeds"),
    ):
        _client(max_bytes=10_000).get(srv.url("/big"))


def test_redirect_loop_is_fatal() -> None:
    routes = {
        "/a": Reply(302, headers={"Location": "/b"}),
        "/b": Reply(302, headers={"Location": "/a"}),
    }
    with http_server(routes) as srv, pytest.raises(FatalSourceError, match="redirects"):
        _client(max_redirects=3).get(srv.url("/a"))


def test_conditional_get_uses_validators_and_confirms_by_hash() -> None:
    def feed(handler: object) -> Reply:
        if getattr(handler, "headers", {}).get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, "<rss/>", {"ETag": '"v1"'})

    with http_server(
        {"/feed": feed, "/liar": Reply(200, "same", {"ETag": '"new-every-time"'})}
    ) as srv:
        client = _client()
        first = client.get(srv.url("/feed"))
        assert not first.not_modified and first.headers["etag"] == '"v1"'
        assert client.get(srv.url("/feed"), etag='"v1"').not_modified
        # A server whose ETag changes though the body does not: the hash tells the truth.
        liar = client.get(srv.url("/liar"))
        again = client.get(srv.url("/liar"), etag='"stale"', previous_hash=liar.body_hash)
        assert again.not_modified


def test_private_addresses_are_refused_unless_allowed() -> None:
    with http_server({"/": Reply(200, "x")}) as srv:
        with pytest.raises(FatalSourceError, match="non-public address"):
            _client(allow_private=False).get(srv.url("/"))
        with pytest.raises(FatalSourceError, match="scheme"):
            _client(allow_private=False).get("file:///etc/passwd")
