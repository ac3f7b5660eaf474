"""``newswire stack``: the local Kafka + Elasticsearch, without Docker."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from newswire.cli.common import console, fail, out, settings
from newswire.stack.errors import StackError

if TYPE_CHECKING:
    from newswire.stack import Stack

SecureOpt = typer.Option(
    False,
    "--secure",
    help="The secure stack (TLS, SASL/SCRAM, Elasticsearch security) under NEWSWIRE_HOME/secure, "
    "on its own ports (plain + NEWSWIRE_SECURE_PORT_OFFSET); runs beside the plain one.",
)


def _stack(secure: bool) -> Stack:
    if secure:
        from newswire.stack.secure import SecureStack

        return SecureStack(settings())
    from newswire.stack import Stack  # the manager and services: only when a command runs

    return Stack(settings())


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
def up(secure: bool = SecureOpt) -> None:
    """Start the stack (idempotent) and wait until both services answer.

    With --secure, print the settings a client needs as `export` lines (also written
    to NEWSWIRE_HOME/secure/client.env): `eval "$(newswire stack up --secure)"`.
    """
    stack = _stack(secure)
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
    _print_status(stack, console if secure else out)  # stdout: only the export lines
    if secure:
        from newswire.stack.secure import SecureStack

        assert isinstance(stack, SecureStack)
        for name, value in stack.client_env():
            out.print(f"export {name}={value}", soft_wrap=True, highlight=False)
        console.print(
            f"client settings in {stack.client_env_file} (writer key); the reader key for "
            f"`newswire api`/Kibana and the admin passwords are in {stack.keys.path}"
        )


@app.command()
def down(secure: bool = SecureOpt) -> None:
    """Stop both services and every process they started."""
    stopped = _stack(secure).down(report=lambda msg: console.print(msg))
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def reset(
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    secure: bool = SecureOpt,
) -> None:
    """Stop the stack and delete its data: topics, indices, dedup state.

    The downloaded Kafka and Elasticsearch stay, so the next `stack up` (or
    `make run`) starts empty in seconds. For a clean slate after an upgrade
    that changes how stories are processed, or to free the disk.
    """
    stack = _stack(secure)
    if not yes:
        typer.confirm(
            f"Delete every topic, index and dedup state under {stack.settings.home}?",
            abort=True,
        )
    removed = stack.reset(report=lambda msg: console.print(msg))
    console.print(f"reset: deleted {len(removed)} data folder(s); `newswire stack up` starts empty")


@app.command()
def status(secure: bool = SecureOpt) -> None:
    """Versions, ports, pids and health of the local stack. Exit 1 if anything is down."""
    healthy = _print_status(_stack(secure))
    if not healthy:
        raise typer.Exit(1)


def _print_status(stack: Stack, to: Console = out) -> bool:
    home = getattr(stack, "home", stack.settings.home)  # the secure stack's own folder
    table = Table(title=f"newswire local stack ({home})")
    for column in ("service", "version", "ports", "pid", "health", "log"):
        table.add_column(column)
    all_ok = True
    for st in stack.status():
        all_ok &= st.healthy
        health = f"[green]up[/] {st.detail}" if st.healthy else "[red]down[/]"
        table.add_row(
            st.name, st.version, ",".join(map(str, st.ports)), str(st.pid or "-"), health, st.log
        )
    to.print(table)
    return all_ok
