"""The query language and the filter resolution (docs/search.md), offline."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.index.filters import region_filter, resolve_region, resolve_topic
from pipeline.index.query import TEXT_FIELDS, QueryError, text_query
from pipeline.index.search import Filters, build_query, parse_when


def _words(node: Any) -> list[str]:
    """Every text a query matches on, in order (to read compiled trees compactly)."""
    if isinstance(node, dict):
        if "multi_match" in node:
            return [node["multi_match"]["query"]]
        if "prefix" in node:
            return [next(iter(node["prefix"].values()))["value"] + "*"]
        return [w for v in node.values() for w in _words(v)]
    if isinstance(node, list):
        return [w for v in node for w in _words(v)]
    return []


def test_plain_words_keep_todays_ranking() -> None:
    assert text_query("Kabul Iran") == {
        "multi_match": {"query": "Kabul Iran", "fields": TEXT_FIELDS, "type": "best_fields"}
    }
    assert text_query("   ") is None


def test_and_requires_both_words() -> None:
    q = text_query("Kabul AND Iran")
    assert q is not None
    assert _words(q["bool"]["must"]) == ["Kabul", "Iran"]
    assert "should" not in q["bool"]


def test_negation_excludes_and_the_rest_must_match() -> None:
    for text in ("Kabul -Iran", "Kabul NOT Iran"):
        q = text_query(text)
        assert q is not None
        assert _words(q["bool"]["must_not"]) == ["Iran"]
        assert _words(q["bool"]["should"]) == ["Kabul"]
        assert q["bool"]["minimum_should_match"] == 1


def test_phrase_prefix_field_and_groups() -> None:
    phrase = text_query('"Helmand river"')
    assert phrase == {
        "multi_match": {"query": "Helmand river", "fields": TEXT_FIELDS, "type": "phrase"}
    }
    prefix = text_query("Kab*")
    assert prefix is not None
    assert {"prefix": {"title": {"value": "kab", "boost": 3.0}}} in prefix["bool"]["should"]
    title = text_query("title:(Kabul OR Herat) AND water")
    assert title is not None
    scoped, anywhere = title["bool"]["must"]
    assert all(m["multi_match"]["fields"] == ["title"] for m in scoped["bool"]["should"])
    assert anywhere["multi_match"]["fields"] == TEXT_FIELDS
    source = text_query("source:reuters")
    assert source is not None
    assert {"term": {"source.id": "reuters"}} in source["bool"]["should"]


def test_precedence_and_binds_tighter_than_or() -> None:
    q = text_query("a OR b AND c")
    assert q is not None
    first, second = q["bool"]["should"]
    assert _words(first) == ["a"]
    assert _words(second["bool"]["must"]) == ["b", "c"]


def test_a_url_is_a_word_not_a_field() -> None:
    q = text_query("https://example.com/x")
    assert q is not None
    assert q["multi_match"]["query"] == "https://example.com/x"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('"Helmand river', "unclosed quote at character 1"),
        ("(Kabul OR Iran", "unclosed ( at character 1"),
        ("Kabul)", "unmatched ) at character 6"),
        ("Kabul AND", "AND at character 7 has nothing after it"),
        ("OR Kabul", "nothing before it"),
        ("foo:bar", "unknown field foo:"),
        ("*", "a prefix is at least 2 letters"),
        ("k*", "a prefix is at least 2 letters"),
        ("title:", "needs a word after it"),
        ('""', "empty phrase"),
        ("()", "empty or unclosed ("),
        (" ".join(["w"] * 70), "more than 64 terms"),
    ],
)
def test_bad_syntax_is_one_sentence(text: str, says: str) -> None:
    with pytest.raises(QueryError, match=None) as info:
        text_query(text)
    assert says in str(info.value)
    assert "\n" not in str(info.value)


def test_region_forms_resolve_to_the_same_country() -> None:
    for value in ("AF", "af", "AFG", "Afghanistan", " afghanistan "):
        assert resolve_region(value).code == "AF"
    assert resolve_region("Iran").code == "IR"
    assert resolve_region("UK").code == "GB"
    sub = resolve_region("AF-BDS")
    assert (sub.kind, sub.countries) == ("subdivision", ("AF",))
    assert resolve_region("Badakhshan").code == "AF-BDS"
    south = resolve_region("southern asia")
    assert south.kind == "world_region"
    assert {"AF", "IR", "PK", "IN"} <= set(south.countries)
    assert resolve_region("034") == south
    asia = resolve_region("Asia")
    assert {"Southern Asia", "Central Asia", "Western Asia"} <= set(asia.regions)


def test_region_filters_mean_focus_unless_mentions() -> None:
    assert region_filter("AFG") == {"term": {"focus_countries": "AF"}}
    assert region_filter("AFG", mentions=True) == {"term": {"countries": "AF"}}
    sub = region_filter("AF-BDS")
    assert sub == {
        "bool": {
            "filter": [{"term": {"subdivisions": "AF-BDS"}}, {"term": {"focus_countries": "AF"}}]
        }
    }
    assert region_filter("AF-BDS", mentions=True) == {"term": {"subdivisions": "AF-BDS"}}
    focus = region_filter("Southern Asia")["terms"]["focus_countries"]
    assert "AF" in focus and "FR" not in focus
    mentions = region_filter("Asia", mentions=True)["terms"]["world_regions"]
    assert "Southern Asia" in mentions and "Asia" in mentions


def test_unknown_region_lists_close_matches() -> None:
    with pytest.raises(QueryError) as info:
        resolve_region("Afganistan")
    assert "did you mean AF (Afghanistan)" in str(info.value)
    with pytest.raises(QueryError, match="unknown region 'ZZ'"):
        resolve_region("ZZ")
    with pytest.raises(QueryError, match=r"ambiguous.*KR.*KP"):
        resolve_region("Korea")


def test_topic_by_slug_label_or_code() -> None:
    assert resolve_topic("diplomacy") == "diplomacy"
    assert resolve_topic("International Trade") == "trade"
    assert resolve_topic("medtop:20000373") == "trade"
    with pytest.raises(QueryError, match="did you mean diplomacy"):
        resolve_topic("diplomcy")
    with pytest.raises(QueryError, match=r"unknown topic 'nonexistent'.*diplomacy"):
        resolve_topic("nonexistent")


def test_build_query_sorts_filters_and_times() -> None:
    q = build_query("Kabul AND Iran", Filters(region="Afghanistan", topic="trade"))
    assert {"term": {"focus_countries": "AF"}} in q["bool"]["filter"]
    assert {"term": {"topics": "trade"}} in q["bool"]["filter"]
    with pytest.raises(QueryError, match="not a time"):
        parse_when("garbage")
