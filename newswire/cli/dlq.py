"""``newswire dlq``: what the pipeline could not handle, and why."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from newswire.cli.common import console, out, settings
from newswire.dlq_plan import STAGE_HELP

app = typer.Typer(help="List and replay dead letters (news.dlq).", no_args_is_help=True)

REPLAY_HELP = (
    "Send dead letters back to the stage they came from: processor (extract) letters to"
    " news.raw, dedup letters to the processor's dedup topic, indexer letters to"
    " news.articles; connector letters only when they hold a whole raw item (otherwise"
    " the source retries by itself).\n\n"
    "Delivery: at least once. A letter is marked replayed (in <topic_dlq>.replayed) only"
    " after Kafka acknowledged its replayed record, so a crash during replay may re-send"
    " the letters replayed since the last mark (up to 100); the processor's dedup and the"
    " indexer's external versions make a re-sent item harmless. A marked letter is not"
    " replayed again; letters the filters leave out stay for a later replay; letters with"
    " the same id (one failure lettered twice) are replayed once; the same item failing"
    " again after a replay is a new letter. Run one replay at a time."
)


def _refuse(message: str) -> typer.Exit:
    """One line on stderr (never wrapped), exit status 2: a usage error."""
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def _check_stage(stage: str | None) -> None:
    from newswire.dlq_plan import UnknownFilter, check_stage

    try:
        check_stage(stage)
    except UnknownFilter as exc:
        raise _refuse(str(exc)) from None


@app.command("list")
def list_letters(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Show the newest N."),
    stage: str | None = typer.Option(None, "--stage", help=STAGE_HELP + "."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines, payload included."),
) -> None:
    """Dead letters with their stage, error and reason (newest last)."""
    _check_stage(stage)
    from newswire.dlq import read_letters
    from newswire.dlq_plan import stage_of
    from newswire.preflight import check_kafka

    s = settings()
    check_kafka(s, timeout=5)  # Kafka down: one line (AccessError) in seconds, not 30 s
    letters = [d for d in read_letters(s) if stage is None or stage_of(d, s) == stage]
    letters = sorted(letters, key=lambda d: d.time)[-limit:]
    if as_json:  # JSON lines: one letter per line, nothing else on stdout
        for letter in letters:
            print(json.dumps(letter.model_dump(mode="json"), ensure_ascii=False))
        return
    table = Table(title=f"{len(letters)} dead letters")
    for col in ("time", "stage", "error", "key", "reason"):
        table.add_column(col, overflow="fold")
    for d in letters:
        table.add_row(
            d.time.strftime("%Y-%m-%d %H:%M:%S"),
            stage_of(d, s),
            escape(d.error_class),
            escape(d.key or ""),
            escape(d.message[:200]),
        )
    out.print(table)


@app.command(help=REPLAY_HELP)
def replay(
    stage: str | None = typer.Option(None, "--stage", help=f"Only letters of {STAGE_HELP}."),
    error_class: str | None = typer.Option(
        None, "--error", help="Only this error class (one present on the topic)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be replayed; send and mark nothing."
    ),
    show: int = typer.Option(10, "--show", min=0, help="With --dry-run: list the first N keys."),
) -> None:
    _check_stage(stage)
    from newswire.dlq import replay as run_replay
    from newswire.dlq_plan import UnknownFilter

    try:
        result = run_replay(
            settings(), stage=stage, error_class=error_class, dry_run=dry_run, show=show
        )
    except UnknownFilter as exc:
        raise _refuse(str(exc)) from None
    counts = ", ".join(f"{st} {err} {n}" for (st, err), n in sorted(result.by_stage_error.items()))
    rest = (
        f"already replayed {result.already}; duplicates {result.duplicates};"
        f" not replayable {result.not_replayable}; left by the filters {result.filtered}"
    )
    if dry_run:
        total = sum(result.by_stage_error.values())
        console.print(escape(f"would replay {total} ({counts or 'none'}); {rest}"), soft_wrap=True)
        for key in result.keys:
            out.print(escape(key))
        return
    line = f"replayed {result.replayed} ({counts or 'none'}); {rest}"
    console.print(escape(line), soft_wrap=True)
