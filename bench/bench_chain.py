"""Processing-chain benchmark: ratios against baselines measured in the same run.

Pages: the news pages of ../shared/corpus/html (fundus, .html.gz) when present, else the
demo archive shipped with newswire. For each page set it measures, interleaved in rounds
so machine noise hits every variant alike:

- ``trafilatura``: ``trafilatura.extract`` alone (the baseline of issue 5);
- ``chain``: ``pipeline.chain.process`` without taggers (extract + clean + metadata);
- ``chain+tags``: the same with the region and topic taggers (what the processor runs).

It reports articles per second, ``chain / trafilatura`` (issue 5's offline ratio),
the share of time tagging adds to the chain (issue 6: at most 10%) and the memory of the
loaded gazetteer and topic lexicons (tracemalloc). Run: ``python bench/bench_chain.py``.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from newswire.models import RawItem, SourceRef  # noqa: E402
from pipeline.chain import NotAnArticle, process  # noqa: E402

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


def run_chain(pages: list[tuple[str, str]], taggers: tuple) -> None:  # type: ignore[type-arg]
    for url, html in pages:
        with contextlib.suppress(NotAnArticle):  # pages with no article count all the same
            process(RawItem(key=url, url=url, source=SOURCE, html=html), taggers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="at most this many pages")
    parser.add_argument("--rounds", type=int, default=3)
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

    variants = {
        "trafilatura": lambda: run_trafilatura(pages),
        "chain": lambda: run_chain(pages, ()),
        "chain+tags": lambda: run_chain(pages, taggers),
    }
    for run in variants.values():  # warm caches, imports and the language model once
        run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    best = {name: min(t) for name, t in times.items()}
    rate = {name: len(pages) / t for name, t in best.items()}

    print(f"pages: {what}; rounds: {args.rounds} (best round reported)")
    for name in variants:
        spread = statistics.pstdev(times[name]) / statistics.mean(times[name])
        per_page = 1000 * best[name] / len(pages)
        print(f"  {name:12s} {rate[name]:7.1f} articles/s  {per_page:6.1f} ms/page  ±{spread:.0%}")
    print(f"chain / trafilatura rate ratio (issue 5, goal >= 0.9): "
          f"{rate['chain'] / rate['trafilatura']:.2f}")  # fmt: skip
    overhead = best["chain+tags"] / best["chain"] - 1
    print(f"tagging adds {overhead:.1%} to the chain's time per article (issue 6, goal <= 10%)")
    print(f"memory of the loaded gazetteer + topic lexicons: {tag_mem:.1f} MiB (tracemalloc)")


if __name__ == "__main__":
    main()
