"""The newswire overview dashboard: where each chart, the map and the story list sit."""

from __future__ import annotations

from typing import Any

from kibana_base import EMPTY_QUERY, dumps, ref, saved_object
from kibana_map import MAP_ID

# (panel id, saved object type, saved object id, x, y, w, h)
PANELS: list[tuple[str, str, str, int, int, int, int]] = [
    ("volume", "lens", "newswire-lens-volume-by-region", 0, 0, 32, 15),
    ("duplicates", "lens", "newswire-lens-duplicate-ratio", 32, 0, 16, 7),
    ("freshness", "lens", "newswire-lens-freshness", 32, 7, 16, 8),
    ("map", "map", MAP_ID, 0, 15, 24, 18),
    ("countries", "lens", "newswire-lens-top-countries", 24, 15, 24, 18),
    ("topics", "lens", "newswire-lens-top-topics", 0, 33, 24, 15),
    ("sources", "lens", "newswire-lens-top-sources", 24, 33, 24, 15),
    ("latest", "search", "newswire-search-latest", 0, 48, 48, 20),
]


def dashboard() -> dict[str, Any]:
    panels = []
    references = []
    for panel_id, type_, object_id, x, y, w, h in PANELS:
        panels.append(
            {
                "embeddableConfig": {"enhancements": {}},
                "gridData": {"h": h, "i": panel_id, "w": w, "x": x, "y": y},
                "panelIndex": panel_id,
                "panelRefName": f"panel_{panel_id}",
                "type": type_,
            }
        )
        references.append(ref(f"{panel_id}:panel_{panel_id}", type_, object_id))
    options = {
        "hidePanelTitles": False,
        "syncColors": False,
        "syncCursor": True,
        "syncTooltips": False,
        "useMargins": True,
    }
    return saved_object(
        "dashboard",
        "newswire-overview",
        {
            "description": "Story volume, countries, topics, sources, a map of focus "
            "countries, duplicate ratio and pipeline freshness.",
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": dumps({"filter": [], "query": EMPTY_QUERY})
            },
            "optionsJSON": dumps(options),
            "panelsJSON": dumps(panels),
            "refreshInterval": {"pause": False, "value": 60000},
            "timeFrom": "now-7d",
            "timeRestore": True,
            "timeTo": "now",
            "title": "newswire overview",
        },
        references,
    )
