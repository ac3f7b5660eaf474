"""The documentation keeps up with the code.

Code and docs point at files under ``docs/``: every such path must exist (the code once
pointed to an upper-case ARCHITECTURE.md there that was never written). ``docs/architecture.md``
must name every Kafka topic setting, every package and every field of the index
mapping, so a new topic, package or field fails here until the document says what it is.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.index.template import article_mappings
from wire.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "build", "dist", "__pycache__"}

# A repository path under docs/ with a file extension, optionally reached through "../".
# Not preceded by a word, "/", "." or "-": "../shared/docs/X.md" lies outside this
# repository, and ".../api/docs" or "docs/s" (documents per second) are no paths.
DOC_PATH = re.compile(r"(?<![\w/.-])((?:\.\./)*)(docs/(?:[\w-]+/)*[\w.-]*\w\.[A-Za-z]{1,5})\b")
TICKED = re.compile(r"`([^`]+)`")


def _files(*suffixes: str) -> Iterator[Path]:
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT).parts
        if any(p in SKIP_DIRS or p.endswith((".egg-info", "_cache")) for p in rel[:-1]):
            continue
        if path.suffix in suffixes and path.is_file():
            yield path


def doc_paths(text: str, where: Path) -> list[Path]:
    """Every ``docs/...`` file named in ``text`` (of the file ``where``), resolved."""
    found = []
    for match in DOC_PATH.finditer(text):
        ups, path = match.groups()
        base = where.parent if ups else ROOT
        found.append((base / ups / path).resolve())
    return found


def test_doc_paths_are_found_and_resolved() -> None:
    here = ROOT / "deploy" / "README.md"
    d = "docs" + "/"  # spelled apart, so this file names no doc itself
    text = (
        f"see {d}architecture.md, [x](../{d}guide.md#top) and `{d}a/b-c.yaml`; "
        f"not ../shared/{d}STYLE.md, http://h/api/docs, nor 900 {d}s."
    )
    assert doc_paths(text, here) == [
        ROOT / "docs" / "architecture.md",
        ROOT / "docs" / "guide.md",
        ROOT / "docs" / "a" / "b-c.yaml",
    ]


def test_every_docs_path_named_in_code_and_markdown_exists() -> None:
    missing: list[str] = []
    named = 0
    for path in _files(".py", ".md"):
        text = path.read_text(encoding="utf-8", errors="replace")
        for target in doc_paths(text, path):
            named += 1
            # Case matters: ARCHITECTURE.md is not architecture.md on Linux.
            exists = target.is_file() and target.name in {p.name for p in target.parent.iterdir()}
            if not exists:
                missing.append(f"{path.relative_to(ROOT)} -> {target.relative_to(ROOT)}")
    assert named >= 3, "the scan found no docs/ references: is the pattern broken?"
    assert not missing, "files name docs that do not exist:\n" + "\n".join(missing)


# ------------------------------------------------------------------ docs/architecture.md


@pytest.fixture(scope="module")
def architecture() -> str:
    assert ARCHITECTURE.is_file(), "docs/architecture.md is missing"
    return ARCHITECTURE.read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    """The text under ``heading`` (a markdown heading line) up to the next heading."""
    match = re.search(rf"^(#+) {re.escape(heading)}\s*$", text, re.MULTILINE)
    assert match, f"docs/architecture.md has no section {heading!r}"
    level = len(match.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(text, match.end())
    return text[match.end() : end.start() if end else None]


def topic_settings() -> list[str]:
    """Every Kafka topic setting: the ``topic_*`` fields and derived ``topic_*`` names."""
    fields = [name for name in Settings.model_fields if name.startswith("topic_")]
    derived = [
        name
        for name, value in vars(Settings).items()
        if name.startswith("topic_") and isinstance(value, property)
    ]
    return fields + derived


def test_every_topic_setting_and_default_name_is_in_the_topics_section(
    architecture: str,
) -> None:
    names = topic_settings()
    assert {"topic_raw", "topic_articles", "topic_dlq", "topic_state"} <= set(names)
    section = _section(architecture, "Kafka topics")
    defaults = Settings()
    for name in names:
        assert f"`{name}`" in section, f"topic setting {name} is not in docs/architecture.md"
        value = getattr(defaults, name)
        if isinstance(value, str):
            assert f"`{value}`" in section, f"topic {value} ({name}) is not in the topics table"


def packages() -> list[str]:
    """Top-level packages (from pyproject and the tree) and their subpackages, as paths."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    roots = set(config["tool"]["importlinter"]["root_packages"])
    roots |= {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    found = [f"{root}/" for root in sorted(roots)]
    for root in sorted(roots):
        found += sorted(f"{root}/{p.parent.name}/" for p in (ROOT / root).glob("*/__init__.py"))
    return found


def test_every_package_is_in_the_document(architecture: str) -> None:
    names = packages()
    assert {"wire/", "newswire/", "pipeline/", "connectors/", "connectors/sdk/"} <= set(names)
    missing = [name for name in names if f"`{name}`" not in architecture]
    assert not missing, f"packages not described in docs/architecture.md: {missing}"


def mapping_fields(properties: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the mapped fields, objects walked, multi-fields (.en, .raw) left out."""
    out: list[str] = []
    for name, spec in properties.items():
        if "properties" in spec:
            out += mapping_fields(spec["properties"], f"{prefix}{name}.")
        else:
            out.append(f"{prefix}{name}")
    return out


def _fields_table(text: str) -> set[str]:
    """The field names in the first column of the document fields table."""
    section = _section(text, "Document fields")
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert len(rows) > 2, "the document fields section has no table"
    names: set[str] = set()
    for row in rows[2:]:  # header and separator first
        first_cell = row.split("|")[1]
        names.update(TICKED.findall(first_cell))
    return names


def test_every_mapped_field_is_in_the_fields_table_and_no_other(architecture: str) -> None:
    mapped = mapping_fields(article_mappings(english=True)["properties"])
    assert "places.location" in mapped and "social.engagement.likes" in mapped
    documented = _fields_table(architecture)
    missing = [name for name in mapped if name not in documented]
    assert not missing, f"index fields missing from docs/architecture.md: {missing}"
    stale = sorted(documented - set(mapped))
    assert not stale, f"docs/architecture.md lists fields the mapping does not have: {stale}"


def test_the_checks_catch_a_document_that_fell_behind(architecture: str) -> None:
    """A field, a package or a topic setting dropped from the doc is noticed."""
    without_field = architecture.replace("`places.location`", "`places.where`")
    assert "places.location" not in _fields_table(without_field)
    assert "places.where" in _fields_table(without_field)
    assert "`pipeline/dedup/`" in architecture
    without_setting = _section(architecture, "Kafka topics").replace("`topic_dlq`", "")
    assert "`topic_dlq`" not in without_setting
