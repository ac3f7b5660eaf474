"""docs/connectors.md stays true: its capability table and its config examples."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from connectors.sdk.capabilities import END, START, Row, markdown_table, refresh, rows
from connectors.sdk.registry import available, load

DOC = Path(__file__).resolve().parents[2] / "docs" / "connectors.md"
SECTION = re.compile(r"^### `(?P<name>[a-z0-9_]+)`", re.MULTILINE)
YAML_BLOCK = re.compile(r"```yaml\n(?P<body>.*?)```", re.DOTALL)


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    marks = list(SECTION.finditer(text))
    return {
        m.group("name"): text[m.end() : marks[i + 1].start() if i + 1 < len(marks) else None]
        for i, m in enumerate(marks)
    }


def test_capability_table_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert refresh(text) == text, (
        "docs/connectors.md is stale: run `python -m connectors.sdk.capabilities "
        "--write docs/connectors.md`"
    )
    block = text.split(START, 1)[1].split(END, 1)[0]
    for name in available():
        assert f"| `{name}` |" in block


def test_table_rows_carry_each_connectors_capabilities() -> None:
    table = {row.connector: row for row in rows()}
    assert set(table) == set(available())
    caps = load("reddit").capabilities
    assert table["reddit"] == Row(
        "reddit", caps.needs_key, caps.rate_limit, caps.keyless_limits, caps.notes
    )
    for name in ("mastodon", "telegram", "reddit", "x"):
        row = table[name]
        assert row.needs_key in ("no", "optional", "yes")
        assert row.rate_limit and row.keyless_limits  # the social ones say it plainly


def test_cells_are_escaped() -> None:
    row = Row("demo", "no", "a | b", "line\nbreak", "")
    assert markdown_table([row]).splitlines()[-1] == "| `demo` | no | a \\| b | line break | - |"


def test_every_connector_has_a_config_example_that_validates() -> None:
    sections = _sections()
    assert set(available()) <= set(sections), "a registered connector has no section"
    for name in available():
        block = YAML_BLOCK.search(sections[name])
        assert block is not None, f"{name}: no yaml example"
        [source] = yaml.safe_load(block.group("body"))
        assert source["connector"] == name
        load(name).config_model.model_validate(source.get("config", {}))
