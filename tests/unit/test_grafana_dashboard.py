"""The Grafana dashboard and the operations doc cannot drift from the metrics catalogue.

Every identifier in every panel's PromQL must be a PromQL function, keyword or label
name, or a metric of :data:`wire.metrics.CATALOGUE` (histograms with their ``_bucket``,
``_sum`` or ``_count`` series) or of prometheus_client's process collector. A renamed
or misspelt metric fails here, offline, instead of leaving an empty panel.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import Histogram

from wire.metrics import CATALOGUE, PROCESS_METRICS

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "newswire.json"
OPERATIONS = ROOT / "docs" / "operations.md"

PROMQL_WORDS = {
    # aggregations and their modifiers
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset",
    # functions used or reasonable in a dashboard
    "rate", "irate", "increase", "delta", "deriv", "histogram_quantile", "abs", "clamp_min",
    "clamp_max", "label_replace", "vector", "scalar", "time", "sum_over_time",
    "avg_over_time", "max_over_time", "min_over_time",
}  # fmt: skip


def _series_names() -> set[str]:
    names = set(PROCESS_METRICS)
    for name, metric in CATALOGUE.items():
        names.add(name)
        if isinstance(metric, Histogram):
            names.update(f"{name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
    return names


def _exprs(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def _identifiers(expr: str) -> tuple[set[str], set[str]]:
    """(metric-or-function words, label names) of a PromQL expression."""
    labels: set[str] = set()
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        labels.update(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
    expr = re.sub(r"\{[^}]*\}", "", expr)
    for grouping in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr):
        labels.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", grouping))
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", r"\1", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors, $__rate_interval included
    words = set(re.findall(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*", expr))
    return words, labels


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def test_every_panel_has_a_query(dashboard: dict[str, Any]) -> None:
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel.get("targets"), panel["title"]
        assert all(t["expr"].strip() for t in panel["targets"]), panel["title"]


def test_every_query_names_only_catalogued_metrics(dashboard: dict[str, Any]) -> None:
    known = _series_names()
    used: set[str] = set()
    for title, expr in _exprs(dashboard):
        words, _ = _identifiers(expr)
        metrics = words - PROMQL_WORDS
        assert metrics, f"{title}: no metric in {expr!r}"
        unknown = metrics - known
        assert not unknown, f"{title}: {sorted(unknown)} not in wire.metrics.CATALOGUE"
        used |= metrics
    base = {re.sub(r"_(bucket|sum|count)$", "", m) for m in used}
    assert not set(CATALOGUE) - base, "catalogued metrics no panel shows"


def test_labels_in_queries_are_labels_the_metrics_have(dashboard: dict[str, Any]) -> None:
    allowed = {"job", "instance", "le"}  # Prometheus' own and the histograms'
    for metric in CATALOGUE.values():
        allowed.update(metric._labelnames)
    for title, expr in _exprs(dashboard):
        _, labels = _identifiers(expr)
        assert labels <= allowed, f"{title}: unknown labels {sorted(labels - allowed)}"


def test_the_checker_catches_a_misspelt_metric() -> None:
    words, _ = _identifiers('sum by (stage) (rate(newswire_stage_item_out_total{job=~"x"}[5m]))')
    assert words - PROMQL_WORDS - _series_names() == {"newswire_stage_item_out_total"}


def test_operations_doc_has_a_line_for_every_metric() -> None:
    text = OPERATIONS.read_text()
    for name in CATALOGUE:
        assert re.search(rf"^\| `{name}", text, re.M), f"{name} is not documented"
