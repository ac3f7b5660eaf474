"""The gazetteer cache file (pipeline.tag.geo.store): loaded when whole and current, rebuilt
otherwise, written atomically, built once when several processes start together."""

from __future__ import annotations

import logging
import multiprocessing
import os
from pathlib import Path

import pytest

from pipeline.tag.geo import build, store
from pipeline.tag.geo.gazetteer import Ambiguity, Entry, Gazetteer, Kind


def small_gazetteer() -> Gazetteer:
    """A few names of every shape the encoder handles: one- and two-word keys, Cyrillic forms,
    an ambiguity, sets and maps."""
    gaz = Gazetteer()
    fr = gaz.add_entry(Entry(Kind.COUNTRY, "FR", "FR", "France"))
    ny = gaz.add_entry(
        Entry(Kind.CITY, "geonames:5128581", "US", "New York", 40.7, -74.0, 8_804_190)
    )
    ge = gaz.add_entry(Entry(Kind.SUBDIVISION, "US-GA", "US", "Georgia", weak=True))
    gaz.add_name("France", fr)
    gaz.add_name("Франция", fr)
    gaz.add_name("New York", ny)
    gaz.add_name("Georgia", ge)
    gaz.ambiguities[("georgia",)] = Ambiguity("GE", False, {"GE": frozenset({"tbilisi"})})
    gaz.neighbours = {"FR": frozenset({"ES", "DE"})}
    gaz.given_names = frozenset({"john"})
    gaz.given_name_endings = ("son",)
    gaz.finish()
    return gaz


_calls: list[int] = []


def counted_build() -> Gazetteer:
    _calls.append(1)
    return small_gazetteer()


def test_round_trip_of_the_real_gazetteer_is_equal() -> None:
    built = build.build()
    key = store.cache_key()
    assert store.decode(store.encode(built, key), key) == built


def test_second_start_loads_the_file_without_building(tmp_path: Path) -> None:
    _calls.clear()
    first = store.load_or_build(counted_build, tmp_path)
    second = store.load_or_build(counted_build, tmp_path)
    assert len(_calls) == 1
    assert second == first == small_gazetteer()
    assert second.aliases(("new", "york"))[0].entries == [1]
    assert second.entries[2].kind is Kind.SUBDIVISION and second.entries[2].weak
    files = list(tmp_path.glob("gazetteer-*.bin"))
    assert [f.name for f in files] == [f"gazetteer-{store.cache_key()}.bin"]
    assert files[0].stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "foreign"])
def test_a_damaged_file_is_rebuilt_and_replaced(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    store.load_or_build(small_gazetteer, tmp_path)
    (path,) = tmp_path.glob("gazetteer-*.bin")
    data = path.read_bytes()
    if damage == "flip":
        data = data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:]
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "empty":
        data = b""
    else:
        data = b"\x80\x04not ours at all"
    path.write_bytes(data)
    _calls.clear()
    with caplog.at_level(logging.WARNING, logger=store.__name__):
        gaz = store.load_or_build(counted_build, tmp_path)
    assert _calls == [1] and gaz == small_gazetteer()
    assert "invalid" in caplog.text
    assert store.decode(path.read_bytes(), store.cache_key()) == small_gazetteer()


def test_a_file_written_under_another_key_is_not_trusted(tmp_path: Path) -> None:
    key = store.cache_key()
    path = tmp_path / f"gazetteer-{key}.bin"
    path.write_bytes(store.encode(small_gazetteer(), "another key"))  # whole, digest right
    with pytest.raises(store.CacheError, match="another key"):
        store.decode(path.read_bytes(), key)
    _calls.clear()
    store.load_or_build(counted_build, tmp_path)
    assert _calls == [1]


def test_a_new_version_gets_its_own_file_and_the_least_recently_used_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions 0-3 written in turn, version 0 loaded again (used) before version 3 is
    written: 1 is the least recently used and goes; a version that is back is not rebuilt."""
    names = {}
    for n in range(4):
        monkeypatch.setattr(store, "FORMAT", n)
        if n == 3:
            monkeypatch.setattr(store, "FORMAT", 0)
            _calls.clear()
            store.load_or_build(counted_build, tmp_path)
            assert _calls == []  # version 0's file is still there
            monkeypatch.setattr(store, "FORMAT", 3)
        for path in tmp_path.glob("gazetteer-*.bin"):  # mtimes a second apart, oldest first
            os.utime(path, (path.stat().st_mtime - 1, path.stat().st_mtime - 1))
        store.load_or_build(small_gazetteer, tmp_path)
        names[n] = f"gazetteer-{store.cache_key()}.bin"
    assert len(set(names.values())) == 4
    left = {p.name for p in tmp_path.glob("gazetteer-*.bin")}
    assert left == {names[0], names[2], names[3]}


def test_the_key_follows_data_files_and_library_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = store.cache_key()
    data = tmp_path / "regions"
    data.mkdir()
    for path in store._DATA_DIR.iterdir():
        (data / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(store, "_DATA_DIR", data)
    assert store.cache_key() == base
    with (data / "cities.tsv").open("a", encoding="utf-8") as handle:
        handle.write("FR\tParis\ten\tLutetia\n")
    edited = store.cache_key()
    assert edited != base
    monkeypatch.setattr(store, "version", lambda name: "999.0")
    assert store.cache_key() not in (base, edited)


def test_an_unwritable_directory_builds_in_memory_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    directory = blocker / "cache"  # mkdir fails whoever runs the test (root too)
    _calls.clear()
    with caplog.at_level(logging.WARNING, logger=store.__name__):
        first = store.load_or_build(counted_build, directory)
        store.load_or_build(counted_build, directory)
    assert first == small_gazetteer() and _calls == [1, 1]
    assert caplog.text.count("not usable") == 1


def _start(directory: str, marks: str) -> bool:
    def slow_build() -> Gazetteer:
        Path(marks, str(os.getpid())).touch()  # one mark per process that built
        import time

        time.sleep(0.5)
        return small_gazetteer()

    return store.load_or_build(slow_build, Path(directory)) == small_gazetteer()


def test_processes_starting_together_build_once(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    cache = tmp_path / "cache"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(_start, [(str(cache), str(marks))] * 4)
    assert results == [True] * 4
    assert len(list(marks.iterdir())) == 1
    assert [p.name for p in cache.iterdir() if p.name.endswith(".tmp")] == []


def test_the_default_directory_is_under_the_settings_home(monkeypatch: pytest.MonkeyPatch) -> None:
    from wire.settings import Settings

    monkeypatch.delenv(store.CACHE_DIR_ENV, raising=False)
    monkeypatch.delenv("NEWSWIRE_HOME", raising=False)
    assert store.cache_dir() == Settings().home / "tag-cache"
    monkeypatch.setenv("NEWSWIRE_HOME", "/srv/nw")
    assert store.cache_dir() == Settings().home / "tag-cache" == Path("/srv/nw/tag-cache")
    monkeypatch.setenv(store.CACHE_DIR_ENV, "/elsewhere")
    assert store.cache_dir() == Path("/elsewhere")


def test_the_command_writes_the_file_an_image_can_ship(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(build, "build", small_gazetteer)
    assert store.main([str(tmp_path / "image")]) == 0
    path = tmp_path / "image" / f"gazetteer-{store.cache_key()}.bin"
    assert str(path) in capsys.readouterr().out
    path.parent.chmod(0o555)  # read-only, as in the container: loading still works
    try:
        _calls.clear()
        assert store.load_or_build(counted_build, path.parent) == small_gazetteer()
        assert _calls == []
    finally:
        path.parent.chmod(0o755)
