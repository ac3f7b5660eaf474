"""``newswire run | connectors | processor | indexer``: the pipeline's roles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from newswire.cli.common import console, fail, settings, setup_logging

# Every import of a role's machinery (newswire.runtime, kafka-python, faust, the pipeline)
# is inside the command that runs it: `newswire --help` and the other commands import this
# module too, and should not pay for them.
if TYPE_CHECKING:
    from wire.settings import Settings

SourcesOpt = typer.Option(
    None,
    "--sources",
    "-s",
    help="Sources file (YAML). Default: the bundled list (demo archive + public feeds).",
    exists=True,
    dir_okay=False,
)
LogOpt = typer.Option("warning", "--log-level", help="debug, info, warning or error.")
MetricsPortOpt = typer.Option(
    None,
    "--metrics-port",
    help="Port of /metrics, /healthz and /readyz (default NEWSWIRE_METRICS_PORT, 9464; "
    "0 picks a free one and logs it; negative: none).",
)


def _role_settings(metrics_port: int | None) -> Settings:
    s = settings()
    return s if metrics_port is None else s.model_copy(update={"metrics_port": metrics_port})


def run(
    sources: Path | None = SourcesOpt,
    exit_when_idle: float | None = typer.Option(
        None,
        "--exit-when-idle",
        metavar="SECONDS",
        help="Stop once every source was polled and all stages stayed caught up this long.",
    ),
    log_level: str = LogOpt,
    metrics_port: int | None = MetricsPortOpt,
) -> None:
    """The main job: connectors, processor and indexer in one process.

    Needs the stack (`newswire stack up`). Stops on Ctrl-C, or by itself with
    --exit-when-idle; exits non-zero as soon as any of the three roles dies.
    """
    from connectors.sdk.sources import SourcesError
    from newswire.runtime import DEFAULT_SOURCES, ProcessorFailed, RoleFailed, run_all

    setup_logging(log_level, role="run")
    try:
        counts = run_all(
            _role_settings(metrics_port),
            sources or DEFAULT_SOURCES,
            exit_when_idle,
            loglevel=_faust_level(log_level),
        )
    except SourcesError as exc:
        raise fail(f"invalid sources file:\n{exc}") from exc
    except (ProcessorFailed, RoleFailed) as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"[green]done[/]: {counts['indexed']} articles indexed, "
        f"{counts['dead_letters']} dead letters from the indexer"
    )


def setup(
    kibana: bool = typer.Option(
        False, "--kibana", help="Also import the Kibana saved objects (waits for Kibana)."
    ),
    log_level: str = LogOpt,
) -> None:
    """Create the Kafka topics and the Elasticsearch index template (idempotent)."""
    from newswire.runtime import prepare

    setup_logging(log_level)
    prepare(settings())
    s = settings()
    console.print(
        f"[green]ready[/]: topics {s.topic_raw}, {s.topic_articles}, {s.topic_dlq}, "
        f"{s.topic_state}; index template {s.index_prefix}-* with alias {s.index_alias}"
    )
    if kibana:
        from newswire.kibana import (
            KibanaError,
            bundled_saved_objects,
            import_saved_objects,
            wait_for_kibana,
        )

        try:
            key = s.kibana_api_key.get_secret_value() if s.kibana_api_key else None
            wait_for_kibana(s.kibana_url, timeout=180, api_key=key)
            result = import_saved_objects(s.kibana_url, bundled_saved_objects(), api_key=key)
        except KibanaError as exc:
            raise fail(str(exc)) from exc
        console.print(f"[green]kibana[/]: imported {result.get('successCount', 0)} saved objects")


def connectors(
    sources: Path | None = SourcesOpt,
    log_level: str = LogOpt,
    metrics_port: int | None = MetricsPortOpt,
) -> None:
    """Run only the connector runner (scale-out role); exits non-zero if it dies."""
    from connectors.sdk.sources import SourcesError
    from newswire.runtime import DEFAULT_SOURCES, RoleFailed, prepare, run_connectors

    setup_logging(log_level, role="connectors")
    s = _role_settings(metrics_port)
    prepare(s)
    try:
        run_connectors(s, sources or DEFAULT_SOURCES)
    except SourcesError as exc:
        raise fail(f"invalid sources file:\n{exc}") from exc
    except RoleFailed as exc:
        raise fail(str(exc)) from exc


def processor(log_level: str = LogOpt, metrics_port: int | None = MetricsPortOpt) -> None:
    """Run only the processor (a faust worker); start more for more partitions."""
    from newswire.runtime import ProcessorFailed, prepare, run_processor

    setup_logging(log_level, role="processor")
    s = _role_settings(metrics_port)
    prepare(s)
    try:
        run_processor(s, loglevel=_faust_level(log_level))
    except ProcessorFailed as exc:
        raise fail(str(exc)) from exc


def indexer(log_level: str = LogOpt, metrics_port: int | None = MetricsPortOpt) -> None:
    """Run only the indexer (news.articles → Elasticsearch); exits non-zero if it dies."""
    from newswire.runtime import RoleFailed, prepare, run_indexer

    setup_logging(log_level, role="indexer")
    s = _role_settings(metrics_port)
    prepare(s)
    try:
        run_indexer(s)
    except RoleFailed as exc:
        raise fail(str(exc)) from exc


def _faust_level(level: str) -> str:
    return {"warning": "warn", "critical": "crit"}.get(level.lower(), level.lower())
