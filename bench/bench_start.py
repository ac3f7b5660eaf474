"""Start of an extraction process (issue 16): what a spawned process spends before its first page.

The processor starts one extraction process per core (``pipeline.pool``: pebble, spawned, each
warmed by ``_start_worker``), and pebble starts another after a page overran its time bound.
This starts a pool of two such processes ``--rounds`` times each way, alternating so that
machine noise hits both alike:

- ``cached``: the processes as they are (py3langid's model mapped from its cache file,
  ``pipeline.extract.language``; the gazetteer from its cache file);
- ``decompressed``: the same, except that each process loads py3langid's model the way it did
  before the cache (``LanguageIdentifier.from_model_file``: LZMA-decompressed at every start).

Each pool runs in a child interpreter, so the CPU reported (``RUSAGE_CHILDREN``: imports,
models, gazetteer, warm-up page) is its processes' alone; "ready" is the seconds until both
processes ran a task. Then, in one fresh process, the language model loaded both ways.
The cache files are written first if missing (``NEWSWIRE_TAG_CACHE_DIR`` or the default).

Run: ``python bench/bench_start.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _decompressed_identifier(directory: Path | None = None) -> Any:
    from py3langid.langid import LanguageIdentifier

    from pipeline.extract import language

    return LanguageIdentifier.from_model_file(language.model_file(), norm_probs=True)


def start_decompressing(taggers: Any) -> None:
    """``_start_worker`` with the language model loaded as before its cache file existed."""
    from pipeline import pool
    from pipeline.extract import language

    language.load_identifier = _decompressed_identifier
    pool._start_worker(taggers)


def start_cached(taggers: Any) -> None:
    from pipeline import pool

    pool._start_worker(taggers)


def child_pool(variant: str) -> None:
    """Start two extraction processes as ``start_extraction_processes`` does; print the
    seconds until both ran a task and their CPU seconds."""
    import multiprocessing
    import resource

    from pebble import ProcessPool

    from pipeline.tagging import default_taggers

    initializer = start_cached if variant == "cached" else start_decompressing
    start = time.perf_counter()
    pool = ProcessPool(
        max_workers=2,
        initializer=initializer,
        initargs=(default_taggers(preload=False),),
        context=multiprocessing.get_context("spawn"),
    )
    for future in [pool.schedule(time.sleep, args=(0.3,)) for _ in range(2)]:
        future.result()
    ready = time.perf_counter() - start - 0.3
    pool.stop()
    pool.join()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{ready:.3f} {cpu.ru_utime + cpu.ru_stime:.3f}")


def child_language() -> None:
    """CPU seconds to load the language model decompressed, then from its cache file."""
    from pipeline.extract import language

    start = time.process_time()
    _decompressed_identifier()
    decompressed = time.process_time() - start
    start = time.process_time()
    language.load_identifier()
    cached = time.process_time() - start
    print(f"{decompressed:.3f} {cached:.3f}")


def _run(*args: str) -> list[float]:
    done = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [float(x) for x in done.stdout.split()[-2:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=["cached", "decompressed", "language"])
    args = parser.parse_args()
    if args.child == "language":
        child_language()
        return
    if args.child:
        child_pool(args.child)
        return

    from pipeline.extract import language
    from pipeline.tag.geo import build

    build.get_gazetteer()  # writes the cache files if they are missing
    language.load_identifier()
    results: dict[str, list[list[float]]] = {"decompressed": [], "cached": []}
    for _ in range(args.rounds):
        for variant, runs in results.items():
            runs.append(_run("--child", variant))
    for variant, runs in results.items():
        ready = [r[0] for r in runs]
        cpu = [r[1] for r in runs]
        print(
            f"pool of 2, language model {variant:12s}: ready in {statistics.median(ready):.2f} s "
            f"(min {min(ready):.2f}), CPU of both processes {statistics.median(cpu):.2f} s "
            f"(min {min(cpu):.2f}), median of {args.rounds}"
        )
    saved = statistics.median(r[1] for r in results["decompressed"]) - statistics.median(
        r[1] for r in results["cached"]
    )
    print(f"CPU saved per process start: {saved / 2:.2f} s")
    decompressed, cached = _run("--child", "language")
    print(f"language model alone: decompressed {decompressed:.2f} s CPU, cached {cached:.2f} s")


if __name__ == "__main__":
    main()
