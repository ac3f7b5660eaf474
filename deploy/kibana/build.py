#!/usr/bin/env python3
"""Build the newswire Kibana saved objects (NDJSON) from readable Python.

This file is the source of truth for ``deploy/kibana/saved_objects.ndjson`` and its
packaged copy ``newswire/data/kibana/saved_objects.ndjson`` (what ``newswire kibana
setup`` imports by default). Edit here, then run::

    python deploy/kibana/build.py          # rewrite both copies
    python deploy/kibana/build.py --check  # exit 1 when a copy is stale

The output is deterministic: fixed ids, ids derived from names with uuid5, JSON with
sorted keys. Only the standard library is used, so the script runs anywhere.

Formats follow what Kibana 9 exports: ``coreMigrationVersion`` 8.8.0 and, per type, the
``typeMigrationVersion`` of the format the attributes are written in (Kibana migrates
anything older forward on import, and refuses anything newer than it knows).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUTPUTS = (
    HERE / "saved_objects.ndjson",
    ROOT / "newswire" / "data" / "kibana" / "saved_objects.ndjson",
)

CORE_MIGRATION_VERSION = "8.8.0"
# The attribute format each object is written in; see deploy/kibana/README.md.
TYPE_MIGRATION_VERSION = {
    "index-pattern": "8.0.0",
    "search": "8.0.0",
    "lens": "8.9.0",
    "map": "8.4.0",
    "dashboard": "8.9.0",
}

DATA_VIEW_ID = "newswire-news"
DATA_VIEW_PATTERN = "news*"
TIME_FIELD = "published_at"
_NS = uuid.UUID("5b0c7a52-3f6e-4c55-9a3c-6e6577737769")  # "newswire" namespace for uuid5

# Runtime field: seconds from fetch (connector) to index (indexer). Painless runs on a
# full Elasticsearch (docker compose); the minimal local node has no painless.
FRESHNESS_SCRIPT = (
    "if (doc['indexed_at'].size() > 0 && doc['fetched_at'].size() > 0) {"
    " emit((doc['indexed_at'].value.toInstant().toEpochMilli()"
    " - doc['fetched_at'].value.toInstant().toEpochMilli()) / 1000.0); }"
)
RUNTIME_FIELDS: dict[str, dict[str, Any]] = {
    "freshness_seconds": {"type": "double", "script": {"source": FRESHNESS_SCRIPT}},
}

EMPTY_QUERY = {"language": "kuery", "query": ""}


def uid(*parts: str) -> str:
    """A stable UUID for a lens layer or column, derived from readable names."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys: the one serialization used everywhere."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def saved_object(
    type_: str, id_: str, attributes: dict[str, Any], references: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "attributes": attributes,
        "coreMigrationVersion": CORE_MIGRATION_VERSION,
        "id": id_,
        "managed": False,
        "references": references,
        "type": type_,
        "typeMigrationVersion": TYPE_MIGRATION_VERSION[type_],
    }


def ref(name: str, type_: str, id_: str) -> dict[str, str]:
    return {"id": id_, "name": name, "type": type_}


# --------------------------------------------------------------------------- data view


def data_view() -> dict[str, Any]:
    field_formats = {
        "freshness_seconds": {
            "id": "duration",
            "params": {"inputFormat": "seconds", "outputFormat": "humanizePrecise"},
        }
    }
    return saved_object(
        "index-pattern",
        DATA_VIEW_ID,
        {
            "allowHidden": False,
            "fieldAttrs": "{}",
            "fieldFormatMap": dumps(field_formats),
            "fields": "[]",
            "name": "newswire stories",
            "runtimeFieldMap": dumps(RUNTIME_FIELDS),
            "sourceFilters": "[]",
            "timeFieldName": TIME_FIELD,
            "title": DATA_VIEW_PATTERN,
            "typeMeta": "{}",
        },
        [],
    )


# ------------------------------------------------------------------------ saved searches

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


# ------------------------------------------------------------------------------- lens


def count_column(label: str, *, kql: str | None = None) -> dict[str, Any]:
    column: dict[str, Any] = {
        "customLabel": True,
        "dataType": "number",
        "isBucketed": False,
        "label": label,
        "operationType": "count",
        "params": {"emptyAsNull": False},
        "scale": "ratio",
        "sourceField": "___records___",
    }
    if kql is not None:
        column["filter"] = {"language": "kuery", "query": kql}
    return column


def date_histogram_column(field: str) -> dict[str, Any]:
    return {
        "dataType": "date",
        "isBucketed": True,
        "label": field,
        "operationType": "date_histogram",
        "params": {"dropPartials": False, "includeEmptyRows": True, "interval": "auto"},
        "scale": "interval",
        "sourceField": field,
    }


def terms_column(field: str, size: int, order_by: str, *, other: bool) -> dict[str, Any]:
    return {
        "dataType": "string",
        "isBucketed": True,
        "label": f"Top {size} values of {field}",
        "operationType": "terms",
        "params": {
            "exclude": [],
            "excludeIsRegex": False,
            "include": [],
            "includeIsRegex": False,
            "missingBucket": False,
            "orderBy": {"columnId": order_by, "type": "column"},
            "orderDirection": "desc",
            "otherBucket": other,
            "parentFormat": {"id": "terms"},
            "size": size,
        },
        "scale": "ordinal",
        "sourceField": field,
    }


def metric_column(
    operation: str, field: str, label: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": "number",
        "isBucketed": False,
        "label": label,
        "operationType": operation,
        "params": params or {},
        "scale": "ratio",
        "sourceField": field,
    }


def lens(
    id_: str,
    title: str,
    description: str,
    visualization_type: str,
    layer_id: str,
    columns: dict[str, dict[str, Any]],
    column_order: list[str],
    visualization: dict[str, Any],
) -> dict[str, Any]:
    state = {
        "adHocDataViews": {},
        "datasourceStates": {
            "formBased": {
                "layers": {
                    layer_id: {
                        "columnOrder": column_order,
                        "columns": columns,
                        "ignoreGlobalFilters": False,
                        "incompleteColumns": {},
                        "sampling": 1,
                    }
                }
            },
            "textBased": {"layers": {}},
        },
        "filters": [],
        "internalReferences": [],
        "query": EMPTY_QUERY,
        "visualization": visualization,
    }
    return saved_object(
        "lens",
        id_,
        {
            "description": description,
            "state": state,
            "title": title,
            "visualizationType": visualization_type,
        },
        [ref(f"indexpattern-datasource-layer-{layer_id}", "index-pattern", DATA_VIEW_ID)],
    )


def xy_visualization(
    layer_id: str,
    series_type: str,
    x: str,
    y: str,
    split: str | None = None,
    *,
    legend: bool = True,
    value_labels: str = "hide",
) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "accessors": [y],
        "layerId": layer_id,
        "layerType": "data",
        "seriesType": series_type,
        "xAccessor": x,
    }
    if split is not None:
        layer["splitAccessor"] = split
    on = {"x": True, "yLeft": True, "yRight": True}
    return {
        "axisTitlesVisibilitySettings": on,
        "fittingFunction": "None",
        "gridlinesVisibilitySettings": on,
        "layers": [layer],
        "legend": {"isVisible": legend, "position": "right"},
        "preferredSeriesType": series_type,
        "tickLabelsVisibilitySettings": on,
        "valueLabels": value_labels,
    }


def volume_by_region() -> dict[str, Any]:
    name = "volume-by-region"
    layer, date, count, region = (uid(name, p) for p in ("layer", "date", "count", "region"))
    columns = {
        date: date_histogram_column(TIME_FIELD),
        count: count_column("Stories"),
        region: terms_column("world_regions", 8, count, other=True),
    }
    return lens(
        "newswire-lens-volume-by-region",
        "Story volume by world region",
        "Stories per time bucket (published_at), stacked by the UN M49 region of the "
        "countries they are about.",
        "lnsXY",
        layer,
        columns,
        [region, date, count],
        xy_visualization(layer, "bar_stacked", date, count, region),
    )


def top_terms(id_: str, title: str, description: str, field: str, size: int) -> dict[str, Any]:
    layer, term, count = (uid(id_, p) for p in ("layer", "term", "count"))
    columns = {
        term: {
            **terms_column(field, size, count, other=False),
            "customLabel": True,
            "label": title,
        },
        count: count_column("Stories"),
    }
    return lens(
        id_,
        title,
        description,
        "lnsXY",
        layer,
        columns,
        [term, count],
        xy_visualization(layer, "bar_horizontal", term, count, legend=False, value_labels="show"),
    )


DUPLICATE_FORMULA = "count(kql='duplicate_of:*') / count()"


def duplicate_ratio() -> dict[str, Any]:
    name = "duplicate-ratio"
    layer, ratio = uid(name, "layer"), uid(name, "ratio")
    dup, total, math = f"{ratio}X0", f"{ratio}X1", f"{ratio}X2"
    part = "Part of Duplicate ratio"
    columns = {
        dup: count_column(part, kql="duplicate_of:*"),
        total: count_column(part),
        math: {
            "customLabel": True,
            "dataType": "number",
            "isBucketed": False,
            "label": part,
            "operationType": "math",
            "params": {
                "tinymathAst": {
                    "args": [dup, total],
                    "location": {"max": len(DUPLICATE_FORMULA), "min": 0},
                    "name": "divide",
                    "text": DUPLICATE_FORMULA,
                    "type": "function",
                }
            },
            "references": [dup, total],
            "scale": "ratio",
        },
        ratio: {
            "customLabel": True,
            "dataType": "number",
            "isBucketed": False,
            "label": "Duplicate ratio",
            "operationType": "formula",
            "params": {
                "format": {"id": "percent", "params": {"decimals": 1}},
                "formula": DUPLICATE_FORMULA,
                "isFormulaBroken": False,
            },
            "references": [math],
            "scale": "ratio",
        },
    }
    return lens(
        "newswire-lens-duplicate-ratio",
        "Duplicate ratio",
        "Share of documents that are syndicated copies (duplicate_of set): " + DUPLICATE_FORMULA,
        "lnsMetric",
        layer,
        columns,
        [dup, total, math, ratio],
        {"layerId": layer, "layerType": "data", "metricAccessor": ratio},
    )


def freshness() -> dict[str, Any]:
    name = "freshness"
    layer, median, p95 = (uid(name, p) for p in ("layer", "median", "p95"))
    seconds = {"format": {"id": "number", "params": {"decimals": 1}}}
    columns = {
        median: metric_column(
            "median", "freshness_seconds", "Median seconds, fetch to index", seconds
        ),
        p95: metric_column(
            "percentile",
            "freshness_seconds",
            "95th percentile",
            {**seconds, "percentile": 95},
        ),
    }
    return lens(
        "newswire-lens-freshness",
        "Pipeline freshness",
        "Seconds from fetch (fetched_at) to index (indexed_at): the runtime field "
        "freshness_seconds of the data view.",
        "lnsMetric",
        layer,
        columns,
        [median, p95],
        {
            "layerId": layer,
            "layerType": "data",
            "metricAccessor": median,
            "secondaryMetricAccessor": p95,
        },
    )


def lenses() -> list[dict[str, Any]]:
    return [
        volume_by_region(),
        top_terms(
            "newswire-lens-top-countries",
            "Top countries",
            "Countries the stories are about or mention (countries, focus first).",
            "countries",
            15,
        ),
        top_terms(
            "newswire-lens-top-topics",
            "Top topics",
            "Topic slugs from the taxonomy.",
            "topics",
            15,
        ),
        top_terms(
            "newswire-lens-top-sources",
            "Top sources",
            "Publishers and accounts by story count.",
            "source.name",
            15,
        ),
        duplicate_ratio(),
        freshness(),
    ]


# -------------------------------------------------------------------------------- map

MAP_ID = "newswire-map-focus-countries"
JOIN_SOURCE_ID = uid("map", "focus-countries-join")
PLACES_SOURCE_ID = uid("map", "places-grid")


def focus_map() -> dict[str, Any]:
    basemap = {
        "alpha": 1,
        "id": "basemap",
        "includeInFitToBounds": True,
        "label": "Basemap",
        "maxZoom": 24,
        "minZoom": 0,
        "sourceDescriptor": {
            "isAutoSelect": True,
            "lightModeDefault": "road_map_desaturated",
            "type": "EMS_TMS",
        },
        "style": {"color": "", "type": "EMS_VECTOR_TILE"},
        "type": "EMS_VECTOR_TILE",
        "visible": True,
    }
    choropleth = {
        "alpha": 0.75,
        "disableTooltips": False,
        "id": "focus-countries",
        "includeInFitToBounds": True,
        "joins": [
            {
                "leftField": "iso2",
                "right": {
                    "applyForceRefresh": True,
                    "applyGlobalQuery": True,
                    "applyGlobalTime": True,
                    "id": JOIN_SOURCE_ID,
                    "indexPatternRefName": "layer_1_join_0_index_pattern",
                    "metrics": [{"label": "stories", "type": "count"}],
                    "size": 300,
                    "term": "focus_countries",
                    "type": "ES_TERM_SOURCE",
                },
            }
        ],
        "label": "Stories by focus country",
        "maxZoom": 24,
        "minZoom": 0,
        "sourceDescriptor": {
            "id": "world_countries",
            "tooltipProperties": ["name", "iso2"],
            "type": "EMS_FILE",
        },
        "style": {
            "isTimeAware": True,
            "properties": {
                "fillColor": {
                    "options": {
                        "color": "Blues",
                        "field": {
                            "name": f"__kbnjoin__count__{JOIN_SOURCE_ID}",
                            "origin": "join",
                        },
                        "fieldMetaOptions": {"isEnabled": True, "sigma": 3},
                        "type": "ORDINAL",
                    },
                    "type": "DYNAMIC",
                },
                "lineColor": {"options": {"color": "#FFFFFF"}, "type": "STATIC"},
                "lineWidth": {"options": {"size": 1}, "type": "STATIC"},
            },
            "type": "VECTOR",
        },
        "type": "GEOJSON_VECTOR",
        "visible": True,
    }
    # Works without Elastic Maps Service: clusters of the places the stories name.
    places = {
        "alpha": 0.8,
        "id": "places",
        "includeInFitToBounds": True,
        "label": "Places mentioned (places.location)",
        "maxZoom": 24,
        "minZoom": 0,
        "sourceDescriptor": {
            "applyForceRefresh": True,
            "applyGlobalQuery": True,
            "applyGlobalTime": True,
            "geoField": "places.location",
            "id": PLACES_SOURCE_ID,
            "indexPatternRefName": "layer_2_source_index_pattern",
            "metrics": [{"type": "count"}],
            "requestType": "point",
            "resolution": "COARSE",
            "type": "ES_GEO_GRID",
        },
        "style": {
            "isTimeAware": True,
            "properties": {
                "fillColor": {
                    "options": {
                        "color": "Yellow to Red",
                        "field": {"name": "doc_count", "origin": "source"},
                        "fieldMetaOptions": {"isEnabled": True, "sigma": 3},
                        "type": "ORDINAL",
                    },
                    "type": "DYNAMIC",
                },
                "iconSize": {
                    "options": {
                        "field": {"name": "doc_count", "origin": "source"},
                        "fieldMetaOptions": {"isEnabled": True, "sigma": 3},
                        "maxSize": 24,
                        "minSize": 4,
                    },
                    "type": "DYNAMIC",
                },
                "lineColor": {"options": {"color": "#FFFFFF"}, "type": "STATIC"},
                "lineWidth": {"options": {"size": 1}, "type": "STATIC"},
            },
            "type": "VECTOR",
        },
        "type": "GEOJSON_VECTOR",
        "visible": True,
    }
    map_state = {
        "center": {"lat": 25.0, "lon": 30.0},
        "filters": [],
        "query": EMPTY_QUERY,
        "refreshConfig": {"interval": 0, "isPaused": True},
        "settings": {"autoFitToDataBounds": False, "initialLocation": "LAST_SAVED_LOCATION"},
        "timeFilters": {"from": "now-7d", "to": "now"},
        "zoom": 1.6,
    }
    return saved_object(
        "map",
        MAP_ID,
        {
            "description": "Choropleth of focus_countries (ISO 3166-1 alpha-2) joined to the "
            "Elastic Maps Service world_countries layer on iso2, over clusters of "
            "places.location.",
            "layerListJSON": dumps([basemap, choropleth, places]),
            "mapStateJSON": dumps(map_state),
            "title": "Stories by focus country",
            "uiStateJSON": dumps({"isLayerTOCOpen": True, "openTOCDetails": []}),
        },
        [
            ref("layer_1_join_0_index_pattern", "index-pattern", DATA_VIEW_ID),
            ref("layer_2_source_index_pattern", "index-pattern", DATA_VIEW_ID),
        ],
    )


# -------------------------------------------------------------------------- dashboard

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


# ------------------------------------------------------------------------------ output


def saved_objects() -> list[dict[str, Any]]:
    """Every object, referenced ones before those that reference them."""
    return [data_view(), *saved_searches(), *lenses(), focus_map(), dashboard()]


def render() -> str:
    return "".join(dumps(obj) + "\n" for obj in saved_objects())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when an output is stale")
    args = parser.parse_args(argv)
    text = render()
    stale = [p for p in OUTPUTS if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python deploy/kibana/build.py)")
        return 1 if stale else 0
    for path in OUTPUTS:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({len(saved_objects())} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
