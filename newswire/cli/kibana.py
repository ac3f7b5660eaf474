"""``newswire kibana``: put the newswire data view, searches and dashboard into Kibana."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from newswire.cli.common import console, fail, out, settings

app = typer.Typer(
    help=(
        "Kibana saved objects: a data view on news* (time field published_at), saved "
        "searches, Lens visualizations, a map and the 'newswire overview' dashboard."
    ),
    no_args_is_help=True,
)


@app.callback()
def _kibana() -> None:
    """Kibana saved objects for newswire."""


@app.command()
def setup(
    url: str | None = typer.Option(
        None,
        "--url",
        help="Kibana base URL. Default: NEWSWIRE_KIBANA_URL or http://127.0.0.1:5601.",
        show_default=False,
    ),
    file: Path | None = typer.Option(
        None,
        "--file",
        help="NDJSON to import. Default: the saved objects bundled with newswire.",
        exists=True,
        dir_okay=False,
        readable=True,
        show_default=False,
    ),
    api_key: str | None = typer.Option(
        None,
        "--api-key",
        envvar="NEWSWIRE_KIBANA_API_KEY",
        help="Kibana API key (secured clusters). Also read from NEWSWIRE_KIBANA_API_KEY.",
        show_default=False,
    ),
    space: str | None = typer.Option(None, "--space", help="Kibana space id (default space)."),
    wait: float = typer.Option(
        0,
        "--wait",
        min=0,
        help="Wait up to this many seconds for Kibana to report itself available first.",
    ),
    timeout: float = typer.Option(30, "--timeout", min=1, help="Seconds for the import."),
) -> None:
    """Import the saved objects into a running Kibana (idempotent: overwrites by id)."""
    from newswire.kibana import (
        KibanaError,
        bundled_saved_objects,
        import_saved_objects,
        redact,
        wait_for_kibana,
    )

    kibana_url = url or settings().kibana_url
    path = file or bundled_saved_objects()
    try:
        if wait > 0:
            with console.status(f"waiting for Kibana at {redact(kibana_url)}"):
                wait_for_kibana(kibana_url, timeout=wait, api_key=api_key)
        result = import_saved_objects(
            kibana_url, path, api_key=api_key, timeout=timeout, space=space
        )
    except KibanaError as exc:
        raise fail(
            f"{exc}\nIs Kibana up? `docker compose up -d kibana` starts one; "
            "point --url (or NEWSWIRE_KIBANA_URL) at it."
        ) from exc
    results = result.get("successResults") or []
    table = Table(title=f"{result.get('successCount', len(results))} objects imported")
    for col in ("type", "id", "title"):
        table.add_column(col, overflow="fold")
    for item in results:
        table.add_row(
            str(item.get("type", "")),
            str(item.get("destinationId") or item.get("id", "")),
            str(item.get("meta", {}).get("title", "")),
        )
    out.print(table)
    base = redact(kibana_url).rstrip("/") + (f"/s/{space}" if space and space != "default" else "")
    out.print(f"Dashboard: {base}/app/dashboards#/view/newswire-overview")
