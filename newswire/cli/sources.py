"""``newswire sources``: validate sources files."""

from __future__ import annotations

from pathlib import Path

import typer

from newswire.cli.common import console, fail, out

app = typer.Typer(help="Validate and convert sources files.", no_args_is_help=True)


@app.command()
def check(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Validate a sources file; errors give the file and line of each bad source."""
    from connectors.sdk.sources import SourcesError, load_sources

    try:
        sources = load_sources(file)
    except SourcesError as exc:
        for problem in exc.problems:
            console.print(f"[red]{problem}[/]")
        raise fail(f"{len(exc.problems)} problem(s) in {file}") from exc
    by_connector: dict[str, int] = {}
    for s in sources:
        by_connector[s.connector] = by_connector.get(s.connector, 0) + 1
    summary = ", ".join(f"{n} {c}" for c, n in sorted(by_connector.items()))
    out.print(f"[green]ok[/]: {len(sources)} sources ({summary})")
