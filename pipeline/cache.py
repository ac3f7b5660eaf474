"""Cache files for data every extraction process would otherwise rebuild at every start.

The gazetteer (``pipeline.tag.geo.store``) and py3langid's language model
(``pipeline.extract.language``) cost seconds of CPU to build or decompress, paid before the
first story by every extraction process, and again by each process pebble starts after a page
overran its time bound. Both depend only on library versions, data files and code, so each is
built once into ``<name>-<key>.bin`` under :func:`cache_dir` and later processes read it.
What the two share lives here:

- **Where**: ``$NEWSWIRE_TAG_CACHE_DIR``, else ``<home>/tag-cache``. An image writes the files
  at build time and points the variable there, so a read-only root filesystem is fine.
- **Checked**: :func:`seal` puts a magic line and a BLAKE2 digest before the payload;
  :func:`unseal` refuses a truncated, corrupted or foreign file (:class:`CacheError`), and the
  caller then rebuilds it. The key (a hash of what the content depends on) is in the file
  name, and each format repeats it inside, so a stale file is never read.
- **Safe to share**: written to a temporary file and renamed into place (readers see a whole
  file or none); processes starting together take an exclusive ``flock`` so one builds while
  the others wait and then read its file; the ``KEEP`` most recently used files stay.
- An unwritable directory is logged once per process and the data built in memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

CACHE_DIR_ENV = "NEWSWIRE_TAG_CACHE_DIR"
KEEP = 3
"""Cache files kept per name and directory, most recently used first."""
DIGEST_SIZE = 32
_warned: set[tuple[str, str]] = set()


class CacheError(ValueError):
    """A cache file that is not whole, not ours or not current."""


def cache_dir() -> Path:
    """Where the caches live: ``$NEWSWIRE_TAG_CACHE_DIR``, else ``<home>/tag-cache``.

    ``<home>`` is the settings' ``home`` (``NEWSWIRE_HOME``; by default ``/var/cache/newswire``
    for root, else ``$XDG_CACHE_HOME/newswire``), computed here by the same rule as
    ``wire.settings`` so the extraction processes need not import pydantic-settings
    (tests/unit/test_gazetteer_store.py holds the two rules together).
    """
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    home = os.environ.get("NEWSWIRE_HOME")
    if home:
        return Path(home) / "tag-cache"
    if os.geteuid() == 0:
        return Path("/var/cache/newswire") / "tag-cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newswire" / "tag-cache"


def seal(magic: bytes, payload: bytes) -> bytes:
    """``magic``, the payload's BLAKE2 digest, the payload: what :func:`unseal` checks."""
    return magic + hashlib.blake2b(payload, digest_size=DIGEST_SIZE).digest() + payload


def unseal(magic: bytes, data: bytes | memoryview) -> memoryview:
    """The payload :func:`seal` framed (no copy); :class:`CacheError` unless it is whole."""
    view = memoryview(data)
    if view[: len(magic)] != magic:
        raise CacheError(f"not a {magic.decode(errors='replace').strip()} cache file")
    digest = view[len(magic) : len(magic) + DIGEST_SIZE]
    payload = view[len(magic) + DIGEST_SIZE :]
    if hashlib.blake2b(payload, digest_size=DIGEST_SIZE).digest() != digest:
        raise CacheError("digest mismatch (truncated or corrupted)")
    return payload


def write_atomically(path: Path, data: bytes) -> None:
    """A reader sees the old state or the whole new file, never part of one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{_name(path)}-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would keep other users' processes building
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    prune(path.parent, _name(path))


def prune(directory: Path, name: str) -> None:
    """Delete all but the ``KEEP`` most recently used ``<name>-*.bin`` (a read touches its
    file): old versions go, while checkouts or releases sharing the directory keep theirs."""
    files = []
    for path in directory.glob(f"{name}-*.bin"):
        with contextlib.suppress(OSError):
            files.append((path.stat().st_mtime, path))
    for _mtime, path in sorted(files, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            path.unlink()


def _name(path: Path) -> str:
    return path.name.split("-", 1)[0]


def _read(path: Path, read: Callable[[Path], T], what: str, log: logging.Logger) -> T | None:
    try:
        value = read(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("%s cache %s unreadable (%s): building it again", what, path, exc)
        return None
    except (CacheError, KeyError, IndexError, TypeError, ValueError) as exc:
        log.warning("%s cache %s is invalid (%s): building it again", what, path, exc)
        return None
    with contextlib.suppress(OSError):  # "recently used" for prune; a read-only file is fine
        os.utime(path)
    return value


def _warn_once(what: str, directory: Path, exc: OSError, log: logging.Logger) -> None:
    if (what, str(directory)) not in _warned:
        _warned.add((what, str(directory)))
        log.warning(
            "%s cache directory %s not usable (%s): building the %s in memory in each "
            "process (set %s to a writable directory)",
            what,
            directory,
            exc,
            what,
            CACHE_DIR_ENV,
        )


def load_or_build(
    path: Path,
    read: Callable[[Path], T],
    build: Callable[[], T],
    encode: Callable[[T], bytes],
    *,
    what: str,
    log: logging.Logger,
) -> T:
    """``read(path)`` when the file is whole and current; else ``build()``, written there as
    ``encode(value)`` for the next process. ``read`` raises :class:`CacheError` (or another
    ``ValueError``, ``KeyError``...) on a bad file; ``what`` names the data in log lines."""
    value = _read(path, read, what, log)  # the common case: no lock, no directory creation
    if value is not None:
        return value
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = os.open(directory / f".{_name(path)}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        _warn_once(what, directory, exc, log)
        return build()
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it right now
        value = _read(path, read, what, log)
        if value is not None:
            return value
        value = build()
        try:
            write_atomically(path, encode(value))
        except OSError as exc:
            _warn_once(what, directory, exc, log)
        return value
    finally:
        os.close(lock)  # releases the flock


def report_written(path: Path, detail: str = "") -> int:
    """What a ``python -m ... [DIR]`` writer prints: the file and its size, or why it is
    missing (``load_or_build`` warned already); the exit status."""
    import sys

    if not path.is_file():
        print(f"could not write {path} (see the warning above)", file=sys.stderr)
        return 1
    print(f"{path}: {detail}{path.stat().st_size / 2**20:.1f} MiB")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.cache [DIR]``: write every cache file now (the gazetteer's and the
    language model's), e.g. in an image build, so that no container builds them; with
    ``NEWSWIRE_TAG_CACHE_DIR`` pointing there a read-only directory is fine (loading never
    writes). Exits non-zero when a file could not be written."""
    import sys

    from pipeline.extract import language
    from pipeline.tag.geo import store

    args = sys.argv[1:] if argv is None else argv
    return store.main(args) or language.main(args)


if __name__ == "__main__":
    raise SystemExit(main())
