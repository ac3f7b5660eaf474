"""Saved searches (Discover): the story lists an analyst opens first."""

from __future__ import annotations

from typing import Any

from kibana_base import DATA_VIEW_ID, TIME_FIELD, dumps, ref, saved_object

SEARCH_INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"


def saved_search(
    id_: str, title: str, description: str, query: str, columns: list[str]
) -> dict[str, Any]:
    source = {
        "filter": [],
        "highlightAll": True,
        "indexRefName": SEARCH_INDEX_REF,
        "query": {"language": "kuery", "query": query},
        "version": True,
    }
    return saved_object(
        "search",
        id_,
        {
            "columns": columns,
            "description": description,
            "grid": {},
            "hideChart": False,
            "isTextBasedQuery": False,
            "kibanaSavedObjectMeta": {"searchSourceJSON": dumps(source)},
            "sort": [[TIME_FIELD, "desc"]],
            "title": title,
        },
        [ref(SEARCH_INDEX_REF, "index-pattern", DATA_VIEW_ID)],
    )


def saved_searches() -> list[dict[str, Any]]:
    return [
        saved_search(
            "newswire-search-latest",
            "Latest stories",
            "Every story and post, newest first.",
            "",
            ["title", "source.name", "focus_countries", "topics"],
        ),
        saved_search(
            "newswire-search-by-region",
            "Stories by region",
            "Stories about given countries; edit the query, e.g. focus_countries:IR, "
            'world_regions:"Central Asia" or subdivisions:AF-BDS.',
            'focus_countries:(AF or PK) or world_regions:"Southern Asia"',
            ["title", "focus_countries", "world_regions", "subdivisions", "source.name"],
        ),
        saved_search(
            "newswire-search-social",
            "Social posts",
            "Posts from social networks (kind: social_post).",
            "kind:social_post",
            ["title", "summary", "authors", "source.name", "lang"],
        ),
    ]
