"""The pipeline's roles as separate ``newswire`` processes the suite can kill.

Each role leads its own process group (its extraction processes included), so
``kill`` with SIGKILL is what a container runtime's kill does: nothing gets to clean up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

NEWSWIRE = [sys.executable, "-m", "newswire"]
CRASHING_INDEXER = [sys.executable, "-m", "tests.chaos.crashing_indexer"]


@dataclass
class Role:
    """One role process: ``argv`` after ``newswire``; its log goes to ``logdir``."""

    name: str
    argv: list[str]
    env: dict[str, str]
    logdir: Path
    command: list[str] = field(default_factory=lambda: list(NEWSWIRE))
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.logdir / f"{self.name}.{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [*self.command, *self.argv],
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL to the whole process group (the role and its children)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        with contextlib.suppress(ProcessLookupError):  # stray children of the group
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        return self.proc.returncode

    def wait(self, timeout: float) -> int | None:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def log_tail(self, lines: int = 20) -> str:
        path = self.logdir / f"{self.name}.{self.starts}.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
