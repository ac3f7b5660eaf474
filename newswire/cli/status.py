"""``newswire status``: is the pipeline keeping up, and which sources are failing?"""

from __future__ import annotations

import json
import time
from typing import Any

import typer
from rich.table import Table

from newswire.cli.common import (
    FailOnOpt,
    exit_on,
    fail,
    failing_sources,
    out,
    parse_fail_on,
    settings,
)


def status(
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
    fail_on: list[str] = FailOnOpt,
    max_lag: int = typer.Option(
        1000, "--max-lag", help="Records behind at which a stage counts as lagging."
    ),
) -> None:
    """Consumer lag of each stage and the health of every source (from news.connector-state).

    With --fail-on it exits non-zero when a source is failing or a stage lags by more
    than --max-lag records: fit for cron and probes.
    """
    wanted = parse_fail_on(fail_on)
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    from connectors.sdk.state import KafkaStateStore
    from newswire.kafka import LagProbe
    from wire.clients import kafka_client_config

    s = settings()
    try:
        probe = LagProbe(s)
        try:
            lags = {
                "processor": probe.lag(s.processor_group, s.topic_raw)
                + probe.lag(s.processor_group, s.topic_dedup),
                "indexer": probe.lag(s.indexer_group, s.topic_articles),
            }
        finally:
            probe.close()
        producer = KafkaProducer(**kafka_client_config(s))
        try:
            states = KafkaStateStore(producer, kafka_client_config(s), s.topic_state).load_all()
        finally:
            producer.close()
    except KafkaError as exc:
        raise fail(f"cannot reach Kafka at {s.kafka_bootstrap}: {exc}") from exc
    report: dict[str, Any] = {
        "lag": lags,
        "sources": {sid: st.get("stats", {}) for sid, st in sorted(states.items())},
    }
    problems = {
        "failing": failing_sources(report["sources"]),
        "lagging": [stage for stage, lag in lags.items() if lag > max_lag],
    }
    if as_json:
        out.print_json(json.dumps(report))
        exit_on(problems, wanted)
        return
    out.print(f"lag: processor {lags['processor']} raw items, indexer {lags['indexer']} articles")
    table = Table(title=f"{len(states)} sources")
    for col in ("source", "polls", "items", "errors", "last success", "last error"):
        table.add_column(col, overflow="fold")
    now = time.time()
    for sid, stats in report["sources"].items():
        last = stats.get("last_success")
        ago = f"{(now - last) / 60:.0f} min ago" if last else "never"
        error = stats.get("last_error") or ""
        style = "red" if stats.get("consecutive_failures") else ""
        table.add_row(
            sid,
            str(stats.get("polls", 0)),
            str(stats.get("items", 0)),
            str(stats.get("errors", 0)),
            ago,
            error[:120],
            style=style,
        )
    out.print(table)
    exit_on(problems, wanted)
