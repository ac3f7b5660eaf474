"""Elasticsearch's CPU per story for what the indexer asks of it (issue 16, JVM settings).

``bench_e2e.py`` reads the Elasticsearch JVM's CPU over a whole pipeline run, where it
moves with everything else on the machine. This isolates it: real stories (the chain
run once by ``newswire process`` over N pages of ../shared/corpus/html) are written at a
steady rate the way the indexer writes them (the same-event candidate search, the bulk,
the alert hook), in a fresh namespace per trial, and the JVM's CPU over the trial (from
``/proc``, its idle rate measured just before subtracted) is divided by the stories.
Elasticsearch's own counters over the trial (refreshes, merges, queries, GC) are printed
beside it. Index settings can be varied per trial (``--refresh``, ``--bulk-refresh``);
node and JVM settings are compared by running this against two stacks in turn
(``NEWSWIRE_HOME``, ``NEWSWIRE_ELASTICSEARCH_URL``/``_PORT`` pick the stack).

``--live`` dates every story now, so all go to one yearly index as live news does; the
corpus spans 2006-2026, so without it a trial writes to about 20 yearly indices, each
refreshed every second, as the end-to-end benchmark's rounds do. ``--backfill`` first
writes every story at its own date, untimed, then times them again as new live stories
(``--live``): live news on top of a multi-year backfill, where a search of the alias fans
out to every yearly index.

``--baseline`` runs a trial as before search-idle (issue 16): the template sets
``refresh_interval: 1s`` (which keeps every index refreshing each second) and the
same-event search queries the whole alias (which keeps every index search-active);
``--alternate`` alternates baseline and current trials, so both are measured in the same
run on the same machine load.

``--freshness N`` measures instead the seconds from a bulk's acknowledgement to the story
being searchable (no refresh asked), for an index searched just before and for a
search-idle one, with ``refresh_interval`` 1 s and unset.

Run: ``python bench/bench_es.py [--pages N] [--articles PATH] [--rate R] [--batch B]
[--trials T] [--live | --backfill] [--baseline | --alternate] [--refresh 5s | --refresh=-1
--bulk-refresh]`` with the stack up. The first trial after Elasticsearch starts includes
the JVM's warm-up (JIT): compare later ones. ``--articles PATH`` keeps the chain's output
there (made on first use), so repeated runs skip the chain.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from e2e_support import jvm_pids, tree_cpu
from namespace import namespaced, remove

from newswire.alerts import alert_hook
from pipeline.index.events import EventGrouper
from pipeline.index.writer import Writer, index_for
from tests.support.corpus_sites import CORPUS_HTML, corpus_pages, strip_canonical
from wire.models import Article, SourceRef


def stories(pages: int, workdir: Path) -> list[str]:
    """The articles (JSON lines) of the first ``pages`` corpus pages, through the chain."""
    raw, out = workdir / "raw.jsonl", workdir / "articles.jsonl"
    with raw.open("w") as fh:
        for i, (name, body) in enumerate(list(corpus_pages())[:pages]):
            html = strip_canonical(body).decode("utf-8", "replace")
            fh.write(json.dumps({"url": f"https://site{i % 20}.example/{name}", "html": html}))
            fh.write("\n")
    command = [sys.executable, "-m", "newswire", "process", "-i", str(raw), "-o", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    return out.read_text().splitlines()


def node_stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/_nodes/_local/stats/indices,jvm") as resp:
        node = next(iter(json.load(resp)["nodes"].values()))
    ind, gc = node["indices"], node["jvm"]["gc"]["collectors"].values()
    return {
        "refreshes": ind["refresh"]["total"],
        "refresh_ms": ind["refresh"]["total_time_in_millis"],
        "merge_ms": ind["merges"]["total_time_in_millis"],
        "index_ms": ind["indexing"]["index_time_in_millis"],
        "queries": ind["search"]["query_total"],
        "query_ms": ind["search"]["query_time_in_millis"],
        "gc_ms": sum(c["collection_time_in_millis"] for c in gc),
    }


def es_cpu() -> float:
    return tree_cpu(jvm_pids()["elasticsearch"])


def set_refresh(writer: Writer, refresh: str) -> None:
    """The template's ``refresh_interval`` for the namespace's indices ("": unset)."""
    if refresh:
        name = f"{writer.settings.index_prefix}-articles"
        got = writer.client.indices.get_index_template(name=name)["index_templates"][0]
        body = {k: v for k, v in got["index_template"].items() if "_date" not in k}
        body["template"]["settings"]["index"]["refresh_interval"] = refresh
        writer.client.indices.put_index_template(name=name, **body)


def freshness(refresh: str, idle: bool, n: int) -> list[float]:
    """Seconds from a bulk's acknowledgement to the story being found by a search of the
    alias (polled every 20 ms, no refresh asked), ``n`` stories one at a time, into an
    index kept search-active or left search-idle before each (``search.idle.after`` 1 s)."""
    settings = namespaced("esfresh")
    writer = Writer(settings)
    writer.setup()
    set_refresh(writer, refresh)
    es, now = writer.client, datetime.now(UTC)
    source = SourceRef(id="x", name="X", connector="rss")
    story = [
        Article(id=f"{i:032x}", url=f"https://x.example/{i}", title=f"Story {i}", body="Text.",
                source=source, published_at=now, processed_at=now)
        for i in range(n + 1)
    ]  # fmt: skip
    out: list[float] = []
    try:
        writer.bulk(story[:1])
        index = index_for(story[0], settings.index_prefix)
        es.indices.put_settings(
            index=index, settings={"index.search.idle.after": "1s" if idle else "1h"}
        )
        for i, a in enumerate(story[1:]):
            if idle:
                while not es.indices.stats(index=index, metric="refresh", level="shards")[
                    "indices"][index]["shards"]["0"][0]["search_idle"]:  # fmt: skip
                    time.sleep(0.1)
            else:  # searched just now, the write at a varying point of the interval
                es.search(index=settings.index_alias, size=0)
                time.sleep(0.37 * (i % 3))
            writer.bulk([a])
            start = time.monotonic()
            query = {"ids": {"values": [a.id]}}
            while not es.search(index=settings.index_alias, query=query)["hits"]["hits"]:
                time.sleep(0.02)
            out.append(time.monotonic() - start)
    finally:
        remove(settings)
    return out


def trial(lines: list[str], args: argparse.Namespace, baseline: bool) -> dict[str, Any]:
    settings = namespaced("esbench")
    writer = Writer(settings)
    writer.setup()
    refresh = args.refresh or ("1s" if baseline else "")
    set_refresh(writer, refresh)
    if args.bulk_refresh:  # each bulk refreshes the indices it wrote to
        bulk = writer.client.bulk
        writer.client.bulk = lambda **kw: bulk(**{**kw, "refresh": True})  # type: ignore[method-assign]
    events, hook = EventGrouper.from_settings(settings), alert_hook(settings)
    if baseline:  # the same-event search over the whole alias, as before
        events.indices_for = lambda article: [settings.index_alias]  # type: ignore[method-assign]
    articles = [Article.model_validate_json(line) for line in lines]
    try:
        if args.backfill:  # untimed: every story at its own date, ~20 yearly indices
            for i in range(0, len(articles), 100):
                writer.bulk(articles[i : i + 100])
            writer.client.indices.refresh(index=settings.index_alias)
            articles = [a.model_copy(update={"id": a.id[::-1]}) for a in articles]
        if args.live or args.backfill:
            now = datetime.now(UTC)
            articles = [a.model_copy(update={"published_at": now}) for a in articles]
        before = es_cpu()
        time.sleep(5)
        idle = (es_cpu() - before) / 5
        stats0, cpu0, start = node_stats(settings.elasticsearch_url), es_cpu(), time.monotonic()
        for n, i in enumerate(range(0, len(articles), args.batch)):
            time.sleep(max(0.0, start + n * args.batch / args.rate - time.monotonic()))
            batch = articles[i : i + args.batch]
            events.assign(batch)
            writer.bulk(batch)
            hook.indexed([a for a in batch if not a.merged_into])
        time.sleep(2)  # the last scheduled refreshes
        wall, cpu = time.monotonic() - start, es_cpu() - cpu0
        stats1 = node_stats(settings.elasticsearch_url)
    finally:
        hook.close()
        remove(settings)
    return {
        "mode": "baseline" if baseline else "current",
        "refresh_interval": refresh or "unset",
        "stories": len(articles),
        "es_ms_per_story": round(1000 * (cpu - idle * wall) / len(articles), 1),
        "idle_cpu_s_per_s": round(idle, 3),
        **{k: stats1[k] - stats0[k] for k in stats0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=560)
    parser.add_argument("--articles", type=Path, help="the chain's output, kept here")
    parser.add_argument("--rate", type=float, default=10.0, help="stories per second")
    parser.add_argument("--batch", type=int, default=5, help="stories per bulk")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--live", action="store_true", help="every story dated now")
    parser.add_argument(
        "--backfill", action="store_true", help="the stories at their dates first, untimed"
    )
    parser.add_argument("--refresh", default="", help="refresh_interval (default: unset)")
    parser.add_argument("--bulk-refresh", action="store_true", help="refresh=true on bulks")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="refresh_interval 1s and the same-event search over the alias",
    )
    parser.add_argument(
        "--alternate",
        action="store_true",
        help="alternate baseline and current trials (baseline first)",
    )
    parser.add_argument(
        "--freshness", type=int, default=0, metavar="N",
        help="instead: seconds from bulk to searchable, N stories per case",
    )  # fmt: skip
    args = parser.parse_args()
    if args.freshness:
        for refresh, idle in (("1s", False), ("1s", True), ("", False), ("", True)):
            got = sorted(freshness(refresh, idle, args.freshness))
            case = {"refresh_interval": refresh or "unset", "search_idle": idle}
            p50, top = round(got[len(got) // 2], 2), round(got[-1], 2)
            print(json.dumps({**case, "p50_s": p50, "max_s": top}), flush=True)
        return
    if not CORPUS_HTML.is_dir():
        print(f"skipped: no corpus at {CORPUS_HTML} (the shared corpus is not mounted)")
        return
    if args.articles and args.articles.exists():
        lines = args.articles.read_text().splitlines()
    else:
        with tempfile.TemporaryDirectory(prefix="newswire-es-") as work:
            lines = stories(args.pages, Path(work))
        if args.articles:
            args.articles.write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} stories at {args.rate:g}/s in bulks of {args.batch}", flush=True)
    for n in range(args.trials):
        baseline = args.baseline or (args.alternate and n % 2 == 0)
        print(json.dumps({"trial": n, **trial(lines, args, baseline)}), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
