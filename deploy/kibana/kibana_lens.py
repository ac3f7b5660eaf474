"""Lens visualizations: the column and chart builders and the six charts built from them.

Column ids and layer ids are uuid5 of readable names (``uid``), so the output stays the
same from run to run and a chart's parts can be found by name.
"""

from __future__ import annotations

from typing import Any

from kibana_base import DATA_VIEW_ID, EMPTY_QUERY, TIME_FIELD, ref, saved_object, uid


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
