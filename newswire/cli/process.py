"""``newswire process``: the processing chain offline, JSONL in and out."""

from __future__ import annotations

import json
from collections import deque
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from newswire.cli.common import console, fail, settings

if TYPE_CHECKING:  # the models (pydantic) load when a command runs, not for --help
    from wire.models import RawItem


def _raw_from_line(line: str) -> RawItem:
    """Accept full raw items, or the minimum: ``url`` plus ``html``, ``content`` or ``summary``."""
    from wire.models import RawItem, SourceRef

    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    data.setdefault("key", data.get("url", ""))
    data.setdefault(
        "source", SourceRef(id="offline", name="offline", connector="file").model_dump()
    )
    return RawItem.model_validate(data)


def process_line(line: str) -> tuple[str, bytes]:
    """One input line through the chain, in an extraction process: the article's (id, JSON)."""
    from pipeline.pool import extract_raw

    return extract_raw(_raw_from_line(line).to_json_bytes())


def process(
    input: Path = typer.Option(..., "--input", "-i", exists=True, dir_okay=False, help="RAW.jsonl"),
    output: Path = typer.Option(..., "--output", "-o", help="ARTICLES.jsonl (overwritten)"),
    dead_letters: Path | None = typer.Option(
        None, "--dead-letters", help="Where failed lines go (default: OUTPUT.dlq.jsonl)."
    ),
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, help="Extraction processes (default 0: one per CPU)."
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        min=0.1,
        help="Seconds one item may take before it is a dead letter "
        "(default: NEWSWIRE_EXTRACTION_TIMEOUT_S, 20).",
    ),
) -> None:
    """Run extraction, cleanup, tagging and dedup on raw items, without services.

    Each input line needs `url` and one of `html`, `content` or `summary`;
    raw items as connectors send them to news.raw work as they are.

    Items are extracted in parallel processes, as the stream processor does,
    and written in input order. Exact copies within the file are merged into
    the first (their URLs join its `urls`); near copies share its `cluster_id`.

    Lines that fail, or take longer than `--timeout`, go with the reason to
    the dead-letters file, and the run goes on.

    Example: newswire process -i raw.jsonl -o articles.jsonl --jobs 2
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from pipeline.dedup import Deduplicator
    from pipeline.pool import extraction_error, extraction_processes, start_extraction_processes
    from pipeline.sightings import story_of, urls_patch
    from wire.models import Article, DeadLetter

    limit = timeout or settings().extraction_timeout_s
    workers = jobs or extraction_processes()
    dedup = Deduplicator({})  # one run's memory: copies within the file are merged
    ok = merged = failed = 0
    written: set[str] = set()
    patches: dict[str, dict[str, list[str]]] = {}  # story id -> its URLs, as the indexer sets them
    revised: dict[str, str] = {}  # story id -> its latest revision (JSON), replacing the first
    dlq_path = dead_letters or output.with_suffix(".dlq.jsonl")
    with input.open("rb") as counting:
        total = sum(1 for _ in counting)

    with (
        output.open("w", encoding="utf-8") as out,
        dlq_path.open("w", encoding="utf-8") as dlq,
        input.open(encoding="utf-8", errors="replace") as lines,
        Progress(
            TextColumn("processing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        task = progress.add_task("process", total=total)
        pool = start_extraction_processes(workers, None)  # the default taggers, preloaded once
        pending: deque[tuple[int, str, Future[tuple[str, bytes]]]] = deque()

        def settle() -> None:
            """Take the oldest item's result: items are written in input order."""
            nonlocal ok, merged, failed
            number, line, future = pending.popleft()
            progress.advance(task)
            try:
                _, data = future.result()
                _, indexed = dedup.route(Article.model_validate_json(data))
            except Exception as exc:  # every failure is a dead letter, never a stopped run
                failed += 1
                error = extraction_error(exc, limit)
                letter = DeadLetter.for_error("processor", error, line, offset=number)
                dlq.write(letter.model_dump_json() + "\n")
                return
            if indexed is None:  # a copy under a URL already known
                merged += 1
                return
            if indexed.merged_into is None and indexed.id in written and indexed.revisions > 1:
                # the story's URL again with another text (a correction): the newer
                # version replaces the written one, as the indexer overwrites the document
                merged += 1
                revised[indexed.id] = indexed.model_dump_json(exclude_none=True)
                return
            if indexed.merged_into is not None or indexed.id in written:
                # a copy of a written story (or the same story under another URL): its
                # URL joins the story's `urls` when the output is finished
                merged += 1
                patches[story_of(indexed)] = urls_patch(indexed)
                return
            written.add(indexed.id)
            out.write(indexed.model_dump_json(exclude_none=True) + "\n")
            ok += 1

        try:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    progress.advance(task)
                    continue
                future = pool.schedule(process_line, args=(line,), timeout=limit)
                pending.append((number, line, future))
                if len(pending) >= 4 * workers:  # a bounded window keeps memory flat
                    settle()
            while pending:
                settle()
        finally:
            pool.stop()
            pool.join(timeout=10)
    if patches or revised:
        _patch_stories(output, patches, revised)

    console.print(
        f"{ok} articles written to {output}; {merged} exact copies merged; "
        f"{failed} failed (see {dlq_path})"
    )
    if ok == 0 and failed:
        raise fail("no line could be processed")


def _patch_stories(
    output: Path, patches: dict[str, dict[str, list[str]]], revised: dict[str, str]
) -> None:
    """Rewrite ``output`` with the merged copies' URLs on their stories, and revised
    stories in their latest version, line by line, as the stream's indexer does with
    merged sightings and revisions (memory: the URL lists and the revised stories only)."""
    patched = output.with_name(output.name + ".tmp")
    with output.open(encoding="utf-8") as src, patched.open("w", encoding="utf-8") as dst:
        for line in src:
            story = json.loads(line)
            if story["id"] in revised:
                story = json.loads(revised[story["id"]])
                line = revised[story["id"]] + "\n"
            if story["id"] in patches:
                story.update(patches[story["id"]])
                line = json.dumps(story, ensure_ascii=False, separators=(",", ":")) + "\n"
            dst.write(line)
    patched.replace(output)
