from pathlib import Path

import pytest

from connectors.sdk.sources import SourcesError, load_sources
from newswire.runtime import DEFAULT_SOURCES


def test_bundled_sources_are_valid_and_include_the_offline_demo() -> None:
    sources = load_sources(DEFAULT_SOURCES)
    assert any(s.connector == "archive" and s.config["path"] == "builtin:demo" for s in sources)
    assert sum(s.connector == "rss" for s in sources) >= 5


def test_errors_name_the_line_of_each_bad_source(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - id: good\n"
        "    connector: rss\n"
        "    config: {url: 'https://a.example/feed'}\n"
        "  - id: bad-country\n"
        "    connector: rss\n"
        "    country: Afghanistan\n"
        "    config: {url: 'https://b.example/feed'}\n"
        "  - id: nope\n"
        "    connector: carrier-pigeon\n"
        "  - id: good\n"
        "    connector: rss\n"
        "    config: {url: 'not a url', colour: blue}\n"
    )
    with pytest.raises(SourcesError) as info:
        load_sources(path)
    problems = info.value.problems
    assert any(p.startswith(f"{path}:5: country") for p in problems)
    assert any(p.startswith(f"{path}:9: connector") and "carrier-pigeon" in p for p in problems)
    assert any(f"{path}:11: duplicate source id 'good'" in p for p in problems)
    assert any(p.startswith(f"{path}:11: config.url") for p in problems)
    assert any(p.startswith(f"{path}:11: config.colour") for p in problems)


def test_not_a_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("- just a list\n")
    with pytest.raises(SourcesError, match="top-level 'sources:' list"):
        load_sources(path)
