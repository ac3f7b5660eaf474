"""The metrics catalogue: every Prometheus metric newswire exports, defined once.

The names are a contract between the roles that record them (connectors, processor,
indexer), the dashboards in ``deploy/grafana`` and the alerts operators write, so they
live in the bottom layer where every role can import them, and nowhere else: a test
checks that the dashboard's queries name only metrics of :data:`CATALOGUE`, and
``docs/operations.md`` documents each one.

The metrics are registered in prometheus_client's default registry when this module is
imported; recording them is cheap (a lock and an add), so roles record unconditionally
and only the HTTP server (``newswire.observability``) decides whether anyone reads them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

STAGES = ("extraction", "cleanup", "tagging", "dedup", "index")
"""The processing stages of ``newswire_stage_*`` (cleanup and tagging run inside extraction)."""

# Seconds: from a fast dedup decision (~1 ms) to an extraction near its time bound (20 s).
_STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60)
# Seconds from fetch to searchable: sub-second at light load, minutes in a backlog.
_FRESHNESS_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 4 * 3600, 86400)

# -- connectors ----------------------------------------------------------------------
SOURCE_POLLS = Counter(
    "newswire_source_polls_total",
    "Polls of a source by outcome (ok, not_modified, retriable, retry_after, fatal).",
    ["source", "outcome"],
)
SOURCE_ITEMS = Counter(
    "newswire_source_items_total",
    "New items a source produced to the raw topic (acknowledged by Kafka).",
    ["source"],
)
SOURCE_ERRORS = Counter(
    "newswire_source_errors_total",
    "Failed polls of a source by exception class.",
    ["source", "error_class"],
)
SOURCE_DROPPED = Counter(
    "newswire_source_dropped_items_total",
    "Items a source offered but the connector dropped (over max_entries, too big to keep).",
    ["source"],
)

# -- processing stages ---------------------------------------------------------------
STAGE_IN = Counter("newswire_stage_items_in_total", "Records a stage started on.", ["stage"])
STAGE_OUT = Counter(
    "newswire_stage_items_out_total",
    "Records a stage passed on (to the next topic, or into Elasticsearch for index).",
    ["stage"],
)
DEAD_LETTERS = Counter(
    "newswire_dead_letters_total",
    "Dead letters written, by the stage that gave up and the error's class.",
    ["stage", "error_class"],
)
STAGE_DURATION = Histogram(
    "newswire_stage_duration_seconds",
    "Time one record spends in a stage (for index: a bulk batch's time per document).",
    ["stage"],
    buckets=_STAGE_BUCKETS,
)

# -- consumers -----------------------------------------------------------------------
CONSUMER_LAG_RECORDS = Gauge(
    "newswire_consumer_lag_records",
    "Records of a partition not yet committed by a consumer group.",
    ["group", "topic", "partition"],
)
CONSUMER_LAG_SECONDS = Gauge(
    "newswire_consumer_lag_seconds",
    "Age of the oldest record a consumer group has not committed (0 when caught up).",
    ["group", "topic"],
)

# -- indexer -------------------------------------------------------------------------
BULK_DURATION = Histogram(
    "newswire_bulk_duration_seconds",
    "Duration of one Elasticsearch bulk request.",
    buckets=_STAGE_BUCKETS,
)
BULK_REJECTED = Counter(
    "newswire_bulk_rejected_documents_total",
    "Documents Elasticsearch refused in a bulk request, by reason (mapping, retry, ...).",
    ["reason"],
)
REFRESHES = Counter(
    "newswire_index_refreshes_total",
    "Refresh requests the indexer sent for the indices it wrote, by outcome (ok, failed).",
    ["outcome"],
)
INDEXED = Counter(
    "newswire_indexed_documents_total",
    "Documents Elasticsearch acknowledged (new, updated, or already there).",
)
FRESHNESS = Histogram(
    "newswire_freshness_seconds",
    "From an item's fetch by a connector to its acknowledgement by Elasticsearch.",
    buckets=_FRESHNESS_BUCKETS,
)

CATALOGUE: dict[str, MetricWrapperBase] = {
    # prometheus_client keeps a counter's name without "_total"; the exposition adds it.
    (f"{m._name}_total" if isinstance(m, Counter) else m._name): m
    for m in (
        SOURCE_POLLS,
        SOURCE_ITEMS,
        SOURCE_ERRORS,
        SOURCE_DROPPED,
        STAGE_IN,
        STAGE_OUT,
        DEAD_LETTERS,
        STAGE_DURATION,
        CONSUMER_LAG_RECORDS,
        CONSUMER_LAG_SECONDS,
        BULK_DURATION,
        BULK_REJECTED,
        INDEXED,
        FRESHNESS,
    )
}
"""Every newswire metric by its exposed name (counters with their ``_total``)."""

PROCESS_METRICS = (
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_start_time_seconds",
)
"""prometheus_client's process collector (Linux), exported by every role as well."""


def error_class(exc: BaseException) -> str:
    """The label value for an error: its class name (a small, stable set, unlike messages)."""
    return type(exc).__name__


class StageClock:
    """Seconds spent per stage in this process since the last :meth:`take`.

    For the stages that run inside the extraction processes (cleanup, tagging): those
    processes are never scraped, so the chain adds its times here and the pool sends
    them back with the article, and the processor observes them in its histogram.
    """

    def __init__(self) -> None:
        self._spent: dict[str, float] = {}

    @contextmanager
    def time(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self._spent[stage] = self._spent.get(stage, 0.0) + time.perf_counter() - started

    def take(self) -> dict[str, float]:
        spent, self._spent = self._spent, {}
        return spent


CHAIN_CLOCK = StageClock()
"""The extraction chain's clock (one page at a time per extraction process)."""
