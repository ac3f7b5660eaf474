"""API keys, the loopback-only rule, the token bucket, and `newswire api [keys create]`."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from newswire.api.auth import KeyRing, bearer_token, bind_problem, hash_key, new_key
from newswire.api.ratelimit import RateLimiter, retry_after
from newswire.cli.main import app
from wire.settings import Settings, get_settings


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_new_key_is_random_and_only_its_hash_is_stored() -> None:
    made = new_key("desk-1")
    assert made.key.startswith("nwk_") and len(made.key) >= 4 + 43  # 256 bits, base64url
    assert new_key("desk-1").key != made.key
    name, digest = made.entry.split(":")
    assert name == "desk-1"
    assert digest == hashlib.sha256(made.key.encode()).hexdigest() == hash_key(made.key)
    assert made.key not in made.entry and made.key[4:] not in made.entry
    with pytest.raises(ValueError, match="key name"):
        new_key("a:b")


def test_the_key_ring_identifies_keys_by_their_hash() -> None:
    alice, bob, rotated = new_key("alice"), new_key("bob"), new_key("alice")
    ring = KeyRing([alice.entry, bob.entry, rotated.entry])
    assert ring.identify(alice.key) == "alice"
    assert ring.identify(rotated.key) == "alice"
    assert ring.identify(bob.key) == "bob"
    assert ring.identify(alice.key[:-1]) is None
    assert ring.identify("") is None
    assert ring.identify("ключ\udcff") is None  # odd bytes are refused, not a crash
    assert not KeyRing([])
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer   abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None


def test_settings_take_a_comma_or_json_list_and_refuse_a_raw_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = new_key("a"), new_key("b")
    monkeypatch.setenv("NEWSWIRE_API_KEYS", f"{a.entry}, {b.entry}")
    monkeypatch.setenv("NEWSWIRE_API_CORS_ORIGINS", '["https://desk.example"]')
    s = Settings()
    assert s.api_keys == [a.entry, b.entry]
    assert s.api_cors_origins == ["https://desk.example"]
    assert a.entry not in repr(s)  # kept out of reprs, like the other secrets
    monkeypatch.setenv("NEWSWIRE_API_KEYS", json.dumps([a.entry]))
    monkeypatch.setenv("NEWSWIRE_API_CORS_ORIGINS", "https://x.example,https://y.example")
    assert Settings().api_keys == [a.entry]
    assert Settings().api_cors_origins == ["https://x.example", "https://y.example"]
    monkeypatch.setenv("NEWSWIRE_API_KEYS", a.key)  # the key itself, by mistake
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert "name:sha256hex" in str(refused.value)
    assert a.key not in str(refused.value) and a.key[4:] not in str(refused.value)
    monkeypatch.delenv("NEWSWIRE_API_KEYS")
    monkeypatch.delenv("NEWSWIRE_API_CORS_ORIGINS")
    assert Settings().api_keys == [] and Settings().api_cors_origins == []  # none by default


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_binds_need_no_keys(host: str) -> None:
    assert bind_problem(host, KeyRing([])) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.org"])
def test_other_binds_need_keys(host: str) -> None:
    problem = bind_problem(host, KeyRing([]))
    assert problem and host in problem and "\n" not in problem
    assert bind_problem(host, KeyRing([new_key("k").entry])) is None


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("a")
    assert wait == pytest.approx(0.5)
    assert retry_after(wait) == "1" and retry_after(1.2) == "2"
    assert limiter.acquire("b") == 0.0  # another key, another bucket
    now[0] += 0.5
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    now[0] += 60
    assert [limiter.acquire("a") for _ in range(4)][:3] == [0.0, 0.0, 0.0]  # capped at burst
    assert RateLimiter(rate=0, burst=1).acquire("a") == 0.0  # 0: off


def test_keys_create_prints_the_key_once_and_the_entry(fresh_settings: None) -> None:
    result = CliRunner().invoke(app, ["api", "keys", "create", "desk"])
    assert result.exit_code == 0, result.output
    key, entry = result.stdout.split()
    assert entry == f"desk:{hash_key(key)}"
    assert "NEWSWIRE_API_KEYS" in result.stderr
    as_json = CliRunner().invoke(app, ["api", "keys", "create", "desk", "--json"])
    made = json.loads(as_json.stdout)
    assert made["entry"] == f"desk:{hash_key(made['key'])}"
    Settings(api_keys=[made["entry"]])  # the printed entry is what the setting takes
    bad = CliRunner().invoke(app, ["api", "keys", "create", "no spaces"])
    assert bad.exit_code == 2
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> Iterator[list[dict[str, Any]]]:
    """uvicorn.run replaced: what `newswire api` would serve, and where."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    monkeypatch.delenv("NEWSWIRE_API_KEYS", raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield calls
    root.handlers[:] = handlers  # `newswire api` set up its own logging
    root.setLevel(level)


def test_api_without_keys_serves_on_loopback(served: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, ["api", "--port", "8099"])
    assert result.exit_code == 0, result.output
    assert [(c["host"], c["port"]) for c in served] == [("127.0.0.1", 8099)]


def test_api_without_keys_refuses_a_public_bind_in_one_line(
    served: list[dict[str, Any]],
) -> None:
    result = CliRunner().invoke(app, ["api", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "0.0.0.0" in lines[0] and "NEWSWIRE_API_KEYS" in lines[0]
    assert served == []


def test_api_with_keys_serves_on_any_address(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWIRE_API_KEYS", new_key("k").entry)
    result = CliRunner().invoke(app, ["api", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == "0.0.0.0"
    assert served[0]["log_level"] == "info"


def test_api_refuses_a_bad_key_setting_in_one_line_without_echoing_it(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = new_key("k").key
    monkeypatch.setenv("NEWSWIRE_API_KEYS", raw)  # the key instead of its entry
    result = CliRunner().invoke(app, ["api"])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "name:sha256hex" in result.stderr and raw not in result.output
    assert served == []
