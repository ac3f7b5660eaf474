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
            "Stories about given countries (their focus), as `newswire search --region` "
            "means it: edit the countries, e.g. focus_countries:IR. A world region's focus "
            "is its countries (Southern Asia: AF BD BT IN IR LK MV NP PK); a subdivision's "
            "is subdivisions:AF-BDS and focus_countries:AF. Any mention: the next search.",
            "focus_countries:(AF or PK)",
            ["title", "focus_countries", "world_regions", "subdivisions", "source.name"],
        ),
        saved_search(
            "newswire-search-mentions",
            "Stories mentioning a region",
            "Stories that mention given countries or regions anywhere, as `newswire search "
            "--region X --mentions` does; edit e.g. countries:IR, "
            'world_regions:"Central Asia" or subdivisions:AF-BDS.',
            'countries:(AF or PK) or world_regions:"Southern Asia"',
            ["title", "countries", "focus_countries", "world_regions", "source.name"],
        ),
        saved_search(
            "newswire-search-social",
            "Social posts",
            "Posts from social networks (kind: social_post).",
            "kind:social_post",
            ["title", "summary", "authors", "source.name", "lang"],
        ),
    ]
