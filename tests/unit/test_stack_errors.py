"""The stack manager fails clearly, before any download, when Java is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newswire.stack.errors import StackError
from newswire.stack.jdk import find_jdk


def _fake_jdk(root: Path, name: str, major: int) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{major}.0.1\" 2025-01-01' >&2\n")
    java.chmod(0o755)
    return home


def test_newest_fitting_jdk_is_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    _fake_jdk(tmp_path, "jdk17", 17)
    _fake_jdk(tmp_path, "jdk21", 21)
    assert find_jdk(17, jvm_dirs=[tmp_path]).major == 21
    assert find_jdk(17, preferred=tmp_path / "jdk17", jvm_dirs=[tmp_path]).major == 17
    with pytest.raises(StackError, match=r"No Java 25\+ found .*docker compose"):
        find_jdk(25, jvm_dirs=[tmp_path])


def test_stack_up_without_java_says_so(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_") and k != "JAVA_HOME"
    }
    env.update(
        PATH=str(Path(sys.executable).parent),  # python, but no java on the PATH
        NEWSWIRE_HOME=str(tmp_path / "home"),
        NEWSWIRE_JVM_DIRS="[]",
        NEWSWIRE_KAFKA_PORT="29092",
        NEWSWIRE_ELASTICSEARCH_PORT="29200",
    )
    result = subprocess.run(
        [sys.executable, "-m", "newswire", "stack", "up"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "No Java 17+ found" in message
    assert "docker compose" in message
    assert not (tmp_path / "home" / "kafka-4.1.1" / "libs").exists()  # failed before fetching


def _stack(home: Path, *args: str, answer: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update(NEWSWIRE_HOME=str(home), NEWSWIRE_KAFKA_PORT="29092")
    env.update(NEWSWIRE_ELASTICSEARCH_PORT="29200")
    return subprocess.run(
        [sys.executable, "-m", "newswire", "stack", *args],
        env=env, input=answer, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_stack_reset_deletes_the_data_and_keeps_the_downloads(tmp_path: Path) -> None:
    home = tmp_path / "home"
    stores = [home / "data" / "kafka", home / "data" / "elasticsearch", home / "processor" / "v1"]
    for store in stores:
        store.mkdir(parents=True)
        (store / "segment").write_text("stories")
    (home / "kafka-4.1.1" / "libs").mkdir(parents=True)

    refused = _stack(home, "reset", answer="n\n")
    assert refused.returncode == 1 and all(s.exists() for s in stores)  # asked, nothing gone

    done = _stack(home, "reset", "--yes")
    assert done.returncode == 0, done.stderr
    assert not any(s.exists() for s in stores)
    assert (home / "kafka-4.1.1" / "libs").is_dir()  # no download needed on the next `up`
    assert "deleted 3 data folder(s)" in " ".join(done.stderr.split())
