"""``newswire``: the console script."""

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


def main() -> None:
    """The console script: settings that do not hold together and services that refuse
    this client end in one line and exit status 2, never a traceback (docs/security.md)."""
    import sys

    from newswire.cli.common import fail, one_line, user_error

    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # usage errors: one line, not typer's boxed panel
        print(f"error: {one_line(exc.format_message())}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:  # a declined confirmation or Ctrl-C at a prompt: click's status 1
        print("error: aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        line = _settings_or_access_error(exc)
        if line is not None:
            print(f"error: {line}", file=sys.stderr)
            sys.exit(2)
        problem = user_error(exc)
        if problem is None:
            raise
        raise SystemExit(fail(problem, 2).exit_code) from None
    sys.exit(code if isinstance(code, int) else 0)


def _settings_or_access_error(exc: Exception) -> str | None:
    """The one line for settings that do not hold or a service that refuses this client.

    Imported here, once something was raised: pydantic and ``newswire.preflight`` (which
    loads the settings) would cost every `--help` half a second."""
    from pydantic import ValidationError

    from newswire.preflight import AccessError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        name = f"NEWSWIRE_{field.upper()}: " if field else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"invalid settings: {name}{message}"
    if isinstance(exc, AccessError):
        return str(exc)
    return None
