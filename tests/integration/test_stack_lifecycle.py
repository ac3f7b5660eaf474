"""`newswire stack up` twice is harmless and `stack down` leaves no process behind.

This starts a second, private stack (own home, own ports) so it never disturbs the one
the other integration tests use. It needs Java and Maven, like `stack up` itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newswire.stack.services import port_open
from wire.settings import Settings

pytestmark = pytest.mark.integration


def _stack(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newswire", "stack", *args],
        env=env, capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip


def _processes_under(home: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(home) in cmdline:
                found.append(f"{entry.name}: {cmdline[:120]}")
    return found


def test_up_twice_then_down_leaves_nothing(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = Settings()
    home = Path("/var/tmp" if os.geteuid() == 0 else str(tmp_path_factory.getbasetemp()))
    home = home / f"newswire-lifecycle-{os.getpid()}"
    env = {
        **os.environ,
        "NEWSWIRE_HOME": str(home),
        "NEWSWIRE_KAFKA_PORT": "29092",
        "NEWSWIRE_KAFKA_CONTROLLER_PORT": "29093",
        "NEWSWIRE_ELASTICSEARCH_PORT": "29200",
        "NEWSWIRE_ELASTICSEARCH_TRANSPORT_PORT": "29300",
        "NEWSWIRE_KAFKA_BOOTSTRAP": "127.0.0.1:29092",
        "NEWSWIRE_ELASTICSEARCH_URL": "http://127.0.0.1:29200",
        "NEWSWIRE_HEAP_MB": str(min(base.heap_mb, 384)),
    }
    try:
        first = _stack(["up"], env)
        assert first.returncode == 0, first.stderr[-3000:]
        assert port_open(29092) and port_open(29200)

        began = time.monotonic()
        second = _stack(["up"], env)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "already running" in second.stderr
        assert time.monotonic() - began < 30  # nothing was restarted

        assert _stack(["status"], env).returncode == 0
    finally:
        down = _stack(["down"], env)
    assert down.returncode == 0, down.stderr
    assert _processes_under(home) == []
    assert not port_open(29092) and not port_open(29200)
    assert _stack(["status"], env).returncode == 1
    shutil.rmtree(home, ignore_errors=True)
