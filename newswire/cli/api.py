"""``newswire api``: serve the REST API; ``newswire api keys create NAME``: a new API key."""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from newswire.cli.common import console, out, settings
from newswire.cli.roles import MetricsPortOpt

app = typer.Typer(
    help="The REST API: `newswire api` serves it; `newswire api keys create NAME` makes a key.",
    no_args_is_help=False,
)
keys = typer.Typer(help="API keys (the server keeps only their hashes, in NEWSWIRE_API_KEYS).")
app.add_typer(keys, name="keys")


class LogLevel(StrEnum):  # no "trace": uvicorn would log every request's headers
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


@app.callback(invoke_without_command=True)
def api(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to listen on. Other than loopback only with NEWSWIRE_API_KEYS set.",
    ),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    log_level: LogLevel = typer.Option(LogLevel.info, "--log-level"),
    ssl_certfile: Path | None = typer.Option(
        None, "--ssl-certfile", exists=True, dir_okay=False, help="Serve HTTPS with this PEM."
    ),
    metrics_port: int | None = MetricsPortOpt,
    ssl_keyfile: Path | None = typer.Option(
        None, "--ssl-keyfile", exists=True, dir_okay=False, help="Its private key (PEM)."
    ),
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json, docs at /docs; docs/api.md).

    With API keys configured every request needs `Authorization: Bearer KEY`; without
    any, the API serves loopback only and refuses to start on another address.
    """
    if ctx.invoked_subcommand is not None:
        return
    from pydantic import ValidationError

    from newswire.api.auth import KeyRing, bind_problem, is_loopback

    try:
        s = settings()
    except ValidationError as exc:  # e.g. a bad NEWSWIRE_API_KEYS entry, never echoed
        raise _fail_line(f"invalid settings: {exc.errors()[0]['msg']}") from exc
    problem = bind_problem(host, KeyRing(s.api_keys))
    if problem is None and bool(ssl_certfile) != bool(ssl_keyfile):
        problem = "--ssl-certfile and --ssl-keyfile go together"
    if problem:
        raise _fail_line(problem)

    import uvicorn

    from newswire.api import create_app
    from newswire.cli.common import setup_logging
    from newswire.observability import Health, elasticsearch_check, serve

    setup_logging(log_level.value, role="api")
    if not ssl_certfile and not is_loopback(host):
        logging.getLogger("newswire.api").warning(
            "serving plain HTTP on %s: API keys cross the network in clear; terminate TLS in "
            "front (proxy, ingress) or pass --ssl-certfile/--ssl-keyfile",
            host,
        )
    # /metrics, /healthz and /readyz on the metrics port, as every role: scrapers and
    # probes never need an API key, and the API's own port never shows metrics.
    health = Health("api")
    health.require("elasticsearch", elasticsearch_check(s))
    door = serve(health, s.metrics_port if metrics_port is None else metrics_port)
    try:
        uvicorn.run(
            create_app(s),
            host=host,
            port=port,
            log_level=log_level.value,
            log_config=None,  # keep newswire's log format (text or json lines)
            server_header=False,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
        )
    finally:
        if door:
            door.close()


def _fail_line(message: str, code: int = 1) -> typer.Exit:
    """One line on stderr however narrow the terminal (rich would wrap it)."""
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


@keys.command("create")
def create(
    name: str = typer.Argument(..., help="Who or what the key is for (letters, digits, _ . -)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object: name, key, entry."),
) -> None:
    """Print a new API key once, and the NEWSWIRE_API_KEYS entry (its name and hash)."""
    from newswire.api.auth import new_key

    try:
        made = new_key(name)
    except ValueError as exc:
        raise _fail_line(str(exc), 2) from exc
    if as_json:
        out.print_json(json.dumps({"name": made.name, "key": made.key, "entry": made.entry}))
        return
    out.print(made.key, markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"\nThe key for {name} is shown only this once; give it to its holder, who sends it "
        "as `Authorization: Bearer KEY`.\nOn the API, add this entry to NEWSWIRE_API_KEYS "
        "(comma-separated with any others):\n",
        markup=False,
        highlight=False,
    )
    out.print(made.entry, markup=False, highlight=False, soft_wrap=True)
