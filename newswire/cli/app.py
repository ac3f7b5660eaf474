"""The ``newswire`` command tree: the typer app, its groups and commands.

Imported by ``newswire.cli.main.main`` when the console script runs a command, never
by merely importing ``newswire.cli.main`` (see there why)."""

from __future__ import annotations

from enum import StrEnum

import typer

from newswire import __version__
from newswire.cli import (
    alerts,
    api,
    backfill,
    common,
    connectors,
    dlq,
    fetch,
    kibana,
    process,
    roles,
    search,
    security,
    sources,
    stack,
    status,
)

app = typer.Typer(
    name="newswire",
    help="News feeds and social posts in; a clean, deduplicated, tagged, searchable stream out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(stack.app, name="stack")
app.add_typer(sources.app, name="sources")
app.add_typer(dlq.app, name="dlq")
app.add_typer(kibana.app, name="kibana")
app.add_typer(connectors.app, name="connectors")
app.add_typer(backfill.app, name="backfill")
app.add_typer(security.app, name="security")
app.add_typer(api.app, name="api")
app.add_typer(alerts.app, name="alerts")
app.command()(roles.run)
app.command()(roles.setup)
app.command()(roles.processor)
app.command()(roles.indexer)
app.command()(process.process)
app.command()(search.search)
app.command()(search.show)
app.command()(fetch.fetch)
app.command()(status.status)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"newswire {__version__}")
        raise typer.Exit()


class LogFormat(StrEnum):
    text = "text"
    json = "json"


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
    log_format: LogFormat | None = typer.Option(
        None,
        "--log-format",
        help="Logs as text or json (one object per line). Default: NEWSWIRE_LOG_FORMAT, text.",
    ),
) -> None:
    """newswire command line. Settings come from NEWSWIRE_* environment variables."""
    common.log_format = log_format.value if log_format else None
