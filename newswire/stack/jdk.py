"""Find a Java runtime that fits each service (Kafka 4 needs 17+, Elasticsearch 9 needs 21+)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from newswire.stack.errors import StackError

_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


@dataclass(frozen=True)
class Jdk:
    home: Path
    major: int

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"

    def __str__(self) -> str:
        return f"Java {self.major} at {self.home}"


def _probe(home: Path) -> Jdk | None:
    java = home / "bin" / "java"
    if not java.is_file():
        return None
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    return Jdk(home=home.resolve(), major=major)


def _candidates(preferred: Path | None, jvm_dirs: list[Path]) -> list[Path]:
    homes: list[Path] = []
    if preferred:
        homes.append(preferred)
    if os.environ.get("JAVA_HOME"):
        homes.append(Path(os.environ["JAVA_HOME"]))
    for jvm in jvm_dirs:
        if jvm.is_dir():
            homes.extend(sorted(p for p in jvm.iterdir() if p.is_dir() and not p.is_symlink()))
    on_path = shutil.which("java")
    if on_path:
        homes.append(Path(on_path).resolve().parent.parent)
    seen: set[Path] = set()
    unique = []
    for home in homes:
        resolved = home.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(resolved)
    return unique


def find_jdk(
    minimum: int, preferred: Path | None = None, jvm_dirs: list[Path] | None = None
) -> Jdk:
    """The newest JDK of at least ``minimum``, preferring ``preferred`` when it fits."""
    dirs = [Path("/usr/lib/jvm")] if jvm_dirs is None else jvm_dirs
    found = [jdk for home in _candidates(preferred, dirs) if (jdk := _probe(home))]
    if preferred:
        for jdk in found:
            if jdk.home == preferred.resolve() and jdk.major >= minimum:
                return jdk
    fitting = sorted((j for j in found if j.major >= minimum), key=lambda j: -j.major)
    if fitting:
        return fitting[0]
    have = ", ".join(str(j) for j in found) or "none"
    raise StackError(
        f"No Java {minimum}+ found (found: {have}). Install one "
        f"(e.g. `apt-get install openjdk-{max(minimum, 21)}-jdk-headless`) and set "
        "NEWSWIRE_JAVA_HOME, or run the stack with `docker compose up` instead."
    )
