"""py3langid's model kept uncompressed in a cache file (pipeline.extract.language): the same
guesses as py3langid's own load, the file read when whole and current, rebuilt otherwise."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("py3langid")
from py3langid.langid import LanguageIdentifier

from pipeline.cache import CacheError
from pipeline.extract import language

TEXTS = [
    "The minister said on Tuesday that the treaty would be signed before the end of the year.",
    "Le gouvernement a annoncé mardi une réforme des retraites contestée par les syndicats.",
    "Die Regierung hat am Dienstag neue Regeln für den Wohnungsmarkt vorgestellt.",
    "Правительство объявило во вторник о новых мерах поддержки экономики.",
    "وقالت الوزارة إن المحادثات ستستأنف الأسبوع المقبل في العاصمة.",
    "政府は火曜日、新たな経済対策を発表した。",
    "El presidente viajó a Bruselas para reunirse con los líderes europeos.",
    "Yes.",
    "",
    "12345 67890 !!!",
]


@pytest.fixture(scope="module")
def reference() -> Any:
    """The identifier as py3langid loads it (LZMA at every start): what the cache must equal."""
    return LanguageIdentifier.from_model_file(language.model_file(), norm_probs=True)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache file written once by the image-build command (each write costs a second)."""
    directory = tmp_path_factory.mktemp("langid")
    assert language.main([str(directory)]) == 0
    (path,) = directory.glob("langid-*.bin")
    return path


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the decompressing loads (py3langid's own) from here on."""
    calls: list[int] = []
    original = LanguageIdentifier.from_model_file

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", counted)
    return calls


def copy_of(written: Path, directory: Path) -> Path:
    directory.mkdir(exist_ok=True)
    return Path(shutil.copy(written, directory / written.name))


def test_the_cached_model_guesses_exactly_as_py3langid(
    written: Path, reference: Any, builds: list[int]
) -> None:
    cached = language.load_identifier(written.parent)
    assert builds == []  # read from the file, not decompressed
    assert isinstance(cached.tk_nextmove, memoryview)  # mapped, not copied
    assert cached.nb_classes == reference.nb_classes
    for text in TEXTS:
        assert cached.classify(text) == reference.classify(text), text
        assert cached.rank(text) == reference.rank(text), text


def test_the_key_is_in_the_name_and_follows_py3langid(
    written: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = language.cache_key(language.model_file())
    assert written.name == f"langid-{key}.bin"
    monkeypatch.setattr(language, "version", lambda name: "999.0")
    assert language.cache_key(language.model_file()) != key


def test_a_file_written_under_another_key_is_not_trusted(
    tmp_path: Path, reference: Any, builds: list[int]
) -> None:
    key = language.cache_key(language.model_file())
    path = tmp_path / f"langid-{key}.bin"
    path.write_bytes(language.encode_model(reference, "another key"))  # whole, digest right
    with pytest.raises(CacheError, match="another key"):
        language.read_model(path, key)
    language.load_identifier(tmp_path)
    assert builds == [1]
    assert language.read_model(path, key).classify(TEXTS[0]) == reference.classify(TEXTS[0])


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "foreign"])
def test_a_damaged_file_is_rebuilt_and_replaced(
    written: Path,
    tmp_path: Path,
    damage: str,
    builds: list[int],
    reference: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = copy_of(written, tmp_path / "cache")
    data = path.read_bytes()
    if damage == "flip":  # one bit inside the arrays: only the digest can tell
        middle = len(data) // 2
        data = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "empty":
        data = b""
    else:
        data = b"\x93NUMPY not ours at all"
    path.write_bytes(data)
    with caplog.at_level(logging.WARNING, logger=language.__name__):
        identifier = language.load_identifier(path.parent)
    assert builds == [1] and "invalid" in caplog.text
    assert identifier.classify(TEXTS[1]) == reference.classify(TEXTS[1])
    assert path.read_bytes() == written.read_bytes()  # replaced by a whole file


def test_an_unwritable_directory_decompresses_in_memory_and_says_so_once(
    tmp_path: Path, builds: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    directory = blocker / "cache"  # mkdir fails whoever runs the test (root too)
    with caplog.at_level(logging.WARNING, logger=language.__name__):
        first = language.load_identifier(directory)
        language.load_identifier(directory)
    assert builds == [1, 1] and first.classify(TEXTS[2])[0] == "de"
    assert caplog.text.count("not usable") == 1


def test_loading_never_writes_so_a_read_only_image_directory_is_fine(
    written: Path, tmp_path: Path, builds: list[int]
) -> None:
    path = copy_of(written, tmp_path / "image")
    before = sorted(p.name for p in path.parent.iterdir())
    language.load_identifier(path.parent)
    assert builds == []
    assert sorted(p.name for p in path.parent.iterdir()) == before  # no lock file, no temp


def test_detect_language_is_unchanged_by_the_cache(written: Path, reference: Any) -> None:
    """The module's own identifier (default directory) gives py3langid's answers."""
    language._identifier.cache_clear()
    try:
        assert language.identify(TEXTS[0]) == ("en", reference.classify(TEXTS[0])[1])
        assert language.detect_language(TEXTS[3], declared="en") == "ru"
    finally:
        language._identifier.cache_clear()
