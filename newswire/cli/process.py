"""``newswire process``: the processing chain offline, JSONL in and out."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from newswire.cli.common import console, fail
from newswire.models import DeadLetter, RawItem, SourceRef


def _raw_from_line(line: str) -> RawItem:
    """Accept full raw items, or the minimum: ``url`` plus ``html``, ``content`` or ``summary``."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    data.setdefault("key", data.get("url", ""))
    data.setdefault(
        "source", SourceRef(id="offline", name="offline", connector="file").model_dump()
    )
    return RawItem.model_validate(data)


def process(
    input: Path = typer.Option(..., "--input", "-i", exists=True, dir_okay=False, help="RAW.jsonl"),
    output: Path = typer.Option(..., "--output", "-o", help="ARTICLES.jsonl (overwritten)"),
    dead_letters: Path | None = typer.Option(
        None, "--dead-letters", help="Where failed lines go (default: OUTPUT.dlq.jsonl)."
    ),
) -> None:
    """Run extraction, cleanup and tagging on raw items without Kafka or Elasticsearch.

    Each input line needs at least `url` and one of `html`, `content` or `summary`.
    Lines that fail are written, with the reason, to the dead-letters file.
    """
    from pipeline.chain import process as run_chain
    from pipeline.dedup import Deduplicator
    from pipeline.tagging import default_taggers

    taggers = default_taggers()
    dedup = Deduplicator({})  # one run's memory: copies within the file are merged
    merged = 0
    dlq_path = dead_letters or output.with_suffix(".dlq.jsonl")
    lines = input.read_text(encoding="utf-8").splitlines()
    ok = failed = 0
    with (
        output.open("w", encoding="utf-8") as out,
        dlq_path.open("w", encoding="utf-8") as dlq,
        Progress(
            TextColumn("processing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        task = progress.add_task("process", total=len(lines))
        for number, line in enumerate(lines, 1):
            progress.advance(task)
            if not line.strip():
                continue
            try:
                article = run_chain(_raw_from_line(line), taggers)
            except (ValueError, ValidationError, TypeError) as exc:
                failed += 1
                letter = DeadLetter.for_error("processor", exc, line, offset=number)
                dlq.write(letter.model_dump_json() + "\n")
                continue
            _, indexed = dedup.check_article(article)
            if indexed is None:
                merged += 1
                continue
            out.write(indexed.model_dump_json(exclude_none=True) + "\n")
            ok += 1
    console.print(
        f"{ok} articles written to {output}; {merged} exact copies merged; "
        f"{failed} failed (see {dlq_path})"
    )
    if ok == 0 and failed:
        raise fail("no line could be processed")
