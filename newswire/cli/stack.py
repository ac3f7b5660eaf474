"""``newswire stack``: the local Kafka + Elasticsearch, without Docker."""

from __future__ import annotations

import typer
from rich.table import Table

from newswire.cli.common import console, fail, out, settings
from newswire.stack import Stack, StackError

app = typer.Typer(
    help=(
        "Run Kafka 4 (KRaft) and Elasticsearch 9 on 127.0.0.1 without Docker.\n\n"
        "Both are fetched once from Maven Central with `mvn` and cached under NEWSWIRE_HOME "
        "(default ~/.cache/newswire, /var/cache/newswire for root). Needs Java 21+ and Maven; "
        "without them use `docker compose up` instead."
    ),
    no_args_is_help=True,
)


@app.command()
def up() -> None:
    """Start the stack (idempotent) and wait until both services answer."""
    stack = Stack(settings())
    try:
        with console.status("starting the local stack") as spinner:
            result = stack.up(report=lambda msg: spinner.update(f"[bold]stack:[/] {msg}"))
    except StackError as exc:
        raise fail(str(exc)) from exc
    for name, java in result.java.items():
        console.print(f"{name}: using {java}")
    if result.started:
        console.print(
            f"[green]started[/] {', '.join(result.started)} in {result.seconds:.1f}s"
            + (
                f"; already running: {', '.join(result.already_running)}"
                if result.already_running
                else ""
            )
        )
    else:
        console.print("[green]already running[/]: " + ", ".join(result.already_running))
    _print_status(stack)


@app.command()
def down() -> None:
    """Stop both services and every process they started."""
    stopped = Stack(settings()).down(report=lambda msg: console.print(msg))
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def reset(
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Stop the stack and delete its data: topics, indices, dedup state.

    The downloaded Kafka and Elasticsearch stay, so the next `stack up` (or
    `make run`) starts empty in seconds. For a clean slate after an upgrade
    that changes how stories are processed, or to free the disk.
    """
    stack = Stack(settings())
    if not yes:
        typer.confirm(
            f"Delete every topic, index and dedup state under {stack.settings.home}?",
            abort=True,
        )
    removed = stack.reset(report=lambda msg: console.print(msg))
    console.print(f"reset: deleted {len(removed)} data folder(s); `newswire stack up` starts empty")


@app.command()
def status() -> None:
    """Versions, ports, pids and health of the local stack. Exit 1 if anything is down."""
    healthy = _print_status(Stack(settings()))
    if not healthy:
        raise typer.Exit(1)


def _print_status(stack: Stack) -> bool:
    table = Table(title=f"newswire local stack ({stack.settings.home})")
    for column in ("service", "version", "ports", "pid", "health", "log"):
        table.add_column(column)
    all_ok = True
    for st in stack.status():
        all_ok &= st.healthy
        health = f"[green]up[/] {st.detail}" if st.healthy else "[red]down[/]"
        table.add_row(
            st.name, st.version, ",".join(map(str, st.ports)), str(st.pid or "-"), health, st.log
        )
    out.print(table)
    return all_ok
