"""The pattern data file: loads once, compiles, covers the languages it promises."""

from __future__ import annotations

import re

import yaml

from pipeline.clean.patterns import DATA_FILE, build_patterns, load_patterns


def test_data_file_loads_once_and_compiles() -> None:
    first = load_patterns()
    assert load_patterns() is first  # cached: parsed once per process
    assert first.version >= 1
    assert first.drop_rules and first.attribution and first.dateline_prefix
    assert {"x", "instagram", "facebook", "telegram", "bluesky", "tiktok", "youtube"} <= set(
        first.social_hosts
    )


def test_read_more_covers_english_arabic_persian_urdu() -> None:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    phrases = data["read_more"]
    assert {"read more", "also read"} <= set(phrases["en"])
    assert {"اقرأ أيضا", "اقرأ المزيد"} <= set(phrases["ar"])
    assert {"بیشتر بخوانید", "بخوانید"} <= set(phrases["fa"])
    assert {"مزید پڑھیں", "یہ بھی پڑھیں"} <= set(phrases["ur"])


def test_every_regex_in_the_file_is_anchored() -> None:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node.startswith("^"):
            found.append(node)

    walk(data)
    assert len(found) > 40
    for pattern in found:
        re.compile(pattern)
        assert pattern.startswith("^") and pattern.endswith(("$", r"\s+", r"\s*", ")")), pattern


def test_a_new_language_is_a_data_edit() -> None:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    data["read_more"]["sw"] = ["soma pia"]
    patterns = build_patterns(data)
    match = patterns.read_more_line.match("Soma pia: Bei ya mahindi yapanda")
    assert match and match["title"] == "Bei ya mahindi yapanda"
