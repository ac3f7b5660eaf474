"""``newswire dlq``: what the pipeline could not handle, and why."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from newswire.cli.common import console, out, settings

app = typer.Typer(help="List and replay dead letters (news.dlq).", no_args_is_help=True)


@app.command("list")
def list_letters(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Show the newest N."),
    stage: str | None = typer.Option(None, "--stage", help="connector, processor or indexer."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines, payload included."),
) -> None:
    """Dead letters with their stage, error and reason (newest last)."""
    from newswire.dlq import read_letters

    letters = [d for d in read_letters(settings()) if stage is None or d.stage == stage]
    letters = letters[-limit:]
    if as_json:
        for letter in letters:
            out.print_json(json.dumps(letter.model_dump(mode="json")))
        return
    table = Table(title=f"{len(letters)} dead letters")
    for col in ("time", "stage", "error", "key", "reason"):
        table.add_column(col, overflow="fold")
    for d in letters:
        table.add_row(
            d.time.strftime("%Y-%m-%d %H:%M:%S"),
            d.stage,
            d.error_class,
            d.key or "",
            d.message[:200],
        )
    out.print(table)


@app.command()
def replay(
    stage: str | None = typer.Option(None, "--stage", help="Only letters of this stage."),
    error_class: str | None = typer.Option(None, "--error", help="Only this error class."),
) -> None:
    """Send dead letters back to their stage's input topic (each letter at most once)."""
    from newswire.dlq import replay as run_replay

    result = run_replay(settings(), stage=stage, error_class=error_class)
    console.print(f"replayed {result.replayed}; skipped {result.skipped} (other filters or stage)")
