"""The processor's extraction processes: results, errors, time bound and crash recovery.

Real worker processes (forks of multiprocessing's fork server, as in the processor), no
Kafka: what crosses the
process line is the raw item's JSON in and the article's JSON out, and an error keeps
its class, which is what the dead letter records.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.chain import NotAnArticle
from pipeline.pool import (
    ExtractionDied,
    ExtractionPool,
    ExtractionTimeout,
    extract_raw,
    extraction_processes,
)
from wire.models import Article, RawItem, SourceRef

ROOT = Path(__file__).resolve().parents[2]

SOURCE = SourceRef(id="wire", name="Wire", connector="rss")
STORY = " ".join(
    [
        "The river commission met in Termez on Tuesday to agree the summer water quotas.",
        "Delegates from both banks said the new schedule would hold until the autumn.",
    ]
    * 4
)


def raw_json(html: str | None = None, *, summary: str | None = None) -> bytes:
    page = (
        html if html is not None else f"<html><body><article><p>{STORY}</p></article></body></html>"
    )
    item = RawItem(
        key="k1", url="https://wire.example/river", source=SOURCE, html=page, summary=summary
    )
    return item.to_json_bytes()


def never_ends(value: bytes | str) -> tuple[str, bytes]:
    if value == b"loop":
        while True:  # a page the extractor never finishes
            pass
    return "done", b""


def dies(value: bytes | str) -> tuple[str, bytes]:
    os._exit(1)  # what a crash in a C extension looks like from the parent


@pytest.fixture(scope="module")
def pool() -> Iterator[ExtractionPool]:
    extraction = ExtractionPool(1, (), timeout=60)
    yield extraction
    extraction.close()


def test_an_article_comes_back_as_its_id_and_json(pool: ExtractionPool) -> None:
    article_id, data = asyncio.run(pool.run(raw_json()))
    article = Article.model_validate_json(data)
    assert article.id == article_id
    assert article.url == "https://wire.example/river"
    assert "summer water quotas" in article.body


def test_errors_keep_their_class_across_the_process_line(pool: ExtractionPool) -> None:
    with pytest.raises(NotAnArticle):
        asyncio.run(pool.run(raw_json("<html><body><nav>Home</nav></body></html>")))
    with pytest.raises(ValidationError):
        asyncio.run(pool.run(b'{"not": "a raw item"}'))


def test_a_page_over_the_time_bound_fails_and_its_process_is_replaced() -> None:
    # one process: if the looping page kept it busy, the next page would wait forever
    extraction = ExtractionPool(1, (), timeout=0.5, func=never_ends)
    try:
        with pytest.raises(ExtractionTimeout, match=r"more than 0\.5s"):
            asyncio.run(extraction.run(b"loop"))
        assert asyncio.run(extraction.run(b"page")) == ("done", b"")
    finally:
        extraction.close()


def test_a_dead_process_fails_its_page_and_the_next_page_works() -> None:
    extraction = ExtractionPool(1, (), timeout=60, func=dies)
    try:
        with pytest.raises(ExtractionDied, match="exit code 1"):
            asyncio.run(extraction.run(raw_json()))
        extraction.func = extract_raw
        article_id, _ = asyncio.run(extraction.run(raw_json()))
        assert article_id
    finally:
        extraction.close()


def test_one_process_per_usable_cpu() -> None:
    assert extraction_processes() == len(os.sched_getaffinity(0))


def preload_probe(value: bytes | str) -> tuple[int, bool, tuple[object, ...]]:
    """In an extraction process: its parent, whether the taggers came preloaded, which."""
    from pipeline import pool

    never_ends(value)
    return os.getppid(), pool._preloaded is not None, pool._worker_taggers


PRELOAD_CHECK = textwrap.dedent(
    """
    import asyncio, os
    from pipeline import pool
    from tests.unit.test_extraction_pool import preload_probe as probe

    extraction = pool.ExtractionPool(2, None, timeout=1.0, func=probe)
    try:
        first = [asyncio.run(extraction.run(b"x")) for _ in range(4)]
        try:
            asyncio.run(extraction.run(b"loop"))
        except pool.ExtractionTimeout:
            pass
        again = asyncio.run(extraction.run(b"x"))
    finally:
        extraction.close()
    for parent, preloaded, taggers in [*first, again]:
        print(parent != os.getpid(), preloaded, [t.__name__ for t in taggers])
    """
)


@pytest.mark.parametrize("server_first", [False, True], ids=["server-at-pool", "server-first"])
def test_default_taggers_are_loaded_once_in_the_fork_server_and_shared_by_its_forks(
    server_first: bool,
) -> None:
    """Each extraction process (and the one replacing a process that ran over the bound)
    is a fork of the fork server, which loaded the default taggers before forking: none
    loads them itself. A fresh interpreter, as the fork server is one per process. The
    same when the server was started ahead of the pool (``start_fork_server``, as ``run``
    and the processor role do)."""
    start = "pool.start_fork_server()\n" if server_first else ""
    check = PRELOAD_CHECK.replace("extraction = ", start + "extraction = ")
    done = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.split("\n")
    taggers = "['tag_article_regions', 'tag_article_topics']"
    assert lines[:5] == [f"True True {taggers}"] * 5, done.stdout
