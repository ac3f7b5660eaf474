"""Processing-chain benchmark: ratios against baselines measured in the same run.

Pages: the news pages of ../shared/corpus/html (fundus, .html.gz) when present, else the
demo archive shipped with newswire. For each page set it measures, interleaved in rounds
so machine noise hits every variant alike:

- ``trafilatura``: ``trafilatura.extract(html, url=...)`` alone, default options (the
  baseline of issue 5);
- ``chain``: ``pipeline.chain.process`` without taggers (extract + clean + metadata);
- ``chain+tags``: the same with the region and topic taggers (what the processor runs);
- ``offline``: chain, taggers and exact/near-duplicate decisions in one process, which
  is what ``newswire process --jobs 1`` does per item (reported for reference: the
  ratio of issue 5 is the chain's);
- ``regions`` and ``topics``: each tagger alone on the articles the chain extracted
  (tagging's own cost, CPU time in the same rounds: the difference of ``chain+tags``
  and ``chain``, two totals ten times larger, is mostly noise on a shared machine).

It reports articles per second, ``chain / trafilatura`` (issue 5's offline ratio, goal
>= 0.9) from the best wall-clock round and from the best CPU-time round (the process's
own CPU seconds: steadier than wall time when other work shares the cores), the share
of time tagging adds to the chain (issue 6: at most 10%; issue 17: at most 15%) both ways,
the memory of the loaded gazetteer and topic lexicons (tracemalloc), the time to load
them (the gazetteer from its cache file, ``pipeline.tag.geo.store``, and to build it
from its sources), and the dedup state one stored story adds
(``pipeline.dedup.measure.state_bytes_per_story`` over the bodies the chain extracted).
``--stages`` adds where the chain's time goes, in ms per page. ``--pool N`` adds the start of
an extraction pool (``pipeline.pool``) N times: seconds until both of its two processes ran
a task, and the CPU they spent getting there (imports, gazetteer, models, warm-up page).

Run: ``python bench/bench_chain.py [--pages N] [--rounds N] [--stages] [--pool N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from pipeline.chain import NotAnArticle, Tagger, process  # noqa: E402
from wire.models import Article, RawItem, SourceRef  # noqa: E402

SOURCE = SourceRef(id="bench", name="bench", connector="file")


def load_pages(limit: int) -> tuple[str, list[tuple[str, str]]]:
    corpus = ROOT.parent / "shared" / "corpus" / "html" / "fundus"
    pages: list[tuple[str, str]] = []
    if corpus.is_dir():
        for i, path in enumerate(sorted(corpus.rglob("*.html.gz"))[:limit]):
            html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            pages.append((f"https://bench.example/{i}", html))
        return f"{len(pages)} fundus pages from shared/corpus", pages
    demo = ROOT / "newswire" / "data" / "demo"
    for entry in json.loads((demo / "manifest.json").read_text())[:limit]:
        pages.append((entry["url"], (demo / entry["file"]).read_text(encoding="utf-8")))
    return f"{len(pages)} demo archive pages", pages


def run_trafilatura(pages: list[tuple[str, str]]) -> None:
    for url, html in pages:
        trafilatura.extract(html, url=url)


def run_chain(pages: list[tuple[str, str]], taggers: tuple[Tagger, ...]) -> list[Article]:
    articles = []
    for url, html in pages:
        with contextlib.suppress(NotAnArticle):  # pages with no article count all the same
            articles.append(process(RawItem(key=url, url=url, source=SOURCE, html=html), taggers))
    return articles


def run_taggers(articles: list[Article], taggers: tuple[Tagger, ...]) -> None:
    for article in articles:
        for tag in taggers:
            article = tag(article)


def gazetteer_load_line() -> str:
    """CPU seconds to load the gazetteer from its cache file and to build it from sources."""
    from pipeline.tag.geo import build, store

    store.load_or_build(build.build)  # make sure the cache file exists
    start = time.process_time()
    store.load_or_build(build.build)
    loaded = time.process_time() - start
    start = time.process_time()
    build.build()
    built = time.process_time() - start
    return (
        f"gazetteer: loaded from {store.cache_dir()} in {loaded:.2f} s CPU, "
        f"built from its sources in {built:.2f} s CPU"
    )


def pool_start_line() -> str:
    """One extraction pool of two processes started in a child interpreter, so that the
    CPU of its processes (``RUSAGE_CHILDREN``) is theirs alone."""
    import subprocess

    code = (
        "import resource, time\n"
        "from pipeline.pool import start_extraction_processes\n"
        "from pipeline.tagging import default_taggers\n"
        "if __name__ == '__main__':\n"
        "    start = time.perf_counter()\n"
        "    pool = start_extraction_processes(2, default_taggers(preload=False))\n"
        "    for f in [pool.schedule(time.sleep, args=(0.3,)) for _ in range(2)]:\n"
        "        f.result()\n"
        "    ready = time.perf_counter() - start - 0.3\n"
        "    pool.stop()\n"
        "    pool.join()\n"
        "    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "    print(f'{ready:.2f} {cpu.ru_utime + cpu.ru_stime:.2f}')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    ready, cpu = out.stdout.split()[-2:]
    return f"extraction pool of 2 processes: ready in {ready} s, {cpu} s of CPU in its processes"


def stage_times(pages: list[tuple[str, str]]) -> dict[str, float]:
    """Seconds of CPU spent in each stage of ``pipeline.extract.extract`` over ``pages``.

    Wraps the stage functions where ``extract`` looks them up, for one pass, then puts
    them back: a diagnostic, not part of the measured rounds.
    """
    import pipeline.chain
    import pipeline.extract as extract_module

    spent: dict[str, float] = defaultdict(float)
    names = (
        "parse_html",
        "read_page_meta",
        "clean_tree",
        "read_fallback_metadata",
        "drop_inert",
        "run_trafilatura",
        "_choose_body",
        "detect_language",
    )
    originals = {name: getattr(extract_module, name) for name in names}

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - start

        return wrapper

    chain_names = vars(pipeline.chain)  # patched in place: the name process() looks up
    extract_function = chain_names["extract"]
    try:
        for name, func in originals.items():
            setattr(extract_module, name, timed(name, func))
        chain_names["extract"] = timed("extract (all stages)", extract_function)
        start = time.process_time()
        run_chain(pages, ())
        spent["chain (process)"] = time.process_time() - start
    finally:
        for name, func in originals.items():
            setattr(extract_module, name, func)
        chain_names["extract"] = extract_function
    return dict(spent)


def run_offline(pages: list[tuple[str, str]], taggers: tuple[Tagger, ...]) -> None:
    from pipeline.dedup import Deduplicator

    dedup = Deduplicator({})  # a fresh state each round: every round decides alike
    for article in run_chain(pages, taggers):
        dedup.check_article(article)


def dedup_state_line(articles: list[Article]) -> str:
    try:
        from pipeline.dedup.measure import state_bytes_per_story
    except ImportError as exc:  # the dedup package is optional to this bench
        return f"dedup state per stored story: not measured ({exc})"
    bodies = [a.body for a in articles if a.body]
    return f"dedup {state_bytes_per_story(bodies)} (bodies extracted by the chain)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="at most this many pages")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="also time each stage")
    parser.add_argument("--pool", type=int, default=0, help="also start a pool this many times")
    args = parser.parse_args()
    what, pages = load_pages(args.pages)

    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    from pipeline.tag.geo.build import get_gazetteer
    from pipeline.tag.topics import tag_topics
    from pipeline.tagging import default_taggers

    get_gazetteer()
    tag_topics("warm up", "warm up the lexicons")
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    tag_mem = sum(s.size_diff for s in after.compare_to(before, "filename")) / 2**20
    taggers = default_taggers()
    from pipeline.tagging import tag_article_regions, tag_article_topics

    extracted = run_chain(pages, ())
    variants: dict[str, Callable[[], object]] = {
        "trafilatura": lambda: run_trafilatura(pages),
        "chain": lambda: run_chain(pages, ()),
        "chain+tags": lambda: run_chain(pages, taggers),
        "offline": lambda: run_offline(pages, taggers),
        "regions": lambda: run_taggers(extracted, (tag_article_regions,)),
        "topics": lambda: run_taggers(extracted, (tag_article_topics,)),
    }
    for run in variants.values():  # warm caches, imports and the language model once
        run()
    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    best = {name: min(t) for name, t in wall.items()}
    best_cpu = {name: min(t) for name, t in cpu.items()}
    rate = {name: len(pages) / t for name, t in best.items()}

    print(f"pages: {what}; rounds: {args.rounds} (best round reported)")
    for name in variants:
        spread = statistics.pstdev(wall[name]) / statistics.mean(wall[name])
        per_page = 1000 * best[name] / len(pages)
        per_page_cpu = 1000 * best_cpu[name] / len(pages)
        print(f"  {name:12s} {rate[name]:7.1f} articles/s  {per_page:6.1f} ms/page  ±{spread:.0%}"
              f"  (CPU {per_page_cpu:5.1f} ms/page)")  # fmt: skip
    print(f"chain / trafilatura rate ratio (issue 5, goal >= 0.9): "
          f"{rate['chain'] / rate['trafilatura']:.2f} wall clock, "
          f"{best_cpu['trafilatura'] / best_cpu['chain']:.2f} CPU time")  # fmt: skip
    print(f"offline path (chain + tags + dedup) / trafilatura: "
          f"{rate['offline'] / rate['trafilatura']:.2f} wall clock, one process")  # fmt: skip
    overhead = best["chain+tags"] / best["chain"] - 1
    print(f"tagging adds {overhead:.1%} to the chain's time per article (issue 6, goal <= 10%)")
    per_article = {name: 1000 * best_cpu[name] / len(extracted) for name in ("regions", "topics")}
    own = (best_cpu["regions"] + best_cpu["topics"]) / best_cpu["chain"]
    print(f"tagging's own CPU: regions {per_article['regions']:.2f} + topics "
          f"{per_article['topics']:.2f} ms per article ({len(extracted)} articles) = {own:.1%} "
          f"of the chain's CPU (issue 17, goal <= 15%)")  # fmt: skip
    print(gazetteer_load_line())
    print(f"memory of the loaded gazetteer + topic lexicons: {tag_mem:.1f} MiB (tracemalloc)")
    print(dedup_state_line(extracted))
    for _ in range(args.pool):
        print(pool_start_line())
    if args.stages:
        spent = stage_times(pages)
        print("where the chain's time goes (CPU ms/page, one pass; stages nest in extract):")
        for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"  {name:24s} {1000 * seconds / len(pages):6.2f}")


if __name__ == "__main__":
    main()
