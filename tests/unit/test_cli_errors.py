"""Every user error in the CLI is one line on stderr and a non-zero exit, never a traceback.

Each command runs as the console script does (``python -m newswire``), with services
pointed at closed loopback ports where it would reach one, so no stack is needed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CLOSED = {
    "NEWSWIRE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
    "NEWSWIRE_ELASTICSEARCH_URL": "http://127.0.0.1:1",
    "NEWSWIRE_HTTP_ALLOW_PRIVATE": "false",
}

BAD = [
    ["search", "--since", "garbage"],
    ["search", "--until", "yesterday-ish"],
    ["search", "--size", "x"],
    ["search", "--size", "0"],
    ["search", "--bogus"],
    ["search", "--region", "ZZ"],
    ["search", "--region", "Afganistan"],
    ["search", "--topic", "nonexistent"],
    ["search", '"Helmand river'],
    ["search", "(Kabul"],
    ["search", "foo:bar"],
    ["search", "Kabul [Iran]"],  # Elasticsearch is down: one line, and the brackets survive
    ["show", "zz"],
    ["show"],
    ["fetch", "ftp://example.com/x"],
    ["fetch", "http://127.0.0.1:1/page.html"],  # private address, not allowed
    ["fetch", "http://127.0.0.1:1/x", "--html", "/nonexistent/page.html"],
    ["dlq", "list", "--stage", "procesor"],
    ["dlq", "list"],  # Kafka is down
    ["dlq", "list", "--limit", "0"],
    ["dlq", "replay", "--stage", "procesor"],
    ["alerts", "add", "bad name!", "Kabul", "--webhook", "https://example.com/x"],
    ["alerts", "add", "x", '"Kabul', "--webhook", "https://example.com/x"],
    ["alerts", "add", "x", "Kabul", "--region", "ZZ", "--webhook", "https://example.com/x"],
    ["alerts", "add", "x", "Kabul", "--webhook", "http://127.0.0.1:9/hook"],
    ["alerts", "add", "x", "Kabul"],
    ["alerts", "list"],  # Elasticsearch is down
    ["alerts", "remove"],
    ["status", "--fail-on", "bogus"],
    ["nosuchcommand"],
    ["stack", "nosuchcommand"],
]


@pytest.mark.parametrize("args", BAD, ids=[" ".join(a) for a in BAD])
def test_a_user_error_is_one_line_without_traceback(args: list[str]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "newswire", *args],
        env={**os.environ, **CLOSED, "COLUMNS": "80"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    lines = run.stderr.splitlines()
    assert run.returncode != 0, run.stdout
    assert "Traceback" not in run.stderr
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: "), lines[0]
    if "[Iran]" in args[-1]:
        assert "search failed" in lines[0]


def test_brackets_in_messages_are_kept() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "newswire", "search", "--region", "[AF]"],
        env={**os.environ, **CLOSED}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "'[AF]'" in run.stderr


def test_flags_take_no_value_and_show_none_in_help() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "newswire", "search", "--help"],
        env={**os.environ, "COLUMNS": "100"}, capture_output=True, text=True, timeout=60,
        check=True,
    )  # fmt: skip
    assert "<bool>" not in run.stdout
    assert "--json" in run.stdout
