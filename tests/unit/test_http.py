"""The shared HTTP client against a real local server: status mapping, caps, conditional
GET, per-host limits, robots.txt and the SSRF guard."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler

import pytest

from connectors.sdk.errors import (
    FatalSourceError,
    RetriableError,
    RetryAfter,
    retry_after,
    status_error,
)
from connectors.sdk.http import HttpClient
from connectors.sdk.robots import RobotsDisallowed, product_token
from connectors.sdk.stream import open_websocket
from tests.support.httpserver import Reply, http_server

ROBOTS = """\
User-agent: *
Disallow: /private/

User-agent: newswire
Disallow: /members/
Allow: /members/open
Crawl-delay: 0.25
"""


def _client(**kw: object) -> HttpClient:
    opts: dict[str, object] = {"user_agent": "newswire-test", "timeout": 5, "allow_private": True}
    opts.update(kw)
    return HttpClient(**opts)  # type: ignore[arg-type]


def test_status_codes_map_onto_the_error_tree() -> None:
    routes = {
        "/gone": Reply(404),
        "/auth": Reply(401),
        "/broken": Reply(500),
        "/ok": Reply(200, "fine", {"Content-Type": "text/plain; charset=utf-8"}),
    }
    with http_server(routes) as srv:
        client = _client()
        for path in ("/gone", "/auth"):
            with pytest.raises(FatalSourceError) as fatal:
                client.get(srv.url(path))
            assert fatal.value.status in (404, 401)
        with pytest.raises(RetriableError) as broken:
            client.get(srv.url("/broken"))
        assert not isinstance(broken.value, RetryAfter) and broken.value.status == 500
        assert client.get(srv.url("/ok")).text == "fine"


def test_retry_after_pauses_the_whole_host() -> None:
    routes = {"/busy": Reply(429, "slow down", {"Retry-After": "42"}), "/other": Reply(200, "x")}
    with http_server(routes) as srv:
        client = _client()
        with pytest.raises(RetryAfter) as busy:
            client.get(srv.url("/busy"))
        assert busy.value.seconds == 42 and busy.value.status == 429
        # Another source on the same host waits too, without a request reaching the server.
        with pytest.raises(RetryAfter) as other:
            client.get(srv.url("/other"))
        assert 30 < other.value.seconds <= 42
        assert srv.count("/other") == 0


def test_user_agent_is_honest() -> None:
    with http_server({"/": Reply(200, "x")}) as srv:
        _client().get(srv.url("/"))
        assert {h["User-Agent"] for _, h in srv.requests} == {"newswire-test"}


def test_body_over_the_cap_is_refused_declared_or_streamed() -> None:
    routes = {
        "/big": Reply(200, b"x" * 50_000),
        "/stream": Reply(200, chunks=[b"x" * 4000] * 10),  # no Content-Length
    }
    with http_server(routes) as srv:
        for path in ("/big", "/stream"):
            with pytest.raises(FatalSourceError, match="exceeds"):
                _client(max_bytes=10_000).get(srv.url(path))


def test_a_server_that_drips_bytes_hits_the_overall_deadline() -> None:
    # Each chunk comes well within the read timeout; the whole body never does.
    drip = Reply(200, chunks=[b"<rss>"] * 40, chunk_delay=0.1)
    with (
        http_server({"/drip": drip}) as srv,
        pytest.raises(RetriableError, match="not received within"),
    ):
        _client(timeout=0.4).get(srv.url("/drip"))


def test_a_server_that_does_not_answer_is_retriable() -> None:
    with (
        http_server({"/slow": Reply(200, "late", delay=2)}) as srv,
        pytest.raises(RetriableError, match="Timeout"),
    ):
        _client(timeout=0.3).get(srv.url("/slow"))


def test_redirects_are_followed_and_loops_are_fatal() -> None:
    routes = {
        "/a": Reply(302, headers={"Location": "/b"}),
        "/b": Reply(302, headers={"Location": "/a"}),
        "/moved": Reply(301, headers={"Location": "/here"}),
        "/here": Reply(200, "arrived"),
    }
    with http_server(routes) as srv:
        client = _client(max_redirects=3)
        resp = client.get(srv.url("/moved"))
        assert resp.text == "arrived" and resp.url == srv.url("/here")
        with pytest.raises(FatalSourceError, match="redirects"):
            client.get(srv.url("/a"))
        assert srv.count("/a") + srv.count("/b") == 4  # the first request and 3 redirects


def test_conditional_get_uses_validators_and_confirms_by_hash() -> None:
    def feed(handler: BaseHTTPRequestHandler) -> Reply:
        if handler.headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, "<rss/>", {"ETag": '"v1"'})

    with http_server(
        {"/feed": feed, "/liar": Reply(200, "same", {"ETag": '"new-every-time"'})}
    ) as srv:
        client = _client()
        first = client.get(srv.url("/feed"))
        assert not first.not_modified and first.headers["etag"] == '"v1"'
        again = client.get(srv.url("/feed"), etag='"v1"')
        assert again.not_modified and again.status == 304
        # A server whose ETag changes though the body does not: the hash tells the truth.
        liar = client.get(srv.url("/liar"))
        same = client.get(srv.url("/liar"), etag='"stale"', previous_hash=liar.body_hash)
        assert same.not_modified and same.status == 200
        changed = client.get(srv.url("/liar"), previous_hash="0" * 64)
        assert not changed.not_modified


def test_per_host_concurrency_is_bounded() -> None:
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def slow(_h: BaseHTTPRequestHandler) -> Reply:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        threading.Event().wait(0.3)
        with lock:
            state["now"] -= 1
        return Reply(200, "ok")

    with http_server({f"/{i}": slow for i in range(6)}) as srv:
        client = _client(per_host_concurrency=2)
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda i: client.get(srv.url(f"/{i}")), range(6)))
        assert state["peak"] == 2


def test_robots_rules_for_our_token_are_obeyed_and_named() -> None:
    routes = {
        "/robots.txt": Reply(200, ROBOTS),
        "/members/a": Reply(200, "secret"),
        "/members/open": Reply(200, "open"),
        "/private/x": Reply(200, "for others"),
        "/news/1": Reply(200, "story"),
    }
    with http_server(routes) as srv:
        client = _client(user_agent="newswire/0.1 (+https://example.org)")
        with pytest.raises(RobotsDisallowed) as refused:
            client.get(srv.url("/members/a"))
        assert "Disallow: /members/" in str(refused.value)
        assert "User-agent: newswire" in str(refused.value)
        assert isinstance(refused.value, FatalSourceError)
        assert client.get(srv.url("/members/open")).text == "open"
        # Our group replaces the * group: /private/ is not closed to us.
        assert client.get(srv.url("/private/x")).text == "for others"
        assert client.get(srv.url("/news/1")).text == "story"
        assert srv.count("/members/a") == 0
        assert srv.count("/robots.txt") == 1  # fetched once, then cached
        assert client.host_interval(srv.url("/")) == 0.25  # Crawl-delay raised the interval


def test_a_subscribed_feed_is_fetched_where_robots_disallows_crawling() -> None:
    routes = {
        "/robots.txt": Reply(200, "User-agent: *\nDisallow: /\n"),
        "/feed.xml": Reply(200, "<rss/>"),
        "/news/1": Reply(200, "story"),
    }
    with http_server(routes) as srv:
        client = _client()
        assert client.get(srv.url("/feed.xml"), subscribed=True).text == "<rss/>"
        with pytest.raises(RobotsDisallowed, match="Disallow: /"):
            client.get(srv.url("/news/1"))


def test_robots_unavailable_allows_all_and_unreachable_waits() -> None:
    with http_server({"/page": Reply(200, "ok")}) as srv:  # /robots.txt is a 404
        assert _client().get(srv.url("/page")).text == "ok"
    with http_server({"/robots.txt": Reply(503), "/page": Reply(200, "ok")}) as srv:
        client = _client(robots_retry=120)
        for _ in range(2):
            with pytest.raises(RetryAfter, match="unreachable") as wait:
                client.get(srv.url("/page"))
            assert wait.value.seconds > 100
        assert srv.count("/robots.txt") == 1 and srv.count("/page") == 0

        quick = _client(robots_retry=0)  # its next try is due at once
        with pytest.raises(RetryAfter):
            quick.get(srv.url("/page"))
        srv.routes["/robots.txt"] = Reply(200, "User-agent: *\nAllow: /\n")
        assert quick.get(srv.url("/page")).text == "ok"


def test_an_older_robots_copy_outlives_an_unreachable_refresh() -> None:
    routes = {
        "/robots.txt": Reply(200, "User-agent: *\nDisallow: /no\n"),
        "/no": Reply(200, "hidden"),
        "/yes": Reply(200, "ok"),
    }
    with http_server(routes) as srv:
        client = _client(robots_ttl=0)  # every request refreshes the copy
        assert client.get(srv.url("/yes")).text == "ok"
        srv.routes["/robots.txt"] = Reply(500)
        assert client.get(srv.url("/yes")).text == "ok"
        with pytest.raises(RobotsDisallowed):
            client.get(srv.url("/no"))
        assert srv.count("/robots.txt") >= 2 and srv.count("/no") == 0


def test_robots_can_be_switched_off() -> None:
    routes = {"/robots.txt": Reply(200, "User-agent: *\nDisallow: /\n"), "/p": Reply(200, "x")}
    with http_server(routes) as srv:
        assert _client(respect_robots=False).get(srv.url("/p")).text == "x"
        assert srv.count("/robots.txt") == 0


def test_robots_are_checked_on_every_hop_of_a_redirect() -> None:
    with http_server({"/robots.txt": Reply(200, "User-agent: *\nDisallow: /no\n")}) as other:
        other.routes["/no/story"] = Reply(200, "hidden")
        with http_server({"/go": Reply(302, headers={"Location": other.url("/no/story")})}) as srv:
            with pytest.raises(RobotsDisallowed):
                _client().get(srv.url("/go"))
            assert other.count("/no/story") == 0


def test_product_token_is_the_first_word_of_the_user_agent() -> None:
    assert product_token("newswire/0.1 (+https://x)") == "newswire"
    assert product_token("MyBot") == "MyBot"


def test_private_addresses_are_refused_unless_allowed() -> None:
    with http_server({"/": Reply(200, "x")}) as srv:
        with pytest.raises(FatalSourceError, match="non-public address"):
            _client(allow_private=False).get(srv.url("/"))
        assert srv.requests == []  # refused before any connection
    strict = _client(allow_private=False)
    with pytest.raises(FatalSourceError, match="non-public address"):
        strict.get("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(FatalSourceError, match="scheme"):
        strict.get("file:///etc/passwd")


def test_headers_are_sent_but_credentials_never_follow_a_redirect_elsewhere() -> None:
    secret = {"Authorization": "Bearer s3cret", "Accept": "application/json"}
    with http_server({"/api": Reply(200, "{}")}) as other:
        routes = {
            "/me": Reply(200, "{}"),
            "/hop": Reply(302, headers={"Location": other.url("/api")}),
        }
        with http_server(routes) as srv:
            client = _client()
            client.get(srv.url("/me"), headers=secret, subscribed=True)
            client.get(srv.url("/hop"), headers=secret, subscribed=True)
        mine = dict(srv.requests)
        assert mine["/me"]["Authorization"] == "Bearer s3cret"
        assert mine["/hop"]["Authorization"] == "Bearer s3cret"
        elsewhere = dict(other.requests)["/api"]
        assert "Authorization" not in elsewhere and elsewhere["Accept"] == "application/json"


def test_post_is_guarded_mapped_and_never_redirected() -> None:
    routes = {
        "/token": Reply(200, '{"access_token": "t"}'),
        "/limited": Reply(429, headers={"Retry-After": "9"}),
        "/moved": Reply(307, headers={"Location": "/token"}),
    }
    with http_server(routes) as srv:
        client = _client()
        resp = client.post(srv.url("/token"), data={"grant_type": "password"})
        assert resp.status == 200 and b"access_token" in resp.content
        sent = dict(srv.requests)["/token"]
        assert sent["Content-Type"] == "application/x-www-form-urlencoded"
        assert client.post(srv.url("/token"), json={"q": 1}).status == 200
        with pytest.raises(FatalSourceError, match="redirected"):
            client.post(srv.url("/moved"), data={})
        with pytest.raises(RetryAfter):
            client.post(srv.url("/limited"), data={})
    with pytest.raises(FatalSourceError, match="non-public"):
        _client(allow_private=False).post("http://10.0.0.1/token", data={})


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after("120") == 120
    assert 290 < retry_after(formatdate(time.time() + 300, usegmt=True)) <= 300
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # already past
    assert retry_after("soon") == 60 and retry_after(None) == 60


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, RetryAfter),
        (503, RetryAfter),
        (404, FatalSourceError),
        (451, FatalSourceError),
        (500, RetriableError),
        (408, RetriableError),
    ],
)
def test_one_status_mapping_for_every_request_path(status: int, expected: type) -> None:
    exc = status_error(status, f"HTTP {status}", "7")
    assert type(exc) is expected and exc.status == status  # type: ignore[attr-defined]
    if expected is RetryAfter:
        assert isinstance(exc, RetryAfter) and exc.seconds == 7


def test_a_websocket_refused_with_a_retry_after_date_waits_until_then() -> None:
    # The WebSocket opener reads Retry-After like the HTTP client: HTTP dates included.
    later = formatdate(time.time() + 300, usegmt=True)
    busy = Reply(429, "busy", {"Retry-After": later})
    with http_server({"/ws": busy}) as srv, pytest.raises(RetryAfter) as caught:
        open_websocket(_client(), srv.url("/ws").replace("http://", "ws://"))
    assert 290 < caught.value.seconds <= 300 and caught.value.status == 429


@contextmanager
def _header_dribbler(byte_delay: float) -> Iterator[str]:
    """A loopback server that sends its status line and headers one byte at a time."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"x" * 400 + b"\r\n\r\n"
            for byte in head:
                if stop.wait(byte_delay):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:  # the client gave up: what the test wants
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def test_headers_dribbled_byte_by_byte_hit_the_request_deadline() -> None:
    # Issue 13 (9): each byte comes well within the read timeout, so only one deadline
    # over connect, headers and body ends the request (here 3 x 0.5 s).
    client = _client(timeout=0.5)
    try:
        with _header_dribbler(byte_delay=0.05) as url:
            started = time.monotonic()
            with pytest.raises(RetriableError, match=r"not received within 1\.5s"):
                client.get(url)
            elapsed = time.monotonic() - started
    finally:
        client.close()
    assert client.deadline == 1.5
    assert elapsed < client.deadline + 3.0  # loosely: without the deadline it takes 20 s


def test_clients_share_one_verifying_tls_context() -> None:
    """Each client used to build two TLS contexts, each loading the whole CA bundle, on a
    role's start-up path; now one per process, shared, and still verifying."""
    first = HttpClient(user_agent="newswire-test/1.0")
    second = HttpClient(user_agent="newswire-test/1.0")
    try:
        pools = [c._client._transport._pool for c in (first, second)]  # type: ignore[attr-defined]
        context = pools[0]._ssl_context
        assert pools[1]._ssl_context is context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    finally:
        first.close()
        second.close()
