#!/usr/bin/env python3
"""Run a command with a processor data directory that no other replica holds.

The processor keeps its faust tables in RocksDB under NEWSWIRE_PROCESSOR_DATA_DIR, and
faust needs one data directory per worker: a second worker on the same directory crashes
on RocksDB's lock. Compose replicas (`docker compose up --scale processor=N`) share one
volume and have no stable identity (the hostname is the container id, new at every
re-creation), so each replica claims the lowest free slot, BASE/slot-0, BASE/slot-1, ...,
by holding an exclusive flock on BASE/slot-N.lock for its whole life. The lock is passed
through exec to the command and released by the kernel when the process ends, however it
ends, so a slot is never held by a dead replica. A re-created container usually gets the
slot of the one it replaces and reopens its tables instead of rebuilding them from the
changelog topic (which is slow at volume).

Kubernetes does not need this: the StatefulSet gives each pod a volume of its own.

    newswire-data-slot newswire processor --log-level info
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

DEFAULT_BASE = "/var/lib/newswire/processor"
MAX_SLOTS = 64  # far above the useful number of processors (the partitions of news.raw)


def claim(base: Path, max_slots: int = MAX_SLOTS) -> tuple[int, Path]:
    """Lock the lowest free slot under base; return the lock's descriptor and the slot."""
    base.mkdir(parents=True, exist_ok=True)
    for n in range(max_slots):
        fd = os.open(base / f"slot-{n}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        os.set_inheritable(fd, True)  # held on by the command after exec
        directory = base / f"slot-{n}"
        directory.mkdir(exist_ok=True)
        return fd, directory
    raise SystemExit(f"newswire-data-slot: all {max_slots} slots under {base} are taken")


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: newswire-data-slot COMMAND [ARGS...]")
    base = Path(os.environ.get("NEWSWIRE_PROCESSOR_DATA_DIR") or DEFAULT_BASE)
    _, directory = claim(base)
    os.environ["NEWSWIRE_PROCESSOR_DATA_DIR"] = str(directory)
    print(f"newswire-data-slot: processor data directory {directory}", file=sys.stderr)
    sys.stderr.flush()
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
