"""Background processes of the local stack: pidfiles, process groups, clean stops."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from newswire.stack.errors import StackError


@dataclass
class ManagedProcess:
    """One service process; its pid lives in ``pidfile`` and it leads its own process group."""

    name: str
    pidfile: Path
    log: Path

    def pid(self) -> int | None:
        """The running pid, or None. The pidfile also holds the process's start time, so a
        stale file whose pid was reused by an unrelated process is not mistaken for ours."""
        try:
            pid_text, _, started = self.pidfile.read_text().strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError):
            return None
        if not _alive(pid) or (started and _start_time(pid) != started):
            return None
        return pid

    def start(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        user: str | None = None,
    ) -> int:
        if user:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *argv]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: `down` stops every child
            )
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        self.pidfile.write_text(f"{proc.pid} {_start_time(proc.pid)}")
        _STARTED[proc.pid] = proc
        return proc.pid

    def stop(self, timeout: float = 60.0) -> bool:
        """SIGTERM the whole group, then SIGKILL after ``timeout``. True if it was running."""
        pid = self.pid()
        if pid is None:
            self.pidfile.unlink(missing_ok=True)
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(pid):
            time.sleep(0.2)
        if _group_alive(pid):
            _signal_group(pid, signal.SIGKILL)
            while _group_alive(pid):
                time.sleep(0.1)
        child = _STARTED.pop(pid, None)
        if child is not None:
            child.poll()  # its exit status, so the handle is let go of as finished
        self.pidfile.unlink(missing_ok=True)
        return True

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


_STARTED: dict[int, subprocess.Popen[bytes]] = {}
"""Services this interpreter started, held until stopped: a ``Popen`` dropped while its
process runs raises ResourceWarning (and the service outlives the call by design)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def _start_time(pid: int) -> str:
    """Clock ticks since boot at which ``pid`` started (field 22 of /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(") ", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Members may all be zombies waiting for us; reap what is ours.
    try:
        while os.waitpid(-pgid, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    return any(_alive(pid) for pid in _group_members(pgid))


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    process: ManagedProcess,
    what: str,
    interval: float = 0.5,
) -> None:
    """Poll ``check`` until it holds; fail fast with the log's tail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process.pid() is None:
            raise StackError(
                f"{process.name} exited while starting. Last lines:\n{process.tail()}",
                str(process.log),
            )
        time.sleep(interval)
    raise StackError(f"{what} not ready after {timeout:.0f}s", str(process.log))
