"""Issue 13, finding 3: a configured dedup store that cannot be used is a start-up error
(one line), never a quiet fallback to memory; memory tables only when asked for."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

import faust
import pytest

from pipeline.stream.processor import StoreUnavailable, _store, make_app
from wire.settings import Settings

if TYPE_CHECKING:
    from faust.stores.rocksdb import Store as RocksDBStore


def test_rocksdb_without_rocksdict_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rocksdict", None)  # import rocksdict -> ImportError
    with pytest.raises(StoreUnavailable, match="rocksdict is not installed") as info:
        _store("rocksdb://")
    assert "\n" not in str(info.value)


def test_memory_only_when_asked_for() -> None:
    assert _store("memory://") == "memory://"
    assert _store("rocksdb://") == "rocksdb://"


def test_a_store_held_by_another_processor_fails_before_joining(tmp_path: Path) -> None:
    """Two processors on one data directory: the second stops at start, in one line."""
    settings = Settings(
        processor_store="rocksdb://", processor_data_dir=tmp_path, processor_group="t-store"
    )
    app = faust.App("t-store", store="rocksdb://", datadir=str(tmp_path), web_enabled=False)
    table = app.Table("dedup-state", default=None, partitions=1)
    store = cast("RocksDBStore", table.data)  # Table.data is typed as a plain mapping
    path = store.partition_path(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    held = store.rocksdb_options.open(path)  # the first processor's lock
    try:
        with pytest.raises(StoreUnavailable, match="cannot open the dedup state store") as info:
            make_app(settings)
        assert "\n" not in str(info.value) and "NEWSWIRE_PROCESSOR_DATA_DIR" in str(info.value)
    finally:
        held.close()
