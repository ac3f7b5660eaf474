"""``newswire backfill``: read archives once into ``news.raw``, with a progress bar.

The work is the connector runner's own: a ``Runner`` with one source, run until it is
idle, so items are produced and the cursor saved exactly as in ``newswire run``. The
cursor is kept under the source id, so running the same command again (same
``--source-id``) resumes where the last run stopped, at the next record.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from newswire.cli.common import console, fail, settings, setup_logging

app = typer.Typer(help="Backfill news.raw from archives (WARC).", no_args_is_help=True)


@app.command()
def warc(
    paths: list[str] = typer.Argument(
        ..., help="WARC files in order: local paths, globs or http(s) URLs (e.g. CC-NEWS)."
    ),
    source_id: str = typer.Option(
        "warc-backfill",
        "--source-id",
        help="Source id the items carry; its cursor makes a later run resume.",
    ),
    name: str | None = typer.Option(None, "--name", help="Source name shown downstream."),
    country: str | None = typer.Option(None, "--country", help="Publisher country, if one."),
    batch: int = typer.Option(100, "--batch", min=1, help="Pages produced per poll."),
    log_level: str = typer.Option("warning", "--log-level", help="debug, info, warning, error."),
) -> None:
    """Read WARC files into news.raw (items flagged backfill); resumable, with progress."""
    from pydantic import ValidationError

    from connectors.sdk.runner import Runner
    from connectors.sdk.sources import Source
    from connectors.warc.connector import expand_paths
    from newswire.kafka import ensure_topics

    setup_logging(log_level)
    try:
        source = Source(
            id=source_id,
            connector="warc",
            name=name,
            config={"paths": paths, "batch": batch},
            interval=86400,  # read once: the runner would come back only after a day
            country=country,
        )
        source.connector_config()
    except ValidationError as exc:
        raise fail(f"invalid backfill: {exc}") from exc
    s = settings()
    ensure_topics(s)
    runner = Runner(s, [source], workers=1)
    files = expand_paths(paths)
    total = _total_bytes(files)
    done_before = _bytes_done(runner.state.load_all().get(source_id, {}).get("cursor", {}), files)
    thread = threading.Thread(target=runner.run, name="backfill-runner", daemon=True)
    thread.start()
    counted = _counters(runner, source_id)
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[items]} stories, {task.fields[records]} records"),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(source_id, total=total, items=0, records=0)
            while not runner.idle():
                now = _counters(runner, source_id)
                progress.update(
                    task,
                    completed=done_before + now["bytes"] - counted["bytes"],
                    items=now["items"] - counted["items"],
                    records=now["records"] - counted["records"],
                )
                time.sleep(0.2)
            if total is not None and not _health(runner, source_id).get("consecutive_failures"):
                progress.update(task, completed=total)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: run the same command again to resume")
    finally:
        runner.stop()
        thread.join()
    health = _health(runner, source_id)
    now = _counters(runner, source_id)
    if health.get("consecutive_failures"):
        raise fail(f"{source_id}: {health.get('last_error')} (run again to resume)")
    console.print(
        f"[green]done[/]: {now['items'] - counted['items']} stories to {s.topic_raw}, "
        f"{now['dead_letters'] - counted['dead_letters']} dead letters, "
        f"{now['records'] - counted['records']} records read"
    )


def _health(runner: Any, source_id: str) -> dict[str, Any]:
    return dict(runner.health().get(source_id, {}))


def _counters(runner: Any, source_id: str) -> dict[str, int]:
    """The source's running totals: ``Page.stats`` summed by the runner, and its items."""
    health = _health(runner, source_id)
    counters = dict(health.get("counters") or {})
    return {
        "items": int(health.get("items") or 0),
        "bytes": int(counters.get("bytes", 0)),
        "records": int(counters.get("records", 0)),
        "dead_letters": int(counters.get("dead_letters", 0)),
    }


def _total_bytes(files: list[str]) -> int | None:
    """The size of the backfill when every file is local (a URL's size is not asked)."""
    if any(f.startswith(("http:", "https:")) for f in files):
        return None
    try:
        return sum(os.path.getsize(f) for f in files)
    except OSError:
        return None


def _bytes_done(cursor: dict[str, Any], files: list[str]) -> int:
    """Bytes behind a saved cursor: whole files before it, and its offset in its file."""
    name = cursor.get("name")
    if not cursor:
        return 0
    index = files.index(name) if name in files else min(int(cursor.get("file", 0)), len(files))
    before = files[:index]
    if any(f.startswith(("http:", "https:")) for f in before):
        return 0
    try:
        return sum(os.path.getsize(f) for f in before) + (
            int(cursor.get("offset", 0)) if name else 0
        )
    except OSError:
        return 0
