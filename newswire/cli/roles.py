"""``newswire run | connectors | processor | indexer``: the pipeline's roles."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from newswire.cli.common import console, fail, settings, setup_logging
from newswire.runtime import DEFAULT_SOURCES

SourcesOpt = typer.Option(
    None,
    "--sources",
    "-s",
    help="Sources file (YAML). Default: the bundled list (demo archive + public feeds).",
    exists=True,
    dir_okay=False,
)
LogOpt = typer.Option("warning", "--log-level", help="debug, info, warning or error.")


def run(
    sources: Path | None = SourcesOpt,
    exit_when_idle: float | None = typer.Option(
        None,
        "--exit-when-idle",
        metavar="SECONDS",
        help="Stop once every source was polled and all stages stayed caught up this long.",
    ),
    log_level: str = LogOpt,
) -> None:
    """The main job: connectors, processor and indexer in one process.

    Needs the stack (`newswire stack up`). Stops on Ctrl-C, or by itself with
    --exit-when-idle.
    """
    from connectors.sdk.sources import SourcesError
    from newswire.runtime import ProcessorFailed, run_all

    setup_logging(log_level)
    try:
        counts = run_all(
            settings(), sources or DEFAULT_SOURCES, exit_when_idle, loglevel=_faust_level(log_level)
        )
    except SourcesError as exc:
        raise fail(f"invalid sources file:\n{exc}") from exc
    except ProcessorFailed as exc:
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


def connectors(sources: Path | None = SourcesOpt, log_level: str = LogOpt) -> None:
    """Run only the connector runner (scale-out role)."""
    from connectors.sdk.runner import Runner
    from connectors.sdk.sources import load_sources
    from newswire.runtime import prepare

    setup_logging(log_level)
    prepare(settings())
    runner = Runner(settings(), load_sources(sources or DEFAULT_SOURCES))
    _run_until_signal(runner.run, runner.stop)


def processor(log_level: str = LogOpt) -> None:
    """Run only the processor (a faust worker); start more for more partitions."""
    from newswire.runtime import prepare, run_processor

    setup_logging(log_level)
    prepare(settings())
    run_processor(settings(), loglevel=_faust_level(log_level))


def indexer(log_level: str = LogOpt) -> None:
    """Run only the indexer (news.articles → Elasticsearch)."""
    from newswire.runtime import prepare
    from pipeline.index.indexer import Indexer

    setup_logging(log_level)
    prepare(settings())
    role = Indexer(settings())
    _run_until_signal(role.run, role.stop)


def _run_until_signal(target: object, stop: object) -> None:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop())  # type: ignore[operator]
    thread.start()
    while thread.is_alive():
        thread.join(0.5)


def _faust_level(level: str) -> str:
    return {"warning": "warn", "critical": "crit"}.get(level.lower(), level.lower())
